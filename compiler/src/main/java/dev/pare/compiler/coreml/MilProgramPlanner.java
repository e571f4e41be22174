package dev.pare.compiler.coreml;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.LutBits;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.OpaqueType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one function graph of a mil-dialect model into a MIL function for a target, lowering
 * {@code pare.*} ops to the constexpr ops the target has (ir/MIL_DIALECT.md, Constexpr ops) and planning weight.bin.
 * Nodes with subgraphs ({@code cond}, {@code while_loop}) become operations with nested blocks.
 * Nothing is written here; every refusal is a {@link WriteError} naming the node, the weight and
 * the target that could express it. Planners of the functions of one model share a
 * {@link BlobPlan}, so a weight used by several functions is stored once.
 */
final class MilProgramPlanner {

    /** A refusal; the exporter adds the output path. */
    static final class WriteError extends Exception {
        WriteError(String message) { super(message); }
    }

    static final String PARE_AFFINE = "pare.affine_dequantize";
    static final String PARE_LUT = "pare.lut_to_dense";
    static final String PARE_SPARSE = "pare.sparse_to_dense";
    static final String PARE_QUANTIZE = "pare.quantize";
    static final String PARE_DEQUANTIZE = "pare.dequantize";

    private static final Set<Long> IOS16_LUT_SIZES = Set.of(2L, 4L, 16L, 64L, 256L);

    private final Graph graph;
    private final CoreMlTarget target;
    /** Value names are unique in a function, nested blocks included. */
    private final MilNames names = new MilNames();
    /** Op names are their own namespace (an op is usually named like its output). */
    private final MilNames opNames = new MilNames();
    private final BlobPlan blobs;
    private final MilValueEncoder encoder;
    /** The operations of the block being planned (a nested block while its op is planned). */
    private List<MilProto.Operation> operations = new ArrayList<>();
    /** The operations of every block being planned, by graph: a const op goes into the block of its constant. */
    private final Map<Graph, List<MilProto.Operation>> openBlocks = new IdentityHashMap<>();
    private final Set<Value> constOps = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Node> absorbed = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Below iOS26: each scaled palettized weight's {@code pare.affine_dequantize} and the LUT node it absorbs. */
    private final Map<Node, Node> scaledLuts = new IdentityHashMap<>();

    MilProgramPlanner(Graph graph, CoreMlTarget target) {
        this(graph, target, new BlobPlan());
    }

    /** A planner adding its weights to {@code blobs} (shared by the functions of one model). */
    MilProgramPlanner(Graph graph, CoreMlTarget target, BlobPlan blobs) {
        this.graph = graph;
        this.target = target;
        this.blobs = blobs;
        this.encoder = new MilValueEncoder(target, blobs);
    }

    BlobPlan blobs() { return blobs; }

    CoreMlTarget target() { return target; }

    /** The function graph this planner writes. */
    Graph graph() { return graph; }

    /** The MIL name given to a graph value (inputs and outputs after {@link #plan}). */
    String nameOf(Value v) { return names.of(v, v.name()); }

    /** Plans the whole graph; returns the function. */
    MilProto.Function plan() throws WriteError {
        MilProto.Function.Builder fn = MilProto.Function.newBuilder().setOpset(target.opset());
        for (Value in : graph.inputs()) {
            if (in.type() instanceof TensorType t && !t.hasRank()) {
                throw new WriteError("input '" + in.name() + "' has unknown rank; give its shape with --input-shape "
                        + in.name() + "=D0,D1,...");
            }
            fn.addInputs(MilProto.NamedValueType.newBuilder().setName(nameOf(in)).setType(type(in.type(), "input '" + in.name() + "'")));
        }
        return fn.putBlockSpecializations(target.opset(), planBlock(graph, null)).build();
    }

    /**
     * The block of {@code g}: the function's block ({@code owner} null) or a nested block of the
     * node {@code owner}, whose inputs are the subgraph's inputs and whose ops may use values of
     * the enclosing blocks by name.
     */
    private MilProto.Block planBlock(Graph g, Node owner) throws WriteError {
        List<MilProto.Operation> enclosing = operations;
        operations = new ArrayList<>();
        openBlocks.put(g, operations);
        MilProto.Block.Builder block = MilProto.Block.newBuilder();
        String scope = owner == null ? "" : "nested block '" + g.name() + "' of node '" + owner.name() + "': ";
        if (owner != null) {
            for (Value in : g.inputs()) {
                block.addInputs(MilProto.NamedValueType.newBuilder().setName(nameOf(in))
                        .setType(type(in.type(), scope + "input '" + in.name() + "'")));
            }
        }
        findAbsorbed(g);
        List<Value> readConsts = readConstOrder(g);
        int nextConst = 0;
        for (Node node : g.nodes()) {
            if (absorbed.contains(node)) continue;
            // Const ops of a read package go where they were (before the op that followed them),
            // so an unchanged model is written back in its original order.
            int at = node.location().index();
            while (at >= 0 && nextConst < readConsts.size() && opIndex(readConsts.get(nextConst)) < at) {
                constOp(readConsts.get(nextConst++));
            }
            String op = node.op();
            if (!node.subgraphs().isEmpty() && (!op.startsWith("mil.") || op.startsWith("mil.constexpr_"))) {
                throw new WriteError(scope + "node '" + node.name() + "' (" + op + ") has subgraphs; only mil ops "
                        + "other than constexpr ops are written with nested blocks");
            }
            if (op.startsWith("pare.")) {
                if (owner != null) {
                    throw new WriteError(scope + "node '" + node.name() + "' is " + op + "; the Core ML writer lowers "
                            + "pare.* ops only in a function's top-level block");
                }
                lowerPare(node);
            } else if (op.startsWith("mil.constexpr_")) {
                lowerMilConstexpr(node);
            } else if (op.startsWith("mil.")) {
                emitMilOp(node);
            } else {
                throw new WriteError(scope + "node '" + node.name() + "' is " + op + ", not a Core ML op (mil.*); "
                        + "convert the model with the convert_to_mil pass first");
            }
        }
        for (Value out : g.outputs()) {
            if (out.isAbsent()) throw new WriteError(scope + "graph output is absent; Core ML outputs must be values");
            if (owner == null && out.kind() == Value.Kind.INPUT) {
                throw new WriteError("output '" + out.name() + "' is a graph input; Core ML needs an op between an input and an output");
            }
            if (out.isConstant()) constOp(out);
            if (!names.has(out)) throw new WriteError(scope + "output '" + out.name() + "' is produced by no written op");
            block.addOutputs(nameOf(out));
        }
        block.addAllOperations(operations);
        String attributes = owner == null ? null : g.metadata().get(CoreMlKeys.BLOCK_ATTRIBUTES);
        if (attributes != null) {
            try {
                block.putAllAttributes(MilProto.Block.parseFrom(java.util.Base64.getDecoder().decode(attributes)).getAttributesMap());
            } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                throw new WriteError(scope + "graph metadata " + CoreMlKeys.BLOCK_ATTRIBUTES + " does not decode: " + e.getMessage());
            }
        }
        openBlocks.remove(g);
        operations = enclosing;
        return block.build();
    }

    // ---- graph walk ----------------------------------------------------------------------------

    /** pare weight ops folded into a joint sparse op or a scaled LUT: they are written only as part of it. */
    private void findAbsorbed(Graph g) {
        for (Node node : g.nodes()) {
            if (!node.op().equals(PARE_SPARSE) || node.operands().size() != 2) continue;
            Value values = node.operand(1);
            Node inner = values.producer();
            if (inner == null || !(inner.op().equals(PARE_LUT) || inner.op().equals(PARE_AFFINE))) continue;
            if (values.uses().size() == 1 && !g.isOutput(values)) absorbed.add(inner);
        }
        // From iOS18 to iOS26 (exclusive) a scale on a decoded LUT is written on the LUT itself (see ScaledLut).
        if (!target.atLeast(CoreMlTarget.IOS18) || target.atLeast(CoreMlTarget.IOS26)) return;
        for (Node node : g.nodes()) {
            if (!node.op().equals(PARE_AFFINE) || absorbed.contains(node) || node.operands().size() != 2) continue;
            Value decoded = node.operand(0);
            Node lut = decoded.producer();
            if (lut == null || !lut.op().equals(PARE_LUT) || lut.operands().size() != 2 || lut.attributes().get("vector_axis").isPresent()) continue;
            if (decoded.uses().size() != 1 || g.isOutput(decoded) || node.attributes().get("block_sizes").isPresent()) continue;
            if (!lut.operand(0).isConstant() || !lut.operand(1).isConstant() || !node.operand(1).isConstant()) continue;
            absorbed.add(lut);
            scaledLuts.put(node, lut);
        }
    }


    /** Value metadata the Core ML reader puts on constants from const ops (ir/MIL_DIALECT.md). */
    static final String OP_INDEX = CoreMlKeys.OP_INDEX;
    static final String OP_NAME = CoreMlKeys.OP_NAME;

    private static int opIndex(Value v) {
        try {
            return Integer.parseInt(v.metadata().getOrDefault(OP_INDEX, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Constants read from const ops that will need a const op again, in their original order. */
    private static List<Value> readConstOrder(Graph g) {
        List<Value> out = new ArrayList<>();
        for (Value c : g.constants()) {
            if (opIndex(c) < 0) continue;
            boolean needed = g.isOutput(c);
            for (Value.Use u : c.uses()) needed |= !constexprLike(u.user());
            if (needed) out.add(c);
        }
        out.sort(java.util.Comparator.comparingInt(MilProgramPlanner::opIndex));
        return out;
    }

    private static boolean constexprLike(Node n) {
        String op = n.op();
        return op.startsWith("mil.constexpr_") || op.equals(PARE_AFFINE) || op.equals(PARE_LUT) || op.equals(PARE_SPARSE);
    }

    /** Emits the {@code const} op for a constant (once, before its first non-constexpr use). */
    private String constOp(Value v) throws WriteError {
        String name = nameOf(v);
        if (constOps.add(v)) {
            TensorData data = v.data();
            if (data == null) throw new WriteError("constant '" + v.name() + "' has no data");
            // Into the block that defines the constant, so every block that may use it sees it.
            List<MilProto.Operation> into = openBlocks.getOrDefault(v.graph(), operations);
            into.add(constOperation(name, v.metadata().getOrDefault(OP_NAME, name), data));
        }
        return name;
    }

    /** A generated {@code const} op (an axis, a dtype name) for a non-constexpr op. */
    private String constOp(String hint, TensorData data) {
        String name = names.fresh(hint);
        operations.add(constOperation(name, name, data));
        return name;
    }

    private MilProto.Operation constOperation(String name, String opName, TensorData data) {
        return MilProto.Operation.newBuilder().setType("const")
                .putAttributes("name", MilValueEncoder.string(opNames.fresh(opName)))
                .putAttributes("val", encoder.value(data))
                .addOutputs(MilProto.NamedValueType.newBuilder().setName(name).setType(MilValueEncoder.valueType(data.type())))
                .build();
    }

    /** The name a non-constexpr op binds for {@code v}. */
    private String varName(Value v, Node user) throws WriteError {
        if (v.isConstant()) return constOp(v);
        if (!names.has(v)) {
            throw new WriteError("node '" + user.name() + "': operand '" + v.name() + "' is not defined before it");
        }
        return nameOf(v);
    }

    /** The operand as a constexpr parameter: its constant, or the op output that computes it. */
    private MilArg arg(Value v, Node user) throws WriteError {
        if (v.isConstant()) {
            if (v.data() == null) throw new WriteError("constant '" + v.name() + "' has no data");
            return new MilArg.Const(v.data());
        }
        Node p = v.producer();
        if (p == null || !constexprLike(p) || !names.has(v)) {
            throw new WriteError("node '" + user.name() + "' (" + user.op() + "): operand '" + v.name()
                    + "' must be a constant or a compressed-weight op written before it");
        }
        return new MilArg.Var(nameOf(v), v.tensorType());
    }

    private MilProto.ValueType type(Type t, String what) throws WriteError {
        if (t instanceof OpaqueType o) {
            if (!o.format().equals("coreml")) throw new WriteError(what + " has type " + o + " from " + o.format() + ", which Core ML cannot express");
            try {
                return MilProto.ValueType.parseFrom(o.encoded());
            } catch (InvalidProtocolBufferException e) {
                throw new WriteError(what + " has an undecodable Core ML type: " + e.getMessage());
            }
        }
        try {
            return MilValueEncoder.valueType((TensorType) t);
        } catch (IllegalArgumentException e) {
            throw new WriteError(what + " " + e.getMessage());
        }
    }

    private MilProto.NamedValueType output(Value r, Node node) throws WriteError {
        if (r.isAbsent()) throw new WriteError("node '" + node.name() + "' (" + node.op() + ") has an unnamed result; MIL names every output");
        return MilProto.NamedValueType.newBuilder().setName(nameOf(r)).setType(type(r.type(), "value '" + r.name() + "'")).build();
    }

    // ---- mil ops -------------------------------------------------------------------------------

    private void emitMilOp(Node node) throws WriteError {
        List<String> params = params(node);
        Map<String, MilProto.Argument.Builder> inputs = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            Value v = node.operand(i);
            if (v.isAbsent()) continue;
            String bound = varName(v, node);
            inputs.computeIfAbsent(params.get(i), k -> MilProto.Argument.newBuilder())
                    .addArguments(MilProto.Argument.Binding.newBuilder().setName(bound));
        }
        MilProto.Operation.Builder op = MilProto.Operation.newBuilder().setType(node.opType());
        inputs.forEach((k, a) -> op.putInputs(k, a.build()));
        op.putAttributes("name", MilValueEncoder.string(opNames.fresh(node.name())));
        // Nested blocks (cond, while_loop) in subgraph order; their values are defined before the op's outputs.
        for (Graph sub : node.subgraphs()) op.addBlocks(planBlock(sub, node));
        for (Value r : node.results()) op.addOutputs(output(r, node));
        for (Map.Entry<String, Attribute> a : node.attributes().asMap().entrySet()) {
            if (a.getKey().equals(MilParams.ATTRIBUTE)) continue;
            if (a.getValue() instanceof Attribute.GraphsAttr || a.getValue() instanceof Attribute.GraphAttr) continue;
            op.putAttributes(a.getKey(), attributeValue(node, a.getKey(), a.getValue()));
        }
        operations.add(op.build());
    }

    private static List<String> params(Node node) throws WriteError {
        List<String> params;
        try {
            params = MilParams.names(node);
        } catch (IllegalStateException e) {
            throw new WriteError("node '" + node.name() + "' (" + node.op() + "): attribute 'params' must be a list of strings");
        }
        if (params.size() != node.operands().size()) {
            throw new WriteError("node '" + node.name() + "' (" + node.op() + ") has " + node.operands().size()
                    + " operands but its 'params' attribute names " + params.size());
        }
        return params;
    }

    private static MilProto.Value attributeValue(Node node, String key, Attribute a) throws WriteError {
        if (a instanceof Attribute.TensorAttr t) return MilValueEncoder.immediate(t.value());
        if (a instanceof Attribute.StringAttr s) return MilValueEncoder.string(s.value());
        if (a instanceof Attribute.IntAttr i) return MilValueEncoder.immediate(MilTensors.int32Scalar(i.value()));
        if (a instanceof Attribute.FloatAttr f) return MilValueEncoder.immediate(TensorData.ofFloats(new long[0], f.value()));
        throw new WriteError("node '" + node.name() + "' (" + node.op() + "): attribute '" + key + "' of kind "
                + a.getClass().getSimpleName() + " has no MIL form");
    }

    /** The operand bound to {@code param}, or null. */
    private static Value param(Node node, List<String> params, String param) {
        int i = params.indexOf(param);
        return i < 0 ? null : node.operand(i);
    }

    private void lowerMilConstexpr(Node node) throws WriteError {
        List<String> params = params(node);
        String what = "node '" + node.name() + "' (" + node.op() + ")";
        String type = node.opType();
        Value out = node.results().isEmpty() ? null : node.result(0);
        boolean ios16Form = params.contains("shape");
        if (type.equals("constexpr_lut_to_dense") && (ios16Form ? target.atLeast(CoreMlTarget.IOS18) : true)) {
            MilArg indices = arg(required(node, params, "indices"), node);
            MilArg lut = arg(required(node, params, "lut"), node);
            Integer vectorAxis = null;
            if (ios16Form) {
                // iOS16 form at iOS18: same packed bytes, typed by their bit width and the dense shape.
                long[] shape = shapeParam(node, required(node, params, "shape"));
                long paletteSize = lut.type().elementCount();
                DType bits = indexType(paletteSize, what);
                TensorData idx = MilTensors.retype(constant(indices, what, "indices"), TensorType.of(bits, shape));
                long[] lutShape = new long[shape.length + 2];
                java.util.Arrays.fill(lutShape, 1);
                lutShape[shape.length] = paletteSize;
                indices = new MilArg.Const(idx);
                lut = new MilArg.Const(MilTensors.retype(constant(lut, what, "lut"), TensorType.of(lut.type().dtype(), lutShape)));
            } else {
                Value va = param(node, params, "vector_axis");
                if (va != null) vectorAxis = (int) scalarInt(node, va);
            }
            lowerLut(what, indices, lut, vectorAxis, out);
            return;
        }
        if (type.equals("constexpr_sparse_to_dense") && (ios16Form ? target.atLeast(CoreMlTarget.IOS18) : true)) {
            MilArg mask = arg(required(node, params, "mask"), node);
            MilArg values = arg(required(node, params, "nonzero_data"), node);
            if (ios16Form) {
                long[] shape = shapeParam(node, required(node, params, "shape"));
                mask = new MilArg.Const(MilTensors.retype(constant(mask, what, "mask"), TensorType.of(DType.UINT1, shape)));
            }
            if (mask instanceof MilArg.Var || values instanceof MilArg.Var) {
                if (!target.atLeast(CoreMlTarget.IOS18)) throw needs(what, "a sparse weight fed by another constexpr op", CoreMlTarget.IOS18, "");
                emitConstexpr("constexpr_sparse_to_dense", node.name(), List.of(param("nonzero_data", values), param("mask", mask)),
                        List.of(out));
                return;
            }
            lowerSparseConstants(what, mask.constant(), values.constant(), out, node.name());
            return;
        }
        if (type.equals("constexpr_blockwise_shift_scale")) {
            Value offset = param(node, params, "offset");
            lowerAffine(what, arg(required(node, params, "data"), node), arg(required(node, params, "scale"), node),
                    offset == null ? null : arg(offset, node), null, out, node.name());
            return;
        }
        if (type.equals("constexpr_affine_dequantize") && target.atLeast(CoreMlTarget.IOS18)) {
            // iOS16's op at iOS18: the same math as blockwise_shift_scale with one block per axis entry.
            TensorData data = constant(arg(required(node, params, "quantized_data"), node), what, "quantized_data");
            TensorData scale = constant(arg(required(node, params, "scale"), node), what, "scale");
            TensorData zp = constant(arg(required(node, params, "zero_point"), node), what, "zero_point");
            int axis = (int) scalarInt(node, required(node, params, "axis"));
            long[] shape = data.type().shape();
            if (axis < 0) axis += shape.length;
            long[] sShape = new long[shape.length];
            java.util.Arrays.fill(sShape, 1);
            if (scale.elementCount() > 1) sShape[axis] = scale.elementCount();
            MilArg offset = null;
            if (zp.dtype() == data.dtype()) {
                offset = new MilArg.Const(MilTensors.retype(zp, TensorType.of(zp.dtype(), sShape)));
            } else if (!MilTensors.allZero(zp)) {
                throw new WriteError(what + ": a " + zp.dtype().shortName() + " zero_point for " + data.dtype().shortName()
                        + " data has no iOS18 form; write it with --target ios17");
            }
            lowerAffine(what, new MilArg.Const(data), new MilArg.Const(MilTensors.retype(scale, TensorType.of(scale.dtype(), sShape))),
                    offset, null, out, node.name());
            return;
        }
        // Everything else is written as it is: constexpr_cast, the iOS16 forms below iOS18, and
        // the iOS18-only joint ops.
        boolean ios18Only = type.equals("constexpr_lut_to_sparse") || type.equals("constexpr_sparse_blockwise_shift_scale")
                || type.equals("constexpr_lut_to_dense") || type.equals("constexpr_sparse_to_dense");
        if (ios18Only && !ios16Form && !target.atLeast(CoreMlTarget.IOS18)) {
            throw needs(what, type, CoreMlTarget.IOS18, "");
        }
        List<Map.Entry<String, MilArg>> args = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Value v = node.operand(i);
            if (!v.isAbsent()) args.add(param(params.get(i), arg(v, node)));
        }
        emitConstexpr(type, node.name(), args, node.results());
    }

    private static Value required(Node node, List<String> params, String name) throws WriteError {
        Value v = param(node, params, name);
        if (v == null || v.isAbsent()) throw new WriteError("node '" + node.name() + "' (" + node.op() + ") has no '" + name + "' operand");
        return v;
    }

    private static long[] shapeParam(Node node, Value v) throws WriteError {
        if (!v.isConstant() || v.data() == null || !v.data().dtype().isInteger()) {
            throw new WriteError("node '" + node.name() + "' (" + node.op() + "): 'shape' must be an integer constant");
        }
        TensorData d = v.data();
        long[] out = new long[Math.toIntExact(d.elementCount())];
        java.nio.ByteBuffer b = d.bytes();
        int size = d.dtype().bits() / 8;
        for (int i = 0; i < out.length; i++) {
            out[i] = size == 8 ? b.getLong(i * 8) : size == 4 ? Integer.toUnsignedLong(b.getInt(i * 4)) : size == 2 ? b.getShort(i * 2) : b.get(i);
        }
        return out;
    }

    private static long scalarInt(Node node, Value v) throws WriteError {
        if (!v.isConstant() || v.data() == null || v.data().elementCount() != 1 || !v.data().dtype().isInteger()) {
            throw new WriteError("node '" + node.name() + "' (" + node.op() + "): operand '" + v.name() + "' must be an integer scalar constant");
        }
        java.nio.ByteBuffer b = v.data().bytes();
        switch (v.data().dtype().bits()) {
            case 64: return b.getLong(0);
            case 32: return b.getInt(0);
            case 16: return b.getShort(0);
            default: return b.get(0);
        }
    }

    private static DType indexType(long paletteSize, String what) throws WriteError {
        return LutBits.forPaletteSize(paletteSize).orElseThrow(() -> new WriteError(what + ": a LUT of " + paletteSize
                + " entries is not 2^nbits for nbits in " + LutBits.describe()));
    }

    private static TensorData constant(MilArg a, String what, String param) throws WriteError {
        if (a instanceof MilArg.Const c) return c.data();
        throw new WriteError(what + ": '" + param + "' must be a constant here");
    }

    private static Map.Entry<String, MilArg> param(String name, MilArg a) { return Map.entry(name, a); }

    // ---- constexpr emission --------------------------------------------------------------------

    /**
     * One constexpr op: below iOS18 every parameter is an attribute holding the value; from iOS18
     * parameters are inputs, bound to a value or to another constexpr op's output (ir/MIL_DIALECT.md, Constexpr ops).
     */
    private void emitConstexpr(String type, String nameHint, List<Map.Entry<String, MilArg>> args, List<Value> results)
            throws WriteError {
        List<MilProto.NamedValueType> outs = new ArrayList<>();
        for (Value r : results) {
            if (r.isAbsent()) throw new WriteError(type + " '" + nameHint + "' has an unnamed result");
            outs.add(MilProto.NamedValueType.newBuilder().setName(nameOf(r)).setType(type(r.type(), "value '" + r.name() + "'")).build());
        }
        emitConstexprOutputs(type, nameHint, args, outs);
    }

    /**
     * Parameter order of each constexpr op (coremltools' input_spec). Values are encoded, and so
     * blobs laid out, in this order, as coremltools does.
     */
    private static final Map<String, List<String>> INPUT_SPEC = Map.of(
            "constexpr_affine_dequantize", List.of("quantized_data", "zero_point", "scale", "axis"),
            "constexpr_cast", List.of("source_val", "output_dtype"),
            "constexpr_lut_to_dense", List.of("indices", "lut", "shape", "vector_axis"),
            "constexpr_sparse_to_dense", List.of("nonzero_data", "mask", "shape"),
            "constexpr_blockwise_shift_scale", List.of("data", "scale", "offset"),
            "constexpr_lut_to_sparse", List.of("indices_mask", "indices_nonzero_data", "lut", "vector_axis"),
            "constexpr_sparse_blockwise_shift_scale", List.of("data_mask", "nonzero_data", "scale", "offset"));

    private void emitConstexprOutputs(String type, String nameHint, List<Map.Entry<String, MilArg>> unordered,
                                      List<MilProto.NamedValueType> outputs) throws WriteError {
        List<String> spec = INPUT_SPEC.getOrDefault(type, List.of());
        List<Map.Entry<String, MilArg>> args = new ArrayList<>(unordered);
        args.sort(java.util.Comparator.comparingInt(e -> spec.contains(e.getKey()) ? spec.indexOf(e.getKey()) : spec.size()));
        MilProto.Operation.Builder op = MilProto.Operation.newBuilder().setType(type);
        op.putAttributes("name", MilValueEncoder.string(opNames.fresh(nameHint)));
        boolean asAttributes = !target.atLeast(CoreMlTarget.IOS18);
        for (Map.Entry<String, MilArg> e : args) {
            MilArg a = e.getValue();
            if (asAttributes) {
                if (!(a instanceof MilArg.Const c)) {
                    throw new WriteError(type + " '" + nameHint + "': parameter '" + e.getKey()
                            + "' comes from another constexpr op, which needs --target ios18 or later");
                }
                op.putAttributes(e.getKey(), encoder.value(c.data()));
            } else {
                MilProto.Argument.Binding.Builder b = MilProto.Argument.Binding.newBuilder();
                if (a instanceof MilArg.Const c) b.setValue(encoder.value(c.data()));
                else b.setName(((MilArg.Var) a).name());
                op.putInputs(e.getKey(), MilProto.Argument.newBuilder().addArguments(b).build());
            }
        }
        op.addAllOutputs(outputs);
        operations.add(op.build());
    }

    private MilProto.NamedValueType namedType(String name, TensorType t) {
        return MilProto.NamedValueType.newBuilder().setName(name).setType(MilValueEncoder.valueType(t)).build();
    }

    // ---- pare ops ------------------------------------------------------------------------------

    /** "weight 'W' (node conv1)": the dense result and the first op that uses it. */
    private String describe(Node node) {
        Value r = node.results().isEmpty() ? null : node.result(0);
        String weight = r == null ? node.name() : r.name();
        String consumer = node.name();
        if (r != null) {
            for (Value.Use u : r.uses()) {
                if (!u.user().op().startsWith("pare.")) { consumer = u.user().name(); break; }
                Value inner = u.user().results().isEmpty() ? null : u.user().result(0);
                if (inner != null && !inner.uses().isEmpty()) { consumer = inner.uses().get(0).user().name(); break; }
            }
        }
        return "weight '" + weight + "' (node " + consumer + ")";
    }

    private void lowerPare(Node node) throws WriteError {
        String what = describe(node);
        Value out = node.results().isEmpty() ? null : node.result(0);
        if (out == null || out.isAbsent()) throw new WriteError(node.op() + " '" + node.name() + "' has no result");
        switch (node.op()) {
            case PARE_LUT: {
                if (node.operands().size() != 2) throw new WriteError(what + ": " + PARE_LUT + " takes (indices, lut)");
                Attribute va = node.attributes().get("vector_axis").orElse(null);
                Integer axis = va instanceof Attribute.IntAttr i ? (int) i.value() : null;
                lowerLut(what, arg(node.operand(0), node), arg(node.operand(1), node), axis, out);
                return;
            }
            case PARE_AFFINE: {
                if (node.operands().size() < 2 || node.operands().size() > 3) throw new WriteError(what + ": " + PARE_AFFINE + " takes (data, scale[, zero_point])");
                Node lut = scaledLuts.get(node);
                if (lut != null) {
                    lowerScaledLut(what, lut, node, out);
                    return;
                }
                Value zp = node.operands().size() == 3 && !node.operand(2).isAbsent() ? node.operand(2) : null;
                lowerAffine(what, arg(node.operand(0), node), arg(node.operand(1), node), zp == null ? null : arg(zp, node),
                        blockSizes(node), out, node.name());
                return;
            }
            case PARE_SPARSE:
                lowerPareSparse(what, node, out);
                return;
            case PARE_QUANTIZE:
            case PARE_DEQUANTIZE:
                lowerActivationQuantization(node, out);
                return;
            default:
                throw new WriteError("node '" + node.name() + "': " + node.op() + " has no Core ML form");
        }
    }

    private static long[] blockSizes(Node node) throws WriteError {
        Attribute a = node.attributes().get("block_sizes").orElse(null);
        if (a == null) return null;
        if (!(a instanceof Attribute.IntsAttr ints)) throw new WriteError("node '" + node.name() + "': block_sizes must be ints");
        return ints.values().stream().mapToLong(Long::longValue).toArray();
    }

    private static WriteError needs(String what, String feature, CoreMlTarget need, String detail) {
        return new WriteError(what + ": " + feature + " needs --target " + need.flag()
                + (need == CoreMlTarget.IOS26 ? "" : " or later") + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }

    private void lowerLut(String what, MilArg indices, MilArg lut, Integer vectorAxis, Value out) throws WriteError {
        TensorData idx = constant(indices, what, "indices");
        DType it = idx.dtype();
        if (!LutBits.isIndexType(it)) {
            throw new WriteError(what + ": palettization indices must be " + LutBits.describeTypes() + ", got " + idx.type());
        }
        long[] iShape = idx.type().shape();
        int r = iShape.length;
        TensorType lt = lut.type();
        if (!lt.isStatic() || lt.rank() != r + 2) throw new WriteError(what + ": lut " + lt + " must have rank " + (r + 2) + " for indices " + idx.type());
        long[] lShape = lt.shape();
        long palette = lShape[r];
        long vector = lShape[r + 1];
        if (palette != (1L << it.bits())) {
            throw new WriteError(what + ": lut " + lt + " must hold " + (1L << it.bits()) + " entries for " + it.shortName() + " indices");
        }
        if (target.atLeast(CoreMlTarget.IOS18)) {
            List<Map.Entry<String, MilArg>> args = new ArrayList<>();
            args.add(param("indices", indices));
            args.add(param("lut", lut));
            if (vector > 1) {
                if (vectorAxis == null) throw new WriteError(what + ": a vector lut " + lt + " needs vector_axis");
                args.add(param("vector_axis", new MilArg.Const(MilTensors.int32Scalar(vectorAxis))));
            }
            emitConstexprOutputs("constexpr_lut_to_dense", out.name(), args, List.of(namedType(nameOf(out), outType(out, lt.dtype()))));
            return;
        }
        boolean grouped = false;
        for (int d = 0; d < r; d++) grouped |= lShape[d] != 1;
        String detail = "iOS16/17 constexpr_lut_to_dense has one scalar LUT per weight";
        if (vector > 1) throw needs(what, "vector palettization (cluster_dim " + vector + ")", CoreMlTarget.IOS18, detail);
        if (grouped) throw needs(what, "per-grouped-channel palettization (LUT shape " + lt + ")", CoreMlTarget.IOS18, detail);
        if (!IOS16_LUT_SIZES.contains(palette)) {
            throw needs(what, it.bits() + "-bit palettization", CoreMlTarget.IOS18,
                    "iOS16/17 constexpr_lut_to_dense allows LUT sizes 2, 4, 16, 64, 256");
        }
        if (!(lut instanceof MilArg.Const c)) {
            throw needs(what, "a LUT computed by another op (quantized LUT)", CoreMlTarget.IOS18, "");
        }
        DenseData packed = MilTensors.retype(idx, TensorType.of(DType.UINT8, idx.byteSize()));
        DenseData flatLut = MilTensors.retype(c.data(), TensorType.of(lt.dtype(), palette));
        emitConstexprOutputs("constexpr_lut_to_dense", out.name(),
                List.of(param("indices", new MilArg.Const(packed)), param("lut", new MilArg.Const(flatLut)),
                        param("shape", new MilArg.Const(MilTensors.uint32Shape(iShape)))),
                List.of(namedType(nameOf(out), outType(out, lt.dtype()))));
    }

    /**
     * Below iOS26, {@code affine(lut_to_dense(indices, lut), scale)} as
     * {@code lut_to_dense(indices, blockwise_shift_scale(lut', scale'))} (see {@link ScaledLut});
     * when that form does not exist exactly, the LUT first as at iOS26.
     */
    private void lowerScaledLut(String what, Node lutNode, Node affine, Value out) throws WriteError {
        MilArg indices = arg(lutNode.operand(0), lutNode);
        MilArg lut = arg(lutNode.operand(1), lutNode);
        TensorData scale = constant(arg(affine.operand(1), affine), what, "scale");
        ScaledLut scaled = ScaledLut.of(outType(out, scale.dtype()).shape(), constant(lut, what, "lut"), scale);
        if (scaled == null) {
            lowerLut(what, indices, lut, null, lutNode.result(0));
            lowerAffine(what, arg(lutNode.result(0), affine), new MilArg.Const(scale), null, null, out, affine.name());
            return;
        }
        String lutName = names.fresh(lutNode.result(0).name() + "_scaled_lut");
        TensorType lutType = scaled.lut().type();
        emitConstexprOutputs("constexpr_blockwise_shift_scale", affine.name() + "_lut",
                List.of(param("data", new MilArg.Const(scaled.lut())), param("scale", new MilArg.Const(scaled.scale()))),
                List.of(namedType(lutName, lutType)));
        lowerLut(what, indices, new MilArg.Var(lutName, lutType), null, out);
    }

    /** The result's type with the dtype the Core ML op produces. */
    private static TensorType outType(Value out, DType dtype) throws WriteError {
        TensorType t = out.tensorType();
        if (!t.isStatic()) throw new WriteError("compressed weight '" + out.name() + "' has no static shape (" + t + ")");
        return t.withDType(dtype);
    }

    /** Block lengths per axis (the last block of an axis may be partial; see {@link BlockRefit}). */
    private static long[] blocks(String what, long[] shape, long[] scaleShape, long[] blockSizes) throws WriteError {
        if (scaleShape.length != shape.length) {
            throw new WriteError(what + ": scale has rank " + scaleShape.length + " but the data has rank " + shape.length);
        }
        long[] block = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            long s = scaleShape[d];
            block[d] = blockSizes != null ? blockSizes[d] : s == 0 ? 1 : (shape[d] + s - 1) / s;
            if (block[d] <= 0 || (shape[d] + block[d] - 1) / block[d] != s) {
                throw new WriteError(what + ": " + s + " blocks of " + block[d] + " along axis " + d + " do not cover its "
                        + shape[d] + " elements");
            }
        }
        return block;
    }

    private void lowerAffine(String what, MilArg data, MilArg scale, MilArg zeroPoint, long[] blockSizes, Value out, String nameHint)
            throws WriteError {
        TensorData sc = constant(scale, what, "scale");
        TensorData zp = zeroPoint == null ? null : constant(zeroPoint, what, "zero_point");
        if (!(sc.dtype() == DType.FLOAT32 || sc.dtype() == DType.FLOAT16)) throw new WriteError(what + ": scale must be f32 or f16, got " + sc.type());
        TensorType dt = data.type();
        if (!dt.isStatic()) throw new WriteError(what + ": quantized data has no static shape");
        long[] shape = dt.shape();
        long[] sShape = sc.type().shape();
        long[] block = blocks(what, shape, sShape, blockSizes);
        if (zp != null && !java.util.Arrays.equals(zp.type().shape(), sShape)) {
            throw new WriteError(what + ": zero_point " + zp.type() + " must have the scale's shape " + sc.type());
        }
        if (BlockRefit.needed(shape, block)) {
            // Core ML blocks divide the axis: re-block losslessly (each parameter repeated).
            sc = BlockRefit.expand(sc, shape, block);
            if (zp != null) zp = BlockRefit.expand(zp, shape, block);
            sShape = sc.type().shape();
        }
        DType d = dt.dtype();
        boolean floatData = d == DType.FLOAT32 || d == DType.FLOAT16;
        if (target.atLeast(CoreMlTarget.IOS18)) {
            if (!floatData && !(d == DType.INT4 || d == DType.UINT4 || d == DType.INT8 || d == DType.UINT8)) {
                throw new WriteError(what + ": " + d.shortName() + " quantized data has no Core ML form "
                        + "(constexpr_blockwise_shift_scale takes i4, u4, i8, u8)");
            }
            List<Map.Entry<String, MilArg>> args = new ArrayList<>();
            args.add(param("data", data));
            args.add(param("scale", new MilArg.Const(sc)));
            if (zp != null && !MilTensors.allZero(zp)) args.add(param("offset", new MilArg.Const(zp)));
            emitConstexprOutputs("constexpr_blockwise_shift_scale", nameHint, args,
                    List.of(namedType(nameOf(out), outType(out, sc.dtype()))));
            return;
        }
        String detail = "iOS16/17 constexpr_affine_dequantize takes i8/u8 data, per tensor or per channel";
        if (!(data instanceof MilArg.Const c)) {
            throw needs(what, "a scale applied to a computed weight (palettization with per-channel scales)", CoreMlTarget.IOS18, "");
        }
        if (floatData || !(d == DType.INT8 || d == DType.UINT8)) {
            throw needs(what, d.shortName() + " quantization", CoreMlTarget.IOS18, detail);
        }
        int axis = -1;
        for (int a = 0; a < shape.length; a++) {
            if (sShape[a] == 1) continue;
            if (axis >= 0 || sShape[a] != shape[a]) {
                throw needs(what, "per-block quantization (scale shape " + sc.type() + " for " + dt + ")", CoreMlTarget.IOS18, detail);
            }
            axis = a;
        }
        TensorType vecType = axis < 0 ? TensorType.of(sc.dtype()) : TensorType.of(sc.dtype(), shape[axis]);
        TensorType zpType = vecType.withDType(d);
        DenseData scaleVec = MilTensors.retype(sc, vecType);
        DenseData zpVec = zp == null ? MilTensors.zeros(zpType) : MilTensors.retype(zp, zpType);
        emitConstexprOutputs("constexpr_affine_dequantize", nameHint,
                List.of(param("quantized_data", c), param("zero_point", new MilArg.Const(zpVec)),
                        param("scale", new MilArg.Const(scaleVec)), param("axis", new MilArg.Const(MilTensors.int32Scalar(Math.max(axis, 0))))),
                List.of(namedType(nameOf(out), outType(out, sc.dtype()))));
    }

    private void lowerPareSparse(String what, Node node, Value out) throws WriteError {
        if (node.operands().size() != 2) throw new WriteError(what + ": " + PARE_SPARSE + " takes (mask, values)");
        Value maskV = node.operand(0);
        Value valuesV = node.operand(1);
        TensorData mask = constant(arg(maskV, node), what, "mask");
        if (mask.dtype() != DType.UINT1) throw new WriteError(what + ": the sparsity mask must be u1, got " + mask.type());
        if (valuesV.isConstant()) {
            lowerSparseConstants(what, mask, valuesV.data(), out, node.name());
            return;
        }
        Node inner = valuesV.producer();
        boolean lut = inner != null && inner.op().equals(PARE_LUT);
        boolean affine = inner != null && inner.op().equals(PARE_AFFINE);
        if (!lut && !affine) {
            throw new WriteError(what + ": sparse values computed by " + (inner == null ? "a non-constant" : inner.op())
                    + " cannot be written as a Core ML sparse weight");
        }
        if (!target.atLeast(CoreMlTarget.IOS18)) {
            throw needs(what, "joint sparse + " + (lut ? "palettized" : "quantized") + " compression", CoreMlTarget.IOS18,
                    "iOS16/17 constexpr_sparse_to_dense takes the kept values as a constant");
        }
        if (!absorbed.contains(inner)) {
            throw new WriteError(what + ": the sparse values '" + valuesV.name() + "' are also used densely elsewhere; "
                    + "Core ML cannot share them between a sparse and a dense weight");
        }
        long[] shape = mask.type().shape();
        String innerWhat = describe(inner);
        String maskName = names.fresh(out.name() + "_mask");
        String nzName = names.fresh(out.name() + "_nonzero");
        if (lut) {
            TensorData idx = constant(arg(inner.operand(0), inner), innerWhat, "indices");
            MilArg lutArg = arg(inner.operand(1), inner);
            TensorType lt = lutArg.type();
            if (!lt.isStatic() || lt.rank() != shape.length + 2) throw new WriteError(innerWhat + ": lut " + lt + " must have rank " + (shape.length + 2));
            if (lt.shape()[shape.length + 1] != 1) {
                throw new WriteError(what + ": joint sparse + vector palettization cannot be written to Core ML");
            }
            if (!java.util.Arrays.equals(idx.type().shape(), shape)) {
                throw new WriteError(what + ": indices " + idx.type() + " do not match the mask " + mask.type());
            }
            DenseData nzIdx = MilTensors.compact(idx, mask);
            emitConstexprOutputs("constexpr_lut_to_sparse", inner.name(),
                    List.of(param("indices_mask", new MilArg.Const(mask)), param("indices_nonzero_data", new MilArg.Const(nzIdx)),
                            param("lut", lutArg)),
                    List.of(namedType(maskName, mask.type()), namedType(nzName, TensorType.of(lt.dtype(), nzIdx.elementCount()))));
            emitSparseToDense(maskName, mask.type(), nzName, TensorType.of(lt.dtype(), nzIdx.elementCount()), out, node.name());
            return;
        }
        MilArg dataArg = arg(inner.operand(0), inner);
        if (!(dataArg instanceof MilArg.Const dc) || !dc.data().dtype().isInteger()) {
            throw new WriteError(what + ": joint sparse + palettized weight with per-channel scales cannot be written to Core ML");
        }
        TensorData data = dc.data();
        DType d = data.dtype();
        if (!(d == DType.INT4 || d == DType.UINT4 || d == DType.INT8 || d == DType.UINT8)) {
            throw new WriteError(what + ": " + d.shortName() + " quantized data has no Core ML form (i4, u4, i8, u8)");
        }
        TensorData sc = constant(arg(inner.operand(1), inner), innerWhat, "scale");
        TensorData zp = inner.operands().size() == 3 && !inner.operand(2).isAbsent()
                ? constant(arg(inner.operand(2), inner), innerWhat, "zero_point") : null;
        long[] block = blocks(innerWhat, shape, sc.type().shape(), blockSizes(inner));
        if (BlockRefit.needed(shape, block)) {
            sc = BlockRefit.expand(sc, shape, block);
            if (zp != null) zp = BlockRefit.expand(zp, shape, block);
        }
        DenseData nz = MilTensors.compact(data, mask);
        List<Map.Entry<String, MilArg>> args = new ArrayList<>();
        args.add(param("data_mask", new MilArg.Const(mask)));
        args.add(param("nonzero_data", new MilArg.Const(nz)));
        args.add(param("scale", new MilArg.Const(sc)));
        if (zp != null && !MilTensors.allZero(zp)) args.add(param("offset", new MilArg.Const(zp)));
        TensorType nzType = TensorType.of(sc.dtype(), nz.elementCount());
        emitConstexprOutputs("constexpr_sparse_blockwise_shift_scale", inner.name(), args,
                List.of(namedType(maskName, mask.type()), namedType(nzName, nzType)));
        emitSparseToDense(maskName, mask.type(), nzName, nzType, out, node.name());
    }

    private void emitSparseToDense(String maskName, TensorType maskType, String nzName, TensorType nzType, Value out, String nameHint)
            throws WriteError {
        emitConstexprOutputs("constexpr_sparse_to_dense", nameHint,
                List.of(param("nonzero_data", new MilArg.Var(nzName, nzType)), param("mask", new MilArg.Var(maskName, maskType))),
                List.of(namedType(nameOf(out), outType(out, nzType.dtype()))));
    }

    private void lowerSparseConstants(String what, TensorData mask, TensorData values, Value out, String nameHint) throws WriteError {
        long[] shape = mask.type().shape();
        long kept = MilTensors.popcount(mask);
        TensorData nz;
        if (values.type().rank() == 1 && values.elementCount() == kept) {
            nz = values;
        } else if (java.util.Arrays.equals(values.type().shape(), shape)) {
            nz = MilTensors.compact(values, mask);
        } else {
            throw new WriteError(what + ": sparse values " + values.type() + " must be [" + kept + "] (the kept count) or the mask's shape " + mask.type());
        }
        DType d = nz.dtype();
        if (target.atLeast(CoreMlTarget.IOS18)) {
            emitConstexprOutputs("constexpr_sparse_to_dense", nameHint,
                    List.of(param("nonzero_data", new MilArg.Const(nz)), param("mask", new MilArg.Const(mask))),
                    List.of(namedType(nameOf(out), outType(out, d))));
            return;
        }
        if (!(d == DType.FLOAT16 || d == DType.FLOAT32 || d == DType.INT8 || d == DType.UINT8)) {
            throw needs(what, d.shortName() + " sparse values", CoreMlTarget.IOS18, "iOS16/17 constexpr_sparse_to_dense takes f16, f32, i8, u8");
        }
        DenseData maskBytes = MilTensors.retype(mask, TensorType.of(DType.UINT8, mask.byteSize()));
        emitConstexprOutputs("constexpr_sparse_to_dense", nameHint,
                List.of(param("nonzero_data", new MilArg.Const(nz)), param("mask", new MilArg.Const(maskBytes)),
                        param("shape", new MilArg.Const(MilTensors.uint32Shape(shape)))),
                List.of(namedType(nameOf(out), outType(out, d))));
    }

    // ---- activation quantization ---------------------------------------------------------------

    private void lowerActivationQuantization(Node node, Value out) throws WriteError {
        boolean quantize = node.op().equals(PARE_QUANTIZE);
        String what = "node '" + node.name() + "' (" + node.op() + ")";
        if (!target.atLeast(CoreMlTarget.IOS17)) {
            throw needs(what, "activation quantization", CoreMlTarget.IOS17, "Core ML quantize/dequantize ops start at iOS17");
        }
        if (node.operands().size() != 3) throw new WriteError(what + " takes (input, scale, zero_point)");
        Value scale = node.operand(1);
        Value zp = node.operand(2);
        if (!scale.isConstant() || !zp.isConstant()) throw new WriteError(what + ": scale and zero_point must be constants");
        DType qType = zp.data().dtype();
        if (!(qType == DType.INT8 || qType == DType.UINT8)) throw new WriteError(what + ": zero_point must be i8 or u8, got " + zp.data().type());
        MilProto.Operation.Builder op = MilProto.Operation.newBuilder().setType(quantize ? "quantize" : "dequantize");
        bind(op, "input", varName(node.operand(0), node));
        // An all-zero zero point is the default; coremltools leaves it out for symmetric int8.
        if (!MilTensors.allZero(zp.data())) bind(op, "zero_point", constOp(zp));
        bind(op, "scale", constOp(scale));
        Attribute axis = node.attributes().get("axis").orElse(null);
        if (axis instanceof Attribute.IntAttr a) {
            bind(op, "axis", constOp(node.name() + "_axis", MilTensors.int32Scalar(a.value())));
        } else if (scale.data().type().rank() > 0 && scale.data().elementCount() > 1) {
            throw new WriteError(what + ": a per-axis scale " + scale.data().type() + " needs the axis attribute");
        }
        if (quantize) {
            bind(op, "output_dtype", constOp(node.name() + "_output_dtype",
                    MilTensors.stringScalar(qType == DType.INT8 ? "int8" : "uint8")));
        }
        op.putAttributes("name", MilValueEncoder.string(opNames.fresh(node.name())));
        op.addOutputs(output(out, node));
        operations.add(op.build());
    }

    private static void bind(MilProto.Operation.Builder op, String param, String var) {
        op.putInputs(param, MilProto.Argument.newBuilder().addArguments(MilProto.Argument.Binding.newBuilder().setName(var)).build());
    }

}
