package dev.pare.compiler.onnx.upgrade;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rewrites for schema versions that changed a node's form or meaning, keyed by op and the
 * opset that introduced the new version (onnx docs/Changelog.md). Every other version step in
 * {@link OpHistory} only added types, or attributes whose default keeps the old behaviour, and
 * needs no rewrite. Steps listed in {@link #UNSUPPORTED} changed meaning in a way Pare does not
 * rewrite; crossing one is an error.
 */
final class Adapters {

    /** Rewrites {@code node} (written for the previous version) into the version being stepped to. */
    @FunctionalInterface
    interface Adapter {
        void apply(NodeEditor editor, Node node);
    }

    private static final Map<String, Adapter> ADAPTERS = new HashMap<>();

    /** Breaking steps without a rewrite: op@version → what changed. */
    static final Map<String, String> UNSUPPORTED = Map.of(
            "Scan@9", "the batch axis was removed",
            "DFT@20", "axis became an input with another default",
            "GroupNormalization@21", "scale and bias changed from one value per group to one per channel");

    private static final List<String> REDUCE_18 = List.of("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
            "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare");

    static {
        register("Upsample", 9, Adapters::upsampleScalesToInput);
        register("Upsample", 10, (ed, n) -> ed.replace(n, "Resize", n.operands(), n.attributes()));
        register("Resize", 11, Adapters::resize10To11);
        register("Slice", 10, Adapters::sliceAttributesToInputs);
        register("TopK", 10, (ed, n) -> {
            long k = n.attributes().getInt("k", -1);
            if (k < 0) throw ed.error(n, "has no k attribute");
            replaceWithInput(ed, n, "k", 1, ed.longs(n, "k", List.of(k)));
        });
        register("Clip", 11, Adapters::clipAttributesToInputs);
        register("Pad", 11, Adapters::padAttributesToInputs);
        register("Scatter", 11, (ed, n) -> ed.replace(n, "ScatterElements", n.operands(), n.attributes()));
        register("Dropout", 10, Adapters::dropoutMaskBecomesBool);
        register("Dropout", 12, (ed, n) -> {
            if (n.attributes().get("ratio").isEmpty()) return;
            float ratio = n.attributes().getFloat("ratio", 0.5f);
            replaceWithInput(ed, n, "ratio", 1, ed.floatScalar(n, "ratio", DType.FLOAT32, ratio));
        });
        register("BatchNormalization", 9, (ed, n) -> {
            if (n.attributes().get("spatial").isEmpty()) return;
            if (n.attributes().getInt("spatial", 1) != 1) {
                throw ed.error(n, "spatial=0 (statistics per element) has no form from opset 9 on");
            }
            n.graph().rewriter().setAttributes(n, n.attributes().without("spatial"));
        });
        register("BatchNormalization", 14, (ed, n) -> {
            for (int i = 1; i < n.results().size(); i++) {
                if (!n.result(i).isAbsent()) {
                    throw ed.error(n, "training outputs (mean, var, saved_mean, saved_var) changed at opset 14");
                }
            }
        });
        register("Split", 13, (ed, n) -> intsToInput(ed, n, "split", 1));
        register("Split", 18, (ed, n) -> {
            boolean hasSplit = n.operands().size() > 1 && !n.operand(1).isAbsent();
            if (!hasSplit && n.attributes().get("num_outputs").isEmpty()) {
                // Opset 18 asks for either the split input or num_outputs; an equal split names its count.
                n.graph().rewriter().setAttributes(n, n.attributes().with("num_outputs", Attribute.of((long) n.results().size())));
            }
        });
        register("Squeeze", 13, (ed, n) -> intsToInput(ed, n, "axes", 1));
        register("Unsqueeze", 13, (ed, n) -> intsToInput(ed, n, "axes", 1));
        register("ReduceSum", 13, (ed, n) -> intsToInput(ed, n, "axes", 1));
        for (String reduce : REDUCE_18) register(reduce, 18, (ed, n) -> intsToInput(ed, n, "axes", 1));
        for (String op : List.of("Softmax", "LogSoftmax", "Hardmax")) register(op, 13, Adapters::softmaxSingleAxis);
        register("RoiAlign", 16, (ed, n) -> {
            // The default changed from output_half_pixel to half_pixel: name the old one.
            if (n.attributes().get("coordinate_transformation_mode").isEmpty()) {
                n.graph().rewriter().setAttributes(n, n.attributes().with("coordinate_transformation_mode",
                        Attribute.of("output_half_pixel")));
            }
        });
        register("GridSample", 20, (ed, n) -> {
            String mode = n.attributes().getString("mode", "bilinear");
            String renamed = mode.equals("bilinear") ? "linear" : mode.equals("bicubic") ? "cubic" : mode;
            n.graph().rewriter().setAttributes(n, n.attributes().with("mode", Attribute.of(renamed)));
        });
    }

    private Adapters() {}

    private static void register(String op, int version, Adapter a) {
        if (!OpHistory.changesAt(op, version)) throw new IllegalStateException(op + " has no version " + version);
        ADAPTERS.put(op + "@" + version, a);
    }

    static Optional<Adapter> at(String op, int version) { return Optional.ofNullable(ADAPTERS.get(op + "@" + version)); }

    static Optional<String> unsupported(String op, int version) {
        return Optional.ofNullable(UNSUPPORTED.get(op + "@" + version));
    }

    // ---- helpers --------------------------------------------------------------------------

    static List<Long> ints(Node n, String attribute) {
        return n.attributes().get(attribute).orElse(null) instanceof Attribute.IntsAttr a ? a.values() : null;
    }

    /** The node's operands with {@code v} at {@code index} (absent operands fill the gap), trailing absents dropped. */
    static List<Value> operandsWith(Node n, int index, Value v) {
        List<Value> ops = new ArrayList<>(n.operands());
        while (ops.size() <= index) ops.add(Value.ABSENT);
        ops.set(index, v);
        while (!ops.isEmpty() && ops.get(ops.size() - 1).isAbsent()) ops.remove(ops.size() - 1);
        return ops;
    }

    private static void replaceWithInput(NodeEditor ed, Node n, String attribute, int index, Value input) {
        ed.replace(n, n.opType(), operandsWith(n, index, input), n.attributes().without(attribute));
    }

    /** An ints attribute becomes an int64 1-D input; nothing happens if the attribute is absent. */
    private static void intsToInput(NodeEditor ed, Node n, String attribute, int index) {
        List<Long> v = ints(n, attribute);
        if (v == null) return;
        replaceWithInput(ed, n, attribute, index, ed.longs(n, attribute, v));
    }

    private static DType floatTypeOf(NodeEditor ed, Node n) {
        DType t = ed.elementType(n.operand(0));
        // Before these versions the ops took float tensors only; float32 is by far the most common,
        // and a wrong guess is caught by type checking (bounds must match the input type) rather
        // than changing results.
        if (t == DType.UNDEFINED) return DType.FLOAT32;
        if (t != DType.FLOAT32 && t != DType.FLOAT16 && t != DType.FLOAT64) {
            throw ed.error(n, "input type " + t.shortName() + " is not a float type");
        }
        return t;
    }

    // ---- the rewrites ---------------------------------------------------------------------

    /** Upsample 7 → 9: the scales attribute became the second input. */
    private static void upsampleScalesToInput(NodeEditor ed, Node n) {
        if (!(n.attributes().get("scales").orElse(null) instanceof Attribute.FloatsAttr s)) {
            throw ed.error(n, "has no scales attribute");
        }
        float[] v = new float[s.values().size()];
        for (int i = 0; i < v.length; i++) v[i] = s.values().get(i);
        Value scales = ed.constant(n, "scales", TensorData.ofFloats(new long[] {v.length}, v));
        replaceWithInput(ed, n, "scales", 1, scales);
    }

    /**
     * Resize 10 → 11: an roi input was inserted before scales, and the coordinate mapping and
     * nearest rounding became attributes whose defaults differ from opset 10's behaviour. Opset 10
     * maps coordinates asymmetrically ({@code x_in = x_out / scale}) and rounds nearest down when
     * enlarging and up when shrinking (ONNX Runtime's opset-10 kernel), so nearest mode needs
     * constant scales that all enlarge or all shrink.
     */
    private static void resize10To11(NodeEditor ed, Node n) {
        if (n.operands().size() != 2) throw ed.error(n, "expects 2 inputs (X, scales), got " + n.operands().size());
        Attributes attrs = n.attributes().with("coordinate_transformation_mode", Attribute.of("asymmetric"));
        String mode = n.attributes().getString("mode", "nearest");
        if (mode.equals("nearest")) {
            TensorData scales = NodeEditor.constantValue(n.operand(1));
            if (scales == null || scales.dtype() != DType.FLOAT32) {
                throw ed.error(n, "nearest mode needs constant float scales to choose the rounding");
            }
            ByteBuffer b = scales.bytes().order(ByteOrder.LITTLE_ENDIAN);
            boolean up = false;
            boolean down = false;
            for (int i = 0; i < scales.elementCount(); i++) {
                float s = b.getFloat(i * 4);
                if (s > 1) up = true;
                if (s < 1) down = true;
            }
            if (up && down) throw ed.error(n, "nearest mode with scales that both enlarge and shrink has no opset 11 form");
            attrs = attrs.with("nearest_mode", Attribute.of(down ? "ceil" : "floor"));
        }
        Value roi = ed.constant(n, "roi", TensorData.ofFloats(new long[] {0}));
        ed.replace(n, "Resize", List.of(n.operand(0), roi, n.operand(1)), attrs);
    }

    /** Slice 1 → 10: starts, ends and axes became inputs 1, 2 and 3. */
    private static void sliceAttributesToInputs(NodeEditor ed, Node n) {
        List<Long> starts = ints(n, "starts");
        List<Long> ends = ints(n, "ends");
        List<Long> axes = ints(n, "axes");
        if (starts == null || ends == null) throw ed.error(n, "needs starts and ends attributes");
        List<Value> ops = new ArrayList<>();
        ops.add(n.operand(0));
        ops.add(ed.longs(n, "starts", starts));
        ops.add(ed.longs(n, "ends", ends));
        if (axes != null) ops.add(ed.longs(n, "axes", axes));
        ed.replace(n, "Slice", ops, n.attributes().without("starts").without("ends").without("axes"));
    }

    /** Clip 6 → 11: the min and max attributes became optional inputs of the input's type. */
    private static void clipAttributesToInputs(NodeEditor ed, Node n) {
        boolean hasMin = n.attributes().get("min").isPresent();
        boolean hasMax = n.attributes().get("max").isPresent();
        if (!hasMin && !hasMax) return;
        DType t = floatTypeOf(ed, n);
        List<Value> ops = new ArrayList<>();
        ops.add(n.operand(0));
        ops.add(hasMin ? ed.floatScalar(n, "min", t, n.attributes().getFloat("min", 0)) : Value.ABSENT);
        if (hasMax) ops.add(ed.floatScalar(n, "max", t, n.attributes().getFloat("max", 0)));
        ed.replace(n, "Clip", ops, n.attributes().without("min").without("max"));
    }

    /** Pad 2 → 11: pads and the constant value became inputs. */
    private static void padAttributesToInputs(NodeEditor ed, Node n) {
        List<Long> pads = ints(n, "pads");
        if (pads == null) throw ed.error(n, "has no pads attribute");
        List<Value> ops = new ArrayList<>();
        ops.add(n.operand(0));
        ops.add(ed.longs(n, "pads", pads));
        float value = n.attributes().getFloat("value", 0f);
        String mode = n.attributes().getString("mode", "constant");
        if (mode.equals("constant") && Float.floatToRawIntBits(value) != 0) {
            ops.add(ed.floatScalar(n, "value", floatTypeOf(ed, n), value));
        }
        ed.replace(n, "Pad", ops, n.attributes().without("pads").without("value"));
    }

    /** Dropout 7 → 10: the mask output became bool; an unused mask is dropped, a used one is an error. */
    private static void dropoutMaskBecomesBool(NodeEditor ed, Node n) {
        if (n.results().size() < 2) return;
        Value mask = n.result(1);
        if (!mask.isAbsent() && (mask.hasUses() || n.graph().isOutput(mask))) {
            throw ed.error(n, "its mask output is used, and its type changed from the input type to bool at opset 10");
        }
        ed.replace(n, "Dropout", n.operands(), n.attributes(), 1);
    }

    /**
     * Softmax, LogSoftmax and Hardmax 11 → 13: {@code axis} (default 1) used to flatten the input to
     * 2-D at {@code axis} and normalize each row; from 13 it names the single axis (default -1).
     * When the axis is the last one both mean the same and the axis is written out; otherwise the
     * old computation is spelled as {@code Reshape(op(Flatten(x, axis), axis=1), Shape(x))}.
     */
    private static void softmaxSingleAxis(NodeEditor ed, Node n) {
        long axis = n.attributes().getInt("axis", 1);
        Value x = n.operand(0);
        TensorType t = x.tensorType();
        boolean last = axis == -1 || (t.hasRank() && (axis < 0 ? axis + t.rank() : axis) == t.rank() - 1);
        if (last) {
            n.graph().rewriter().setAttributes(n, n.attributes().with("axis", Attribute.of(axis)));
            return;
        }
        DType dt = ed.elementType(x);
        TensorType matrix = dt == DType.UNDEFINED ? TensorType.unknown() : TensorType.unranked(dt);
        Value flat = ed.insertBefore(n, "Flatten", List.of(x), Attributes.builder().put("axis", Attribute.of(axis)).build(), matrix);
        Value rows = ed.insertBefore(n, n.opType(), List.of(flat), n.attributes().with("axis", Attribute.of(1L)), matrix);
        TensorType shapeType = t.hasRank() ? TensorType.of(DType.INT64, t.rank()) : TensorType.unranked(DType.INT64);
        Value shape = ed.insertBefore(n, "Shape", List.of(x), Attributes.empty(), shapeType);
        ed.replace(n, "Reshape", List.of(rows, shape), Attributes.empty());
    }
}
