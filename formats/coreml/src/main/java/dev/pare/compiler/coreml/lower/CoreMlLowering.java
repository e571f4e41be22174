package dev.pare.compiler.coreml.lower;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.MilTensors;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.GraphCopy;
import dev.pare.ir.LutBits;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites one function graph for a Core ML target: every {@code pare.*} op becomes the constexpr
 * ops of the target (ir/MIL_DIALECT.md, Constexpr ops), and read constexpr ops of another target's
 * form are re-expressed for this one. The result is the form {@code CoreMlImporter} builds from a
 * package: {@code mil.constexpr_*} nodes whose {@code params} attribute names their operands, and
 * {@code mil.quantize}/{@code mil.dequantize} for activation quantization, so the writer
 * ({@code MilProgramPlanner}) serializes it op for op. What a target cannot express is refused
 * with a {@link CoreMlLoweringException} naming the weight and the target that could.
 *
 * <p>Each new op is inserted where the op it replaces stood; the last op of a lowering takes over
 * the replaced result's name, uses and metadata. Ops keep the MIL name the Core ML writer gave them
 * before lowering was a pass: the node's name, or {@link CoreMlKeys#OP_NAME} in the node's
 * metadata when the graph already has a node of that name.
 */
public final class CoreMlLowering {

    static final String PARE_AFFINE = "pare.affine_dequantize";
    static final String PARE_LUT = "pare.lut_to_dense";
    static final String PARE_SPARSE = "pare.sparse_to_dense";
    static final String PARE_QUANTIZE = "pare.quantize";
    static final String PARE_DEQUANTIZE = "pare.dequantize";

    private static final Set<Long> IOS16_LUT_SIZES = Set.of(2L, 4L, 16L, 64L, 256L);

    private final Graph graph;
    private final CoreMlTarget target;
    private final Rewriter rw;
    private final Set<Node> absorbed = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Below iOS26: each scaled palettized weight's {@code pare.affine_dequantize} and the LUT node it absorbs. */
    private final Map<Node, Node> scaledLuts = new IdentityHashMap<>();
    /** The node being lowered (new ops go before it and take its location). */
    private Node current;
    /** Old result to the new value that replaces it, for the node being lowered. */
    private final Map<Value, Value> replaced = new LinkedHashMap<>();
    /** New intermediate values whose name was taken when they were made (by a value the lowering removes). */
    private final Map<Value, String> wanted = new LinkedHashMap<>();
    private int lowered;

    /** Where new constant payloads go (compacted sparse values): file-backed in a compilation. */
    private final TensorStore store;

    private CoreMlLowering(Graph graph, CoreMlTarget target, TensorStore store) {
        this.graph = graph;
        this.target = target;
        this.store = store;
        this.rw = graph.rewriter();
    }

    /**
     * Lowers every function of {@code model} for its target ({@link CoreMlTarget#forFunction});
     * returns the number of ops rewritten. All or nothing: each function is first lowered on a
     * scratch copy ({@link GraphCopy}), so a refusal leaves the model as it was.
     */
    public static int lowerInPlace(Model model) throws CoreMlLoweringException {
        return lowerInPlace(model, TensorStore.heap());
    }

    /** {@link #lowerInPlace(Model)} with the payloads it creates put into {@code store}. */
    public static int lowerInPlace(Model model, TensorStore store) throws CoreMlLoweringException {
        CoreMlTarget t;
        try {
            t = CoreMlTarget.of(model);
        } catch (IllegalArgumentException e) {
            throw new CoreMlLoweringException(e.getMessage());
        }
        List<Graph> functions = new ArrayList<>();
        functions.add(model.graph());
        functions.addAll(model.functions());
        boolean multi = functions.size() > 1;
        List<CoreMlTarget> targets = new ArrayList<>();
        for (Graph g : functions) {
            CoreMlTarget ft = CoreMlTarget.forFunction(model, g, t);
            targets.add(ft);
            try {
                Graph trial = GraphCopy.of(g);
                if (trial != null) lowerInPlace(trial, ft, store);
            } catch (CoreMlLoweringException e) {
                throw multi ? new CoreMlLoweringException("function '" + g.name() + "': " + e.getMessage()) : e;
            }
        }
        int n = 0;
        for (int i = 0; i < functions.size(); i++) n += lowerInPlace(functions.get(i), targets.get(i), store);
        return n;
    }

    /** Lowers one function graph (its nested blocks included) for {@code target}; returns the ops rewritten. */
    public static int lowerInPlace(Graph g, CoreMlTarget target) throws CoreMlLoweringException {
        return lowerInPlace(g, target, TensorStore.heap());
    }

    /** {@link #lowerInPlace(Graph, CoreMlTarget)} with the payloads it creates put into {@code store}. */
    public static int lowerInPlace(Graph g, CoreMlTarget target, TensorStore store) throws CoreMlLoweringException {
        CoreMlLowering l = new CoreMlLowering(g, target, store);
        l.lowerBlock(g, null);
        return l.lowered;
    }


    // ---- graph walk ----------------------------------------------------------------------------

    private void lowerBlock(Graph g, Node owner) throws CoreMlLoweringException {
        String scope = owner == null ? "" : "nested block '" + g.name() + "' of node '" + owner.name() + "': ";
        if (owner == null) findAbsorbed(g);
        for (Node node : List.copyOf(g.nodes())) {
            for (Graph sub : node.subgraphs()) {
                CoreMlLowering inner = new CoreMlLowering(sub, target, store);
                inner.lowerBlock(sub, node);
                lowered += inner.lowered;
            }
            if (absorbed.contains(node)) continue;
            String op = node.op();
            if (op.startsWith("pare.")) {
                if (owner != null) {
                    throw new CoreMlLoweringException(scope + "node '" + node.name() + "' is " + op + "; the Core ML lowering "
                            + "handles pare.* ops only in a function's top-level block");
                }
                begin(node);
                lowerPare(node);
                finish();
            } else if (ios18OnlyBelowIos18(node)) {
                throw needs("node '" + node.name() + "' (" + op + ")", node.opType(), CoreMlTarget.IOS18, "");
            } else if (isLoweredConstexpr(node)) {
                begin(node);
                lowerMilConstexpr(node);
                finish();
            } else {
                continue;
            }
            lowered++;
        }
    }

    /** A read iOS18-only constexpr op (no iOS16 form to fall back to) at a target below iOS18. */
    private boolean ios18OnlyBelowIos18(Node node) {
        if (target.atLeast(CoreMlTarget.IOS18)) return false;
        String t = node.opType();
        return t.equals("constexpr_lut_to_sparse") || t.equals("constexpr_sparse_blockwise_shift_scale");
    }

    /** Read constexpr ops whose form depends on the target (the others are written as they are). */
    private boolean isLoweredConstexpr(Node node) {
        if (!node.op().startsWith("mil.constexpr_")) return false;
        boolean ios16Form;
        try {
            ios16Form = MilParams.names(node).contains("shape");
        } catch (IllegalStateException e) {
            return false;   // the writer names the bad params attribute
        }
        return switch (node.opType()) {
            case "constexpr_lut_to_dense", "constexpr_sparse_to_dense" -> !ios16Form || target.atLeast(CoreMlTarget.IOS18);
            case "constexpr_blockwise_shift_scale" -> true;
            case "constexpr_affine_dequantize" -> target.atLeast(CoreMlTarget.IOS18);
            default -> false;
        };
    }

    private void begin(Node node) {
        current = node;
        replaced.clear();
        wanted.clear();
    }

    /**
     * Moves the uses of each replaced result to its new value, erases the replaced nodes (the
     * lowered node and what it absorbed) and their constants nothing uses any more, and gives the
     * new values the old names.
     */
    private void finish() {
        Set<Node> gone = new LinkedHashSet<>();
        gone.add(current);
        for (Value old : replaced.keySet()) if (old.producer() != null) gone.add(old.producer());
        for (Node n : List.copyOf(gone)) {
            for (Value o : n.operands()) {
                Node p = o.producer();
                if (p != null && absorbed.contains(p)) gone.add(p);
            }
        }
        for (Map.Entry<Value, Value> e : replaced.entrySet()) {
            Value old = e.getKey();
            Value now = e.getValue();
            Map<String, String> meta = new LinkedHashMap<>(old.metadata());
            meta.putAll(now.metadata());
            rw.setMetadata(now, meta);
            rw.replaceAllUsesWith(old, now);
        }
        Set<Value> operands = new LinkedHashSet<>();
        for (Node n : gone) {   // consumers before producers
            for (Value o : n.operands()) if (o.isConstant() && o.graph() == graph) operands.add(o);
            rw.erase(n);
        }
        for (Value c : operands) if (!c.hasUses() && !graph.isOutput(c)) rw.eraseConstant(c);
        for (Map.Entry<Value, Value> e : replaced.entrySet()) rw.renameValue(e.getValue(), e.getKey().name());
        for (Map.Entry<Value, String> e : wanted.entrySet()) {
            if (!graph.isNameTaken(e.getValue())) rw.renameValue(e.getKey(), e.getValue());
        }
        current = null;
    }

    /** pare weight ops folded into a joint sparse op or a scaled LUT: they are lowered only as part of it. */
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

    // ---- operands ------------------------------------------------------------------------------

    /** An operand of a new op: a tensor (kept as {@code source} when it is that constant's data) or a value. */
    private sealed interface Arg {
        TensorType type();

        record Const(TensorData data, Value source) implements Arg {
            Const(TensorData data) { this(data, null); }
            @Override public TensorType type() { return data.type(); }
        }

        record Var(Value value) implements Arg {
            @Override public TensorType type() { return value.tensorType(); }
        }
    }

    /** A result of a new op: a new value named {@code name}, or the value {@code replaces} (which it takes over). */
    private record Out(String name, TensorType type, Value replaces) {
        static Out replacing(Value v, TensorType type) { return new Out(v.name(), type, v); }
        static Out fresh(String name, TensorType type) { return new Out(name, type, null); }
    }

    private static boolean constexprLike(Node n) {
        String op = n.op();
        return op.startsWith("mil.constexpr_") || op.equals(PARE_AFFINE) || op.equals(PARE_LUT) || op.equals(PARE_SPARSE);
    }

    /** The operand as a constexpr parameter: its constant, or the op output that computes it. */
    private Arg arg(Value v, Node user) throws CoreMlLoweringException {
        if (v.isConstant()) {
            if (v.data() == null) throw new CoreMlLoweringException("constant '" + v.name() + "' has no data");
            return new Arg.Const(v.data(), v);
        }
        Node p = v.producer();
        if (p == null || !constexprLike(p)) {
            throw new CoreMlLoweringException("node '" + user.name() + "' (" + user.op() + "): operand '" + v.name()
                    + "' must be a constant or a compressed-weight op written before it");
        }
        return new Arg.Var(v);
    }

    private static TensorData constant(Arg a, String what, String param) throws CoreMlLoweringException {
        if (a instanceof Arg.Const c) return c.data();
        throw new CoreMlLoweringException(what + ": '" + param + "' must be a constant here");
    }

    private static Map.Entry<String, Arg> param(String name, Arg a) { return Map.entry(name, a); }

    // ---- emission ------------------------------------------------------------------------------

    /**
     * Inserts one {@code mil.<type>} node before the node being lowered. Tensor parameters become
     * constants named {@code <op>_<param>} (as the reader names inline values); results named
     * after a replaced value get its name once the replaced node is gone.
     */
    private List<Value> emit(String type, String nameHint, List<Map.Entry<String, Arg>> args, List<Out> outs) {
        rw.setInsertionPointBefore(current);
        String nodeName = rw.uniqueNodeName(nameHint);
        List<Value> operands = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, Arg> e : args) {
            params.add(e.getKey());
            operands.add(materialize(nameHint, e.getKey(), e.getValue()));
        }
        List<String> names = new ArrayList<>();
        List<Type> types = new ArrayList<>();
        for (Out o : outs) {
            String hint = o.replaces() == null ? o.name() : o.name() + "_lowered";
            String chosen = rw.uniqueValueName(hint);
            while (names.contains(chosen)) chosen = rw.uniqueValueName(chosen + "_");
            names.add(chosen);
            types.add(o.type());
        }
        Attributes attrs = Attributes.builder().put(MilParams.ATTRIBUTE, MilParams.attribute(params)).build();
        Node n = rw.createNode(nodeName, "mil." + type, operands, names, types, attrs, current.location());
        if (!nodeName.equals(nameHint)) rw.setMetadata(n, Map.of(CoreMlKeys.OP_NAME, nameHint));
        for (int i = 0; i < outs.size(); i++) {
            Value replaces = outs.get(i).replaces();
            if (replaces != null) replaced.put(replaces, n.result(i));
            else if (!names.get(i).equals(outs.get(i).name())) wanted.put(n.result(i), outs.get(i).name());
        }
        return n.results();
    }

    private Value materialize(String opName, String param, Arg a) {
        if (a instanceof Arg.Var v) return v.value();
        Arg.Const c = (Arg.Const) a;
        if (c.source() != null && c.source().data() == c.data()) return c.source();
        Value k = rw.addConstant(rw.uniqueValueName(opName + "_" + param), c.data());
        rw.setMetadata(k, Map.of(CoreMlKeys.INLINE, "true"));
        return k;
    }

    private Value emitOne(String type, String nameHint, List<Map.Entry<String, Arg>> args, Out out) {
        return emit(type, nameHint, args, List.of(out)).get(0);
    }

    // ---- read constexpr ops --------------------------------------------------------------------

    private static List<String> params(Node node) throws CoreMlLoweringException {
        List<String> params;
        try {
            params = MilParams.names(node);
        } catch (IllegalStateException e) {
            throw new CoreMlLoweringException("node '" + node.name() + "' (" + node.op() + "): attribute 'params' must be a list of strings");
        }
        if (params.size() != node.operands().size()) {
            throw new CoreMlLoweringException("node '" + node.name() + "' (" + node.op() + ") has " + node.operands().size()
                    + " operands but its 'params' attribute names " + params.size());
        }
        return params;
    }

    /** The operand bound to {@code param}, or null. */
    private static Value param(Node node, List<String> params, String param) {
        int i = params.indexOf(param);
        return i < 0 ? null : node.operand(i);
    }

    private void lowerMilConstexpr(Node node) throws CoreMlLoweringException {
        List<String> params = params(node);
        String what = "node '" + node.name() + "' (" + node.op() + ")";
        String type = node.opType();
        Value out = node.results().isEmpty() ? null : node.result(0);
        if (out == null || out.isAbsent()) throw new CoreMlLoweringException(what + " has no result");
        boolean ios16Form = params.contains("shape");
        if (type.equals("constexpr_lut_to_dense")) {
            Arg indices = arg(required(node, params, "indices"), node);
            Arg lut = arg(required(node, params, "lut"), node);
            Integer vectorAxis = null;
            if (ios16Form) {
                // iOS16 form at iOS18: same packed bytes, typed by their bit width and the dense shape.
                long[] shape = shapeParam(node, required(node, params, "shape"));
                long paletteSize = lut.type().elementCount();
                DType bits = indexType(paletteSize, what);
                TensorData idx = MilTensors.retype(constant(indices, what, "indices"), TensorType.of(bits, shape));
                long[] lutShape = new long[shape.length + 2];
                Arrays.fill(lutShape, 1);
                lutShape[shape.length] = paletteSize;
                indices = new Arg.Const(idx);
                lut = new Arg.Const(MilTensors.retype(constant(lut, what, "lut"), TensorType.of(lut.type().dtype(), lutShape)));
            } else {
                Value va = param(node, params, "vector_axis");
                if (va != null) vectorAxis = (int) scalarInt(node, va);
            }
            lowerLut(what, indices, lut, vectorAxis, out);
            return;
        }
        if (type.equals("constexpr_sparse_to_dense")) {
            Arg mask = arg(required(node, params, "mask"), node);
            Arg values = arg(required(node, params, "nonzero_data"), node);
            if (ios16Form) {
                long[] shape = shapeParam(node, required(node, params, "shape"));
                mask = new Arg.Const(MilTensors.retype(constant(mask, what, "mask"), TensorType.of(DType.UINT1, shape)));
            }
            if (mask instanceof Arg.Var || values instanceof Arg.Var) {
                if (!target.atLeast(CoreMlTarget.IOS18)) throw needs(what, "a sparse weight fed by another constexpr op", CoreMlTarget.IOS18, "");
                emitOne("constexpr_sparse_to_dense", node.name(), List.of(param("nonzero_data", values), param("mask", mask)),
                        Out.replacing(out, out.tensorType()));
                return;
            }
            lowerSparseConstants(what, constant(mask, what, "mask"), constant(values, what, "nonzero_data"), out, node.name());
            return;
        }
        if (type.equals("constexpr_blockwise_shift_scale")) {
            Value offset = param(node, params, "offset");
            lowerAffine(what, arg(required(node, params, "data"), node), arg(required(node, params, "scale"), node),
                    offset == null ? null : arg(offset, node), null, out, node.name());
            return;
        }
        // constexpr_affine_dequantize at iOS18: the same math as blockwise_shift_scale with one block per axis entry.
        TensorData data = constant(arg(required(node, params, "quantized_data"), node), what, "quantized_data");
        TensorData scale = constant(arg(required(node, params, "scale"), node), what, "scale");
        TensorData zp = constant(arg(required(node, params, "zero_point"), node), what, "zero_point");
        int axis = (int) scalarInt(node, required(node, params, "axis"));
        long[] shape = data.type().shape();
        if (axis < 0) axis += shape.length;
        long[] sShape = new long[shape.length];
        Arrays.fill(sShape, 1);
        if (scale.elementCount() > 1) sShape[axis] = scale.elementCount();
        Arg offset = null;
        if (zp.dtype() == data.dtype()) {
            offset = new Arg.Const(MilTensors.retype(zp, TensorType.of(zp.dtype(), sShape)));
        } else if (!MilTensors.allZero(zp)) {
            throw new CoreMlLoweringException(what + ": a " + zp.dtype().shortName() + " zero_point for " + data.dtype().shortName()
                    + " data has no iOS18 form; write it with --target ios17");
        }
        lowerAffine(what, new Arg.Const(data), new Arg.Const(MilTensors.retype(scale, TensorType.of(scale.dtype(), sShape))),
                offset, null, out, node.name());
    }

    private static Value required(Node node, List<String> params, String name) throws CoreMlLoweringException {
        Value v = param(node, params, name);
        if (v == null || v.isAbsent()) throw new CoreMlLoweringException("node '" + node.name() + "' (" + node.op() + ") has no '" + name + "' operand");
        return v;
    }

    private static long[] shapeParam(Node node, Value v) throws CoreMlLoweringException {
        if (!v.isConstant() || v.data() == null || !v.data().dtype().isInteger()) {
            throw new CoreMlLoweringException("node '" + node.name() + "' (" + node.op() + "): 'shape' must be an integer constant");
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

    private static long scalarInt(Node node, Value v) throws CoreMlLoweringException {
        if (!v.isConstant() || v.data() == null || v.data().elementCount() != 1 || !v.data().dtype().isInteger()) {
            throw new CoreMlLoweringException("node '" + node.name() + "' (" + node.op() + "): operand '" + v.name() + "' must be an integer scalar constant");
        }
        java.nio.ByteBuffer b = v.data().bytes();
        switch (v.data().dtype().bits()) {
            case 64: return b.getLong(0);
            case 32: return b.getInt(0);
            case 16: return b.getShort(0);
            default: return b.get(0);
        }
    }

    private static DType indexType(long paletteSize, String what) throws CoreMlLoweringException {
        return LutBits.forPaletteSize(paletteSize).orElseThrow(() -> new CoreMlLoweringException(what + ": a LUT of " + paletteSize
                + " entries is not 2^nbits for nbits in " + LutBits.describe()));
    }

    // ---- pare ops ------------------------------------------------------------------------------

    /** "weight 'W' (node conv1)": the dense result and the first op that uses it. */
    private static String describe(Node node) {
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

    private void lowerPare(Node node) throws CoreMlLoweringException {
        String what = describe(node);
        Value out = node.results().isEmpty() ? null : node.result(0);
        if (out == null || out.isAbsent()) throw new CoreMlLoweringException(node.op() + " '" + node.name() + "' has no result");
        switch (node.op()) {
            case PARE_LUT: {
                if (node.operands().size() != 2) throw new CoreMlLoweringException(what + ": " + PARE_LUT + " takes (indices, lut)");
                Attribute va = node.attributes().get("vector_axis").orElse(null);
                Integer axis = va instanceof Attribute.IntAttr i ? (int) i.value() : null;
                lowerLut(what, arg(node.operand(0), node), arg(node.operand(1), node), axis, out);
                return;
            }
            case PARE_AFFINE: {
                if (node.operands().size() < 2 || node.operands().size() > 3) {
                    throw new CoreMlLoweringException(what + ": " + PARE_AFFINE + " takes (data, scale[, zero_point])");
                }
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
                throw new CoreMlLoweringException("node '" + node.name() + "': " + node.op() + " has no Core ML form");
        }
    }

    private static long[] blockSizes(Node node) throws CoreMlLoweringException {
        Attribute a = node.attributes().get("block_sizes").orElse(null);
        if (a == null) return null;
        if (!(a instanceof Attribute.IntsAttr ints)) throw new CoreMlLoweringException("node '" + node.name() + "': block_sizes must be ints");
        return ints.values().stream().mapToLong(Long::longValue).toArray();
    }

    private static CoreMlLoweringException needs(String what, String feature, CoreMlTarget need, String detail) {
        return new CoreMlLoweringException(what + ": " + feature + " needs --target " + need.flag()
                + (need == CoreMlTarget.IOS26 ? "" : " or later") + (detail.isEmpty() ? "" : " (" + detail + ")"));
    }

    /** The result's type with the dtype the Core ML op produces. */
    private static TensorType outType(Value out, DType dtype) throws CoreMlLoweringException {
        TensorType t = out.tensorType();
        if (!t.isStatic()) throw new CoreMlLoweringException("compressed weight '" + out.name() + "' has no static shape (" + t + ")");
        return t.withDType(dtype);
    }

    private void lowerLut(String what, Arg indices, Arg lut, Integer vectorAxis, Value out) throws CoreMlLoweringException {
        TensorData idx = constant(indices, what, "indices");
        DType it = idx.dtype();
        if (!LutBits.isIndexType(it)) {
            throw new CoreMlLoweringException(what + ": palettization indices must be " + LutBits.describeTypes() + ", got " + idx.type());
        }
        long[] iShape = idx.type().shape();
        int r = iShape.length;
        TensorType lt = lut.type();
        if (!lt.isStatic() || lt.rank() != r + 2) {
            throw new CoreMlLoweringException(what + ": lut " + lt + " must have rank " + (r + 2) + " for indices " + idx.type());
        }
        long[] lShape = lt.shape();
        long palette = lShape[r];
        long vector = lShape[r + 1];
        if (palette != (1L << it.bits())) {
            throw new CoreMlLoweringException(what + ": lut " + lt + " must hold " + (1L << it.bits()) + " entries for " + it.shortName() + " indices");
        }
        if (target.atLeast(CoreMlTarget.IOS18)) {
            List<Map.Entry<String, Arg>> args = new ArrayList<>();
            args.add(param("indices", indices));
            args.add(param("lut", lut));
            if (vector > 1) {
                if (vectorAxis == null) throw new CoreMlLoweringException(what + ": a vector lut " + lt + " needs vector_axis");
                args.add(param("vector_axis", new Arg.Const(MilTensors.int32Scalar(vectorAxis))));
            }
            emitOne("constexpr_lut_to_dense", out.name(), args, Out.replacing(out, outType(out, lt.dtype())));
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
        if (!(lut instanceof Arg.Const c)) {
            throw needs(what, "a LUT computed by another op (quantized LUT)", CoreMlTarget.IOS18, "");
        }
        DenseData packed = MilTensors.retype(idx, TensorType.of(DType.UINT8, idx.byteSize()));
        DenseData flatLut = MilTensors.retype(c.data(), TensorType.of(lt.dtype(), palette));
        emitOne("constexpr_lut_to_dense", out.name(),
                List.of(param("indices", new Arg.Const(packed)), param("lut", new Arg.Const(flatLut)),
                        param("shape", new Arg.Const(MilTensors.uint32Shape(iShape)))),
                Out.replacing(out, outType(out, lt.dtype())));
    }

    /**
     * Below iOS26, {@code affine(lut_to_dense(indices, lut), scale)} as
     * {@code lut_to_dense(indices, blockwise_shift_scale(lut', scale'))} (see {@link ScaledLut});
     * when that form does not exist exactly, the LUT first as at iOS26.
     */
    private void lowerScaledLut(String what, Node lutNode, Node affine, Value out) throws CoreMlLoweringException {
        Arg indices = arg(lutNode.operand(0), lutNode);
        Arg lut = arg(lutNode.operand(1), lutNode);
        TensorData scale = constant(arg(affine.operand(1), affine), what, "scale");
        ScaledLut scaled = ScaledLut.of(outType(out, scale.dtype()).shape(), constant(lut, what, "lut"), scale);
        if (scaled == null) {
            lowerLut(what, indices, lut, null, lutNode.result(0));
            Value decoded = replaced.get(lutNode.result(0));
            lowerAffine(what, new Arg.Var(decoded), new Arg.Const(scale, affine.operand(1)), null, null, out, affine.name());
            return;
        }
        TensorType lutType = scaled.lut().type();
        Value scaledLut = emitOne("constexpr_blockwise_shift_scale", affine.name() + "_lut",
                List.of(param("data", new Arg.Const(scaled.lut())), param("scale", new Arg.Const(scaled.scale()))),
                Out.fresh(lutNode.result(0).name() + "_scaled_lut", lutType));
        lowerLut(what, indices, new Arg.Var(scaledLut), null, out);
    }

    /** Block lengths per axis (the last block of an axis may be partial; see {@link BlockRefit}). */
    private static long[] blocks(String what, long[] shape, long[] scaleShape, long[] blockSizes) throws CoreMlLoweringException {
        if (scaleShape.length != shape.length) {
            throw new CoreMlLoweringException(what + ": scale has rank " + scaleShape.length + " but the data has rank " + shape.length);
        }
        long[] block = new long[shape.length];
        for (int d = 0; d < shape.length; d++) {
            long s = scaleShape[d];
            block[d] = blockSizes != null ? blockSizes[d] : s == 0 ? 1 : (shape[d] + s - 1) / s;
            if (block[d] <= 0 || (shape[d] + block[d] - 1) / block[d] != s) {
                throw new CoreMlLoweringException(what + ": " + s + " blocks of " + block[d] + " along axis " + d + " do not cover its "
                        + shape[d] + " elements");
            }
        }
        return block;
    }

    private void lowerAffine(String what, Arg data, Arg scale, Arg zeroPoint, long[] blockSizes, Value out, String nameHint)
            throws CoreMlLoweringException {
        TensorData sc = constant(scale, what, "scale");
        TensorData zp = zeroPoint == null ? null : constant(zeroPoint, what, "zero_point");
        Value scSource = scale instanceof Arg.Const c ? c.source() : null;
        Value zpSource = zeroPoint instanceof Arg.Const c ? c.source() : null;
        if (!(sc.dtype() == DType.FLOAT32 || sc.dtype() == DType.FLOAT16)) {
            throw new CoreMlLoweringException(what + ": scale must be f32 or f16, got " + sc.type());
        }
        TensorType dt = data.type();
        if (!dt.isStatic()) throw new CoreMlLoweringException(what + ": quantized data has no static shape");
        long[] shape = dt.shape();
        long[] sShape = sc.type().shape();
        long[] block = blocks(what, shape, sShape, blockSizes);
        if (zp != null && !Arrays.equals(zp.type().shape(), sShape)) {
            throw new CoreMlLoweringException(what + ": zero_point " + zp.type() + " must have the scale's shape " + sc.type());
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
                throw new CoreMlLoweringException(what + ": " + d.shortName() + " quantized data has no Core ML form "
                        + "(constexpr_blockwise_shift_scale takes i4, u4, i8, u8)");
            }
            List<Map.Entry<String, Arg>> args = new ArrayList<>();
            args.add(param("data", data));
            args.add(param("scale", new Arg.Const(sc, scSource)));
            if (zp != null && !MilTensors.allZero(zp)) args.add(param("offset", new Arg.Const(zp, zpSource)));
            emitOne("constexpr_blockwise_shift_scale", nameHint, args, Out.replacing(out, outType(out, sc.dtype())));
            return;
        }
        String detail = "iOS16/17 constexpr_affine_dequantize takes i8/u8 data, per tensor or per channel";
        if (!(data instanceof Arg.Const c)) {
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
        emitOne("constexpr_affine_dequantize", nameHint,
                List.of(param("quantized_data", c), param("zero_point", new Arg.Const(zpVec)),
                        param("scale", new Arg.Const(scaleVec)), param("axis", new Arg.Const(MilTensors.int32Scalar(Math.max(axis, 0))))),
                Out.replacing(out, outType(out, sc.dtype())));
    }

    private void lowerPareSparse(String what, Node node, Value out) throws CoreMlLoweringException {
        if (node.operands().size() != 2) throw new CoreMlLoweringException(what + ": " + PARE_SPARSE + " takes (mask, values)");
        Value maskV = node.operand(0);
        Value valuesV = node.operand(1);
        TensorData mask = constant(arg(maskV, node), what, "mask");
        // the mask is written again (a new constant): the old one goes with the pare op, so the
        // lowered op's mask output can take the name '<weight>_mask' the writer always gave it
        Arg maskArg = new Arg.Const(mask);
        if (mask.dtype() != DType.UINT1) throw new CoreMlLoweringException(what + ": the sparsity mask must be u1, got " + mask.type());
        if (valuesV.isConstant()) {
            lowerSparseConstants(what, mask, valuesV.data(), out, node.name());
            return;
        }
        Node inner = valuesV.producer();
        boolean lut = inner != null && inner.op().equals(PARE_LUT);
        boolean affine = inner != null && inner.op().equals(PARE_AFFINE);
        if (!lut && !affine) {
            throw new CoreMlLoweringException(what + ": sparse values computed by " + (inner == null ? "a non-constant" : inner.op())
                    + " cannot be written as a Core ML sparse weight");
        }
        if (!target.atLeast(CoreMlTarget.IOS18)) {
            throw needs(what, "joint sparse + " + (lut ? "palettized" : "quantized") + " compression", CoreMlTarget.IOS18,
                    "iOS16/17 constexpr_sparse_to_dense takes the kept values as a constant");
        }
        if (!absorbed.contains(inner)) {
            throw new CoreMlLoweringException(what + ": the sparse values '" + valuesV.name() + "' are also used densely elsewhere; "
                    + "Core ML cannot share them between a sparse and a dense weight");
        }
        long[] shape = mask.type().shape();
        String innerWhat = describe(inner);
        String maskName = out.name() + "_mask";
        String nzName = out.name() + "_nonzero";
        if (lut) {
            TensorData idx = constant(arg(inner.operand(0), inner), innerWhat, "indices");
            Arg lutArg = arg(inner.operand(1), inner);
            TensorType lt = lutArg.type();
            if (!lt.isStatic() || lt.rank() != shape.length + 2) {
                throw new CoreMlLoweringException(innerWhat + ": lut " + lt + " must have rank " + (shape.length + 2));
            }
            if (lt.shape()[shape.length + 1] != 1) {
                throw new CoreMlLoweringException(what + ": joint sparse + vector palettization cannot be written to Core ML");
            }
            if (!Arrays.equals(idx.type().shape(), shape)) {
                throw new CoreMlLoweringException(what + ": indices " + idx.type() + " do not match the mask " + mask.type());
            }
            DenseData nzIdx = MilTensors.compactOnRead(idx, mask, store);
            TensorType nzType = TensorType.of(lt.dtype(), nzIdx.elementCount());
            List<Value> parts = emit("constexpr_lut_to_sparse", inner.name(),
                    List.of(param("indices_mask", maskArg), param("indices_nonzero_data", new Arg.Const(nzIdx)), param("lut", lutArg)),
                    List.of(Out.fresh(maskName, mask.type()), Out.fresh(nzName, nzType)));
            emitSparseToDense(parts.get(0), parts.get(1), out, node.name());
            return;
        }
        Arg dataArg = arg(inner.operand(0), inner);
        if (!(dataArg instanceof Arg.Const dc) || !dc.data().dtype().isInteger()) {
            throw new CoreMlLoweringException(what + ": joint sparse + palettized weight with per-channel scales cannot be written to Core ML");
        }
        TensorData data = dc.data();
        DType d = data.dtype();
        if (!(d == DType.INT4 || d == DType.UINT4 || d == DType.INT8 || d == DType.UINT8)) {
            throw new CoreMlLoweringException(what + ": " + d.shortName() + " quantized data has no Core ML form (i4, u4, i8, u8)");
        }
        Arg scArg = arg(inner.operand(1), inner);
        TensorData sc = constant(scArg, innerWhat, "scale");
        Arg zpArg = inner.operands().size() == 3 && !inner.operand(2).isAbsent() ? arg(inner.operand(2), inner) : null;
        TensorData zp = zpArg == null ? null : constant(zpArg, innerWhat, "zero_point");
        long[] block = blocks(innerWhat, shape, sc.type().shape(), blockSizes(inner));
        boolean refit = BlockRefit.needed(shape, block);
        if (refit) {
            sc = BlockRefit.expand(sc, shape, block);
            if (zp != null) zp = BlockRefit.expand(zp, shape, block);
        }
        DenseData nz = MilTensors.compactOnRead(data, mask, store);
        List<Map.Entry<String, Arg>> args = new ArrayList<>();
        args.add(param("data_mask", maskArg));
        args.add(param("nonzero_data", new Arg.Const(nz)));
        args.add(param("scale", refit ? new Arg.Const(sc) : scArg));
        if (zp != null && !MilTensors.allZero(zp)) args.add(param("offset", refit ? new Arg.Const(zp) : zpArg));
        TensorType nzType = TensorType.of(sc.dtype(), nz.elementCount());
        List<Value> parts = emit("constexpr_sparse_blockwise_shift_scale", inner.name(), args,
                List.of(Out.fresh(maskName, mask.type()), Out.fresh(nzName, nzType)));
        emitSparseToDense(parts.get(0), parts.get(1), out, node.name());
    }

    private void emitSparseToDense(Value mask, Value nonzero, Value out, String nameHint) throws CoreMlLoweringException {
        emitOne("constexpr_sparse_to_dense", nameHint, List.of(param("nonzero_data", new Arg.Var(nonzero)), param("mask", new Arg.Var(mask))),
                Out.replacing(out, outType(out, nonzero.tensorType().dtype())));
    }

    private void lowerSparseConstants(String what, TensorData mask, TensorData values, Value out, String nameHint)
            throws CoreMlLoweringException {
        long[] shape = mask.type().shape();
        long kept = MilTensors.popcount(mask);
        TensorData nz;
        if (values.type().rank() == 1 && values.elementCount() == kept) {
            nz = values;
        } else if (Arrays.equals(values.type().shape(), shape)) {
            nz = MilTensors.compactOnRead(values, mask, store);
        } else {
            throw new CoreMlLoweringException(what + ": sparse values " + values.type() + " must be [" + kept
                    + "] (the kept count) or the mask's shape " + mask.type());
        }
        DType d = nz.dtype();
        if (target.atLeast(CoreMlTarget.IOS18)) {
            emitOne("constexpr_sparse_to_dense", nameHint,
                    List.of(param("nonzero_data", new Arg.Const(nz)), param("mask", new Arg.Const(mask))),
                    Out.replacing(out, outType(out, d)));
            return;
        }
        if (!(d == DType.FLOAT16 || d == DType.FLOAT32 || d == DType.INT8 || d == DType.UINT8)) {
            throw needs(what, d.shortName() + " sparse values", CoreMlTarget.IOS18, "iOS16/17 constexpr_sparse_to_dense takes f16, f32, i8, u8");
        }
        DenseData maskBytes = MilTensors.retype(mask, TensorType.of(DType.UINT8, mask.byteSize()));
        emitOne("constexpr_sparse_to_dense", nameHint,
                List.of(param("nonzero_data", new Arg.Const(nz)), param("mask", new Arg.Const(maskBytes)),
                        param("shape", new Arg.Const(MilTensors.uint32Shape(shape)))),
                Out.replacing(out, outType(out, d)));
    }

    // ---- activation quantization ---------------------------------------------------------------

    /**
     * {@code mil.quantize}/{@code mil.dequantize}: the scale and zero point stay constants (the
     * writer gives them {@code const} ops); the axis and output dtype become new constants.
     */
    private void lowerActivationQuantization(Node node, Value out) throws CoreMlLoweringException {
        boolean quantize = node.op().equals(PARE_QUANTIZE);
        String what = "node '" + node.name() + "' (" + node.op() + ")";
        if (!target.atLeast(CoreMlTarget.IOS17)) {
            throw needs(what, "activation quantization", CoreMlTarget.IOS17, "Core ML quantize/dequantize ops start at iOS17");
        }
        if (node.operands().size() != 3) throw new CoreMlLoweringException(what + " takes (input, scale, zero_point)");
        Value scale = node.operand(1);
        Value zp = node.operand(2);
        if (!scale.isConstant() || !zp.isConstant()) throw new CoreMlLoweringException(what + ": scale and zero_point must be constants");
        DType qType = zp.data().dtype();
        if (!(qType == DType.INT8 || qType == DType.UINT8)) {
            throw new CoreMlLoweringException(what + ": zero_point must be i8 or u8, got " + zp.data().type());
        }
        Attribute axis = node.attributes().get("axis").orElse(null);
        if (!(axis instanceof Attribute.IntAttr) && scale.data().type().rank() > 0 && scale.data().elementCount() > 1) {
            throw new CoreMlLoweringException(what + ": a per-axis scale " + scale.data().type() + " needs the axis attribute");
        }
        rw.setInsertionPointBefore(current);
        List<Value> operands = new ArrayList<>();
        List<String> params = new ArrayList<>();
        params.add("input");
        operands.add(node.operand(0));
        // An all-zero zero point is the default; coremltools leaves it out for symmetric int8.
        if (!MilTensors.allZero(zp.data())) {
            params.add("zero_point");
            operands.add(zp);
        }
        params.add("scale");
        operands.add(scale);
        if (axis instanceof Attribute.IntAttr a) {
            params.add("axis");
            operands.add(rw.addConstant(rw.uniqueValueName(node.name() + "_axis"), MilTensors.int32Scalar(a.value())));
        }
        if (quantize) {
            params.add("output_dtype");
            operands.add(rw.addConstant(rw.uniqueValueName(node.name() + "_output_dtype"),
                    MilTensors.stringScalar(qType == DType.INT8 ? "int8" : "uint8")));
        }
        String nodeName = rw.uniqueNodeName(node.name());
        Attributes attrs = Attributes.builder().put(MilParams.ATTRIBUTE, MilParams.attribute(params)).build();
        Node n = rw.createNode(nodeName, quantize ? "mil.quantize" : "mil.dequantize", operands,
                List.of(rw.uniqueValueName(out.name() + "_lowered")), List.of(out.type()), attrs, node.location());
        if (!nodeName.equals(node.name())) rw.setMetadata(n, Map.of(CoreMlKeys.OP_NAME, node.name()));
        replaced.put(out, n.result(0));
    }
}
