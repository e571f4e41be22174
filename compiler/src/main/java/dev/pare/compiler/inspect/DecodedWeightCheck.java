package dev.pare.compiler.inspect;

import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code pare inspect OUT --check-weight NAME --original IN}: decodes one compressed weight of an
 * ONNX output the way ONNX Runtime does (the weight's constant cone, alone, run by
 * {@link OrtModelExecutor}) and compares it value by value with the same-named weight of the
 * original model: the largest and mean absolute error, and how many values keep the bound their
 * encoding promises:
 * <ul>
 *   <li>{@code affine} (DequantizeLinear): {@code |decoded − original| ≤ scale/2}, plus half a unit
 *       in the last place of the decoded value's type (the product is rounded to it) and scale times
 *       half an ulp of the code there ({@code w/scale} is evaluated in the weight's type); each value's
 *       scale is what DequantizeLinear applies to it, found by dequantizing codes of 1 with the same
 *       scales, axis and block size;</li>
 *   <li>{@code lut} (a Gather from a LUT table): the decoded value is the table entry its index
 *       picks, and no entry of its group's LUT ({@code 2^nbits} entries from {@code index / 2^nbits ·
 *       2^nbits}) is nearer to the original by more than an ulp of each of the two entries (LUT
 *       entries are rounded to the weight type after clustering);</li>
 *   <li>{@code sparse} (a mask or sparse initializer, values stored as they are): every kept value
 *       equals the original; it also reports the largest original magnitude pruned and the smallest
 *       kept (magnitude pruning keeps the larger);</li>
 *   <li>a weight stored dense: equal to the original.</li>
 * </ul>
 * Other encodings (a LUT with a per-channel scale, vector LUTs, sparse + LUT or affine) get the
 * errors only. The decoded and original values are held on the heap as float arrays (a few per
 * element): pick a weight that fits.
 */
public final class DecodedWeightCheck {

    /**
     * @param encoding   what {@code pare inspect} says of the weight, e.g. {@code lut 4-bit, grouped axis 1, 560 LUTs}
     * @param bound      the bound checked, or why none was
     * @param withinBound values within it (equal to {@code values} when it holds); -1 when none was checked
     * @param note       more about the values (sparse: pruned and kept magnitudes), or empty
     */
    public record Result(String name, List<Long> shape, DType dtype, String encoding, long values, double maxAbsError,
                         double meanAbsError, String bound, long withinBound, String note) {
        public boolean holds() {
            return withinBound < 0 || withinBound == values;
        }
    }

    private DecodedWeightCheck() {}

    /**
     * @throws IllegalArgumentException naming the weight when it is not in both models, not a float
     *                                  weight of the same shape, or not decoded from constants alone
     * @throws ModelExecutionException  when ONNX Runtime cannot decode it
     */
    public static Result check(Model compressed, Model original, String name) throws ModelExecutionException {
        if (!"onnx".equals(compressed.format())) {
            throw new IllegalArgumentException("--check-weight decodes ONNX models (with ONNX Runtime); this one was read as " + compressed.format());
        }
        Value w = compressed.graph().value(name)
                .orElseThrow(() -> new IllegalArgumentException("no value named '" + name + "' in the model's main graph"));
        Value o = original.graph().value(name)
                .orElseThrow(() -> new IllegalArgumentException("no weight named '" + name + "' in the original model"));
        if (!o.isConstant() || !o.data().dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("'" + name + "' in the original model is not a float constant");
        }
        TensorType type = w.tensorType();
        if (!type.isStatic() || !java.util.Arrays.equals(type.shape(), o.data().type().shape())) {
            throw new IllegalArgumentException("'" + name + "' has shape " + type + " in the model but " + o.data().type() + " in the original");
        }
        if (type.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("'" + name + "' has " + type.elementCount() + " values, more than one check holds");
        }
        CompressedWeight cw = null;
        for (CompressedWeight c : CompressionAnalysis.find(compressed.graph(), "")) if (c.name().equals(name)) cw = c;
        String kind = cw == null ? "dense" : cw.kind();

        Cone cone = Cone.of(w);
        Graph g = cone.copy();
        Rewriter rw = g.rewriter();
        List<Value> outputs = new ArrayList<>();
        outputs.add(castToFloat(rw, cone.mapped(w), "decoded"));
        Node decoder = null;
        if (kind.equals("lut") && cw.clusterDim() == 1) {
            // the LUT look-up: a table (maybe reshaped) by index, or (LUTs grouped along axis 0, formats/onnx
            // LutLowering) GatherElements of a [luts, entries] table by [luts, n / luts] codes along axis 1
            decoder = cone.last(n -> n.op().equals("onnx.Gather") || n.op().equals("onnx.GatherElements"));
            if (decoder != null) {
                outputs.add(castToFloat(rw, cone.mapped(decoder.operand(1)), "lut_position"));
                outputs.add(castToFloat(rw, cone.mapped(decoder.operand(0)), "lut_table"));
            }
        } else if (kind.equals("affine")) {
            decoder = cone.last(n -> n.op().equals("onnx.DequantizeLinear") && !n.operand(0).tensorType().dtype().isFloatingPoint());
            if (decoder != null) outputs.add(castToFloat(rw, scalePerValue(rw, cone, decoder), "scale"));
        }
        for (Value v : outputs) rw.addOutput(v);

        Map<String, TensorData> run;
        ModelExecutor executor = new OrtModelExecutor(compressed, 1);
        try (ModelExecutor.Session s = executor.open(g, List.of())) {
            run = s.run(Map.of());
        }
        float[] decoded = floats(run.get("decoded"));
        float[] reference = floats(o.data());
        int n = reference.length;
        double maxErr = 0;
        double sumErr = 0;
        for (int e = 0; e < n; e++) {
            double err = Math.abs((double) decoded[e] - reference[e]);
            maxErr = Math.max(maxErr, err);
            sumErr += err;
        }
        String encoding = cw == null ? "dense" : describe(cw);
        DType dtype = type.dtype();
        String bound;
        long within = 0;
        String note = "";
        if (kind.equals("dense")) {
            bound = "equal to the original";
            for (int e = 0; e < n; e++) if (decoded[e] == reference[e]) within++;
        } else if (kind.equals("sparse")) {
            bound = "every kept value equal to the original";
            double maxPruned = 0;
            double minKept = Double.POSITIVE_INFINITY;
            long pruned = 0;
            for (int e = 0; e < n; e++) {
                if (decoded[e] == reference[e]) within++;
                else if (decoded[e] == 0f) within++;
                if (decoded[e] == 0f && reference[e] != 0f) {
                    pruned++;
                    maxPruned = Math.max(maxPruned, Math.abs(reference[e]));
                } else if (decoded[e] != 0f) {
                    minKept = Math.min(minKept, Math.abs(reference[e]));
                }
            }
            note = String.format(java.util.Locale.ROOT, "%,d non-zero values pruned (%.2f %%); largest |original| pruned %.6g, smallest kept %.6g",
                    pruned, 100.0 * pruned / n, maxPruned, minKept);
        } else if (kind.equals("lut") && decoder != null) {
            int palette = 1 << cw.nbits();
            float[] position = floats(run.get("lut_position"));
            float[] table = floats(run.get("lut_table"));
            if (decoder.op().equals("onnx.GatherElements")) {
                // codes index within their row's LUT: the position in the flat table adds the row's start
                int perRow = position.length / (table.length / palette);
                for (int e = 0; e < position.length; e++) position[e] += (float) (e / perRow) * palette;
            }
            bound = "the table entry of its index, and the nearest entry of its group's " + palette + " (within an ulp of each)";
            double worstExcess = 0;
            long notTheEntry = 0;
            for (int e = 0; e < n; e++) {
                int at = (int) position[e];
                if (table[at] != decoded[e]) {
                    notTheEntry++;
                    continue;
                }
                int first = at / palette * palette;
                double err = Math.abs((double) decoded[e] - reference[e]);
                double nearest = err;
                float nearestEntry = decoded[e];
                for (int j = first; j < first + palette; j++) {
                    double d = Math.abs((double) table[j] - reference[e]);
                    if (d < nearest) {
                        nearest = d;
                        nearestEntry = table[j];
                    }
                }
                // both entries were rounded to the weight type after clustering, each by up to half an ulp
                if (err <= nearest + ulp(dtype, decoded[e]) + ulp(dtype, nearestEntry)) within++;
                else worstExcess = Math.max(worstExcess, err - nearest);
            }
            if (within < n) {
                note = String.format(java.util.Locale.ROOT, "%,d values not their index's entry; the others outside are at most %.6g farther "
                        + "from the original than the nearest entry", notTheEntry, worstExcess);
            }
        } else if (kind.equals("affine") && decoder != null) {
            float[] scale = floats(run.get("scale"));
            bound = "scale/2 (+ rounding of w/scale and of the product in " + dtype.shortName() + ")";
            double worst = 0;
            for (int e = 0; e < n; e++) {
                double err = Math.abs((double) decoded[e] - reference[e]);
                // w/scale is evaluated in the weight's type before rounding to a code (numpy's float16
                // arithmetic, as Core ML Tools does): a code near ±7 may be off by half an ulp of 7 there
                float code = scale[e] > 0 ? (float) Math.abs(decoded[e] / (double) scale[e]) : 0f;
                double tolerance = scale[e] * ulp(dtype, code) / 2 + ulp(dtype, decoded[e]) / 2;
                if (err <= scale[e] / 2.0 + tolerance) within++;
                if (scale[e] > 0) worst = Math.max(worst, err / scale[e]);
            }
            note = String.format(java.util.Locale.ROOT, "largest |error| / scale %.4f", worst);
        } else {
            bound = "not checked for " + kind + (cw != null && cw.clusterDim() > 1 ? " (vector LUT)" : "");
            within = -1;
        }
        return new Result(name, cw == null ? shapeOf(type) : cw.shape(), dtype, encoding, n, maxErr, n == 0 ? 0 : sumErr / n, bound, within, note);
    }

    /** One line per result, e.g. for {@code pare inspect --check-weight}. */
    public static String render(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(java.util.Locale.ROOT, "Decoded weight %s %s %s: %s%n", r.name(), r.shape(), r.dtype().shortName(), r.encoding()));
        sb.append(String.format(java.util.Locale.ROOT, "  values %,d  max |decoded - original| %.6g  mean %.6g%n", r.values(), r.maxAbsError(), r.meanAbsError()));
        if (r.withinBound() >= 0) {
            sb.append(String.format(java.util.Locale.ROOT, "  bound: %s: %,d of %,d values (%s)%n", r.bound(), r.withinBound(), r.values(),
                    r.holds() ? "holds" : "DOES NOT HOLD"));
        } else {
            sb.append("  bound: ").append(r.bound()).append(System.lineSeparator());
        }
        if (!r.note().isEmpty()) sb.append("  ").append(r.note()).append(System.lineSeparator());
        return sb.toString();
    }

    private static String describe(CompressedWeight c) {
        StringBuilder s = new StringBuilder(c.kind());
        if (c.nbits() > 0) s.append(' ').append(c.nbits()).append("-bit");
        if (!c.granularity().isEmpty()) s.append(", ").append(c.granularity());
        if (c.luts() > 0) s.append(", ").append(c.luts()).append(c.luts() == 1 ? " LUT" : " LUTs");
        if (c.isSparse()) s.append(String.format(java.util.Locale.ROOT, ", sparsity %.4f", c.sparsity()));
        return s.toString();
    }

    private static List<Long> shapeOf(TensorType t) {
        List<Long> s = new ArrayList<>();
        for (long d : t.shape()) s.add(d);
        return s;
    }

    /** Unit in the last place of {@code v} in {@code dtype} (float16: 10 fraction bits). */
    private static double ulp(DType dtype, float v) {
        if (dtype != DType.FLOAT16) return Math.ulp(v);
        double a = Math.abs(v);
        if (a < 0x1p-14) return 0x1p-24;
        return Math.scalb(1.0, Math.getExponent((float) a) - 10);
    }

    /** {@code v} cast to float32 by a new node named {@code name}. */
    private static Value castToFloat(Rewriter rw, Value v, String name) {
        TensorType t = v.tensorType().withDType(DType.FLOAT32);
        return rw.createNode(name + "_cast", "onnx.Cast", List.of(v), List.of(name), List.of(t),
                Attributes.builder().put("to", Attribute.of((long) DType.FLOAT32.onnxCode())).build(), Location.UNKNOWN).result(0);
    }

    /**
     * The scale DequantizeLinear {@code dq} applies to each value: the same node on codes of 1
     * (int8, of the codes' shape, no zero point), so the runtime broadcasts per tensor, per axis or
     * per block exactly as it does for the weight.
     */
    private static Value scalePerValue(Rewriter rw, Cone cone, Node dq) {
        Value codes = cone.mapped(dq.operand(0));
        TensorType floats = codes.tensorType().withDType(DType.FLOAT32);
        Value asFloat = castToFloat(rw, codes, "codes_float");
        Value zero = rw.addConstant(rw.uniqueValueName("check_zero"), TensorData.ofFloats(new long[0], 0f));
        Value one = rw.addConstant(rw.uniqueValueName("check_one"), TensorData.ofFloats(new long[0], 1f));
        Value zeros = rw.createNode("check_times_zero", "onnx.Mul", List.of(asFloat, zero), List.of("check_zeros"),
                List.of(floats), Attributes.empty(), Location.UNKNOWN).result(0);
        Value ones = rw.createNode("check_plus_one", "onnx.Add", List.of(zeros, one), List.of("check_ones"),
                List.of(floats), Attributes.empty(), Location.UNKNOWN).result(0);
        Value onesInt = rw.createNode("check_ones_int8", "onnx.Cast", List.of(ones), List.of("check_ones_i8"),
                List.of(codes.tensorType().withDType(DType.INT8)), Attributes.builder().put("to", Attribute.of((long) DType.INT8.onnxCode())).build(),
                Location.UNKNOWN).result(0);
        Type out = dq.result(0).type();
        return rw.createNode("check_scale", "onnx.DequantizeLinear", List.of(onesInt, cone.mapped(dq.operand(1))), List.of("check_scale_out"),
                List.of(out), dq.attributes(), Location.UNKNOWN).result(0);
    }

    /** A tensor of float32 (as the Casts give), float16 or float32 values as floats. */
    private static float[] floats(TensorData d) {
        int n = Math.toIntExact(d.elementCount());
        float[] out = new float[n];
        ByteBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN);
        if (d.dtype() == DType.FLOAT32) {
            b.asFloatBuffer().get(out);
        } else if (d.dtype() == DType.FLOAT16) {
            for (int i = 0; i < n; i++) out[i] = Float16.toFloat(b.getShort(b.position() + 2 * i));
        } else {
            throw new IllegalArgumentException("expected float32 or float16 values, got " + d.type());
        }
        return out;
    }

    /** The nodes and constants that compute one value from constants alone, copied into a graph of their own. */
    private static final class Cone {
        private final List<Node> nodes;
        private final Set<Value> constants;
        private final Map<Value, Value> copies = new HashMap<>();

        private Cone(List<Node> nodes, Set<Value> constants) {
            this.nodes = nodes;
            this.constants = constants;
        }

        static Cone of(Value root) {
            Set<Node> found = new LinkedHashSet<>();
            Set<Value> constants = new LinkedHashSet<>();
            collect(root, found, constants, root.name());
            List<Node> ordered = new ArrayList<>();
            for (Node n : root.graph().nodes()) if (found.contains(n)) ordered.add(n); // graph order is topological
            return new Cone(ordered, constants);
        }

        private static void collect(Value v, Set<Node> nodes, Set<Value> constants, String weight) {
            if (v.isAbsent()) return;
            if (v.isConstant()) {
                constants.add(v);
                return;
            }
            Node p = v.producer();
            if (p == null) throw new IllegalArgumentException("'" + weight + "' is not decoded from constants alone (it reads input '" + v.name() + "')");
            if (!p.subgraphs().isEmpty()) throw new IllegalArgumentException("'" + weight + "' is decoded by '" + p.name() + "', which has subgraphs");
            if (!nodes.add(p)) return;
            for (Value o : p.operands()) collect(o, nodes, constants, weight);
        }

        Graph copy() {
            Graph g = new Graph("decoded_weight");
            Rewriter rw = g.rewriter();
            for (Value c : constants) copies.put(c, rw.addConstant(c.name(), c.data()));
            for (Node n : nodes) {
                List<Value> operands = new ArrayList<>();
                for (Value o : n.operands()) operands.add(o.isAbsent() ? o : copies.get(o));
                List<String> names = new ArrayList<>();
                List<Type> types = new ArrayList<>();
                for (Value r : n.results()) {
                    names.add(r.isAbsent() ? "" : r.name());
                    types.add(r.isAbsent() ? null : r.type());
                }
                Node m = rw.createNode(n.name(), n.op(), operands, names, types, n.attributes(), n.location());
                for (int i = 0; i < n.results().size(); i++) if (!n.result(i).isAbsent()) copies.put(n.result(i), m.result(i));
            }
            return g;
        }

        Value mapped(Value v) {
            Value c = copies.get(v);
            if (c == null) throw new IllegalStateException("'" + v.name() + "' is not in the cone");
            return c;
        }

        Node last(java.util.function.Predicate<Node> test) {
            Node found = null;
            for (Node n : nodes) if (test.test(n)) found = n;
            return found;
        }
    }
}
