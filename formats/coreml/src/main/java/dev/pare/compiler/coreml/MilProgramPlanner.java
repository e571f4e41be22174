package dev.pare.compiler.coreml;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attribute;
import dev.pare.ir.Graph;
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
 * Turns one function graph of a mil-dialect model into a MIL function for a target and plans
 * weight.bin: each node one operation, constants {@code const} ops or values bound in place
 * (ir/MIL_DIALECT.md). The graph is already lowered for the target ({@code lower_to_coreml}:
 * {@code pare.*} ops are refused here). Nodes with subgraphs ({@code cond}, {@code while_loop})
 * become operations with nested blocks. Nothing is written here; every refusal is a
 * {@link WriteError} naming the node and what the file cannot hold. Planners of the functions of one model share a
 * {@link BlobPlan}, so a weight used by several functions is stored once.
 */
final class MilProgramPlanner {

    /** A refusal; the exporter adds the output path. */
    static final class WriteError extends Exception {
        WriteError(String message) { super(message); }
    }

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
        List<Value> readConsts = readConstOrder(g);
        int nextConst = 0;
        for (Node node : g.nodes()) {
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
                throw new WriteError(scope + "node '" + node.name() + "' is " + op + "; lower the model with the "
                        + CoreMlFormat.LOWERING_PASS + " pass first (pare compile runs it for Core ML outputs)");
            } else if (op.startsWith("mil.constexpr_")) {
                writeConstexpr(node);
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
        return op.startsWith("mil.constexpr_");
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
        op.putAttributes("name", MilValueEncoder.string(opNames.fresh(milOpName(node))));
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

    /**
     * A constexpr op as it is: its parameters in coremltools' order, as attributes below iOS18 and
     * as inputs from iOS18 (lower_to_coreml has given it the target's form). Refused only when the
     * target's opset has no such op or form.
     */
    private void writeConstexpr(Node node) throws WriteError {
        List<String> params = params(node);
        String what = "node '" + node.name() + "' (" + node.op() + ")";
        String type = node.opType();
        boolean ios16Form = params.contains("shape");
        boolean ios18Only = type.equals("constexpr_lut_to_sparse") || type.equals("constexpr_sparse_blockwise_shift_scale")
                || type.equals("constexpr_blockwise_shift_scale")
                || type.equals("constexpr_lut_to_dense") || type.equals("constexpr_sparse_to_dense");
        if (ios18Only && !ios16Form && !target.atLeast(CoreMlTarget.IOS18)) {
            throw needs(what, type, CoreMlTarget.IOS18, "");
        }
        boolean ios16Only = type.equals("constexpr_affine_dequantize")
                || (ios16Form && (type.equals("constexpr_lut_to_dense") || type.equals("constexpr_sparse_to_dense")));
        if (ios16Only && target.atLeast(CoreMlTarget.IOS18)) {
            throw new WriteError(what + ": the iOS16 form of " + type + " has no " + target.flag()
                    + " form in the file; lower the model with the " + CoreMlFormat.LOWERING_PASS + " pass first");
        }
        List<Map.Entry<String, MilArg>> args = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Value v = node.operand(i);
            if (!v.isAbsent()) args.add(param(params.get(i), arg(v, node)));
        }
        emitConstexpr(type, milOpName(node), args, node.results());
    }

    /** The MIL op name of a node: its name, unless lowering recorded another ({@link CoreMlKeys#OP_NAME}). */
    private static String milOpName(Node node) {
        return node.metadata().getOrDefault(OP_NAME, node.name());
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

    private static WriteError needs(String what, String feature, CoreMlTarget need, String detail) {
        return new WriteError(what + ": " + feature + " needs --target " + need.flag()
                + (need == CoreMlTarget.IOS26 ? "" : " or later") + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }
}
