package dev.pare.compiler.onnx.lower;

import dev.pare.compiler.onnx.OnnxKeys;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the format-neutral {@code pare.*} ops (ir/PARE_DIALECT.md: compressed weights, and activation
 * {@code quantize}/{@code dequantize} as QDQ) into standard ONNX ops. The {@code lower_to_onnx}
 * pass ({@link LowerToOnnx}) does it in place ({@link #lowerInPlace}), appended by the compiler
 * for ONNX outputs; {@link #lower} does it on a copy, for code that runs or writes a model
 * mid-pipeline (the ONNX Runtime executor, tests). The per-op lowerings ({@link AffineLowering},
 * {@link LutLowering}, {@link SparseLowering}, {@link QdqLowering}) serve both.
 *
 * <p>{@link #lower}: the model passed in is not changed: when it holds pare ops, a copy is made
 * (sharing the immutable tensor data) in which every pare node is replaced by ONNX nodes whose last
 * result keeps the pare result's name; constants that only the pare nodes used and that the
 * lowering re-encoded are dropped. Then the default-domain opset and the IR version are raised as
 * far as the new ops need ({@link OpsetRaise}). A model without pare ops is returned as is, so its
 * export is unchanged.
 *
 * <p>The dense result gets a {@code value_info} entry (its type), so readers of the file see the
 * weight's shape without evaluating the decode.
 */
public final class OnnxLowering {

    private static final String PARE = "pare";

    private OnnxLowering() {}

    /** Whether any graph of {@code model} holds a {@code pare.*} node. */
    public static boolean needsLowering(Model model) {
        for (Node n : model.graph().allNodes()) if (n.dialect().equals(PARE)) return true;
        return false;
    }

    /** {@code model} itself if it has no pare ops, else a lowered copy. */
    public static Model lower(Model model) {
        if (!needsLowering(model)) return model;
        Set<String> reserved = new HashSet<>();
        collectNames(model.graph(), reserved);
        Requirements req = new Requirements();
        Copier copier = new Copier(reserved, req);
        Graph g = copier.copy(model.graph(), null);
        Model out = new Model(model.format(), g);
        out.setOpsets(model.opsets());
        model.properties().forEach(out::setProperty);
        model.metadataProps().forEach(out::setMetadataProp);
        for (Model.OpaqueField f : model.opaqueFields()) out.addOpaqueField(f);
        OpsetRaise.apply(out, req);
        return out;
    }

    /**
     * Lowers every pare node of {@code model} in place (subgraphs included) and raises its opset as
     * far as the new ops need; the dense results keep their names. Returns the number of nodes lowered.
     */
    public static int lowerInPlace(Model model) {
        if (!needsLowering(model)) return 0;
        Set<String> reserved = new HashSet<>();
        collectNames(model.graph(), reserved);
        Requirements req = new Requirements();
        InPlace in = new InPlace(reserved, req);
        in.lower(model.graph());
        OpsetRaise.apply(model, req);
        return in.lowered;
    }

    private static void collectNames(Graph g, Set<String> into) {
        for (Value v : g.inputs()) into.add(v.name());
        for (Value v : g.constants()) into.add(v.name());
        for (Node n : g.nodes()) {
            into.add(n.name());
            for (Value r : n.results()) if (!r.isAbsent()) into.add(r.name());
            for (Graph sub : n.subgraphs()) collectNames(sub, into);
        }
    }

    /** Copies graphs, lowering pare nodes on the way. */
    private static final class Copier {
        private final Map<Value, Value> map = new IdentityHashMap<>();
        private final Set<String> reserved;
        private final Requirements req;
        private long valueInfoIndex = 1L << 40; // after every value_info entry the reader numbered

        Copier(Set<String> reserved, Requirements req) {
            this.reserved = reserved;
            this.req = req;
        }

        private Value mapped(Value v) {
            if (v.isAbsent()) return Value.ABSENT;
            Value m = map.get(v);
            if (m == null) throw new LoweringException("value '" + v.name() + "' is used before it is defined");
            return m;
        }

        Graph copy(Graph src, Graph parent) {
            Graph g = new Graph(src.name(), parent);
            Rewriter rw = g.rewriter();
            for (Value v : src.inputs()) {
                Value c = rw.addInput(v.name(), v.type());
                if (v.data() != null) rw.setInputDefault(c, v.data());
                rw.setMetadata(c, v.metadata());
                map.put(v, c);
            }
            List<Value> pareOperands = new ArrayList<>();
            for (Value v : src.constants()) {
                Value c = rw.addConstant(v.name(), v.data());
                rw.setMetadata(c, v.metadata());
                map.put(v, c);
                for (Value.Use u : v.uses()) {
                    if (u.user().dialect().equals(PARE)) {
                        pareOperands.add(c);
                        break;
                    }
                }
            }
            for (Node n : src.nodes()) {
                if (n.dialect().equals(PARE)) {
                    lowerNode(g, n);
                    continue;
                }
                List<Value> operands = new ArrayList<>();
                for (Value o : n.operands()) operands.add(mapped(o));
                Attributes attrs = copyAttributes(n.attributes(), g);
                List<String> names = new ArrayList<>();
                List<dev.pare.ir.Type> types = new ArrayList<>();
                for (Value r : n.results()) {
                    names.add(r.isAbsent() ? "" : r.name());
                    types.add(r.type());
                }
                rw.setInsertionPointToEnd();
                Node c = rw.createNode(n.name(), n.op(), operands, names, types, attrs, n.location());
                rw.setMetadata(c, n.metadata());
                for (int i = 0; i < n.results().size(); i++) {
                    Value r = n.result(i);
                    if (r.isAbsent()) continue;
                    rw.setMetadata(c.result(i), r.metadata());
                    map.put(r, c.result(i));
                }
            }
            for (Value o : src.outputs()) rw.addOutput(mapped(o));
            rw.setGraphMetadata(src.metadata());
            for (Value c : pareOperands) {
                if (!c.hasUses() && !g.isOutput(c)) rw.eraseConstant(c);
            }
            return g;
        }

        private Attributes copyAttributes(Attributes attrs, Graph owner) {
            boolean hasGraphs = false;
            for (Attribute a : attrs.asMap().values()) {
                if (a instanceof Attribute.GraphAttr || a instanceof Attribute.GraphsAttr) hasGraphs = true;
            }
            if (!hasGraphs) return attrs;
            Map<String, Attribute> out = new LinkedHashMap<>();
            for (Map.Entry<String, Attribute> e : attrs.asMap().entrySet()) {
                Attribute a = e.getValue();
                if (a instanceof Attribute.GraphAttr ga) {
                    a = new Attribute.GraphAttr(copy(ga.value(), owner));
                } else if (a instanceof Attribute.GraphsAttr gs) {
                    List<Graph> copies = new ArrayList<>();
                    for (Graph s : gs.values()) copies.add(copy(s, owner));
                    a = new Attribute.GraphsAttr(copies);
                }
                out.put(e.getKey(), a);
            }
            return Attributes.of(out);
        }

        private void lowerNode(Graph g, Node n) {
            List<Value> operands = new ArrayList<>();
            for (Value o : n.operands()) operands.add(mapped(o));
            Value result = n.result(0);
            Value lowered = lowerOne(new Emitter(g, reserved, req, n), n, operands, result.name());
            g.rewriter().setMetadata(lowered, resultMetadata(result, lowered));
            map.put(result, lowered);
        }

        private Map<String, String> resultMetadata(Value result, Value lowered) {
            Map<String, String> meta = new LinkedHashMap<>(result.metadata());
            if (!lowered.isConstant() && !meta.containsKey(OnnxKeys.VALUE_INFO_INDEX)) {
                meta.put(OnnxKeys.VALUE_INFO_INDEX, Long.toString(valueInfoIndex++));
            }
            return meta;
        }
    }

    /** Lowers the pare nodes of a graph where they are: the ONNX nodes go before each, which then goes. */
    private static final class InPlace {
        /** Numbers the new value_info entries as the copying lowering does. */
        private final Copier valueInfo;
        private final Set<String> reserved;
        private final Requirements req;
        int lowered;

        InPlace(Set<String> reserved, Requirements req) {
            this.reserved = reserved;
            this.req = req;
            this.valueInfo = new Copier(reserved, req);
        }

        void lower(Graph g) {
            Set<Value> pareOperands = new java.util.LinkedHashSet<>();
            for (Node n : List.copyOf(g.nodes())) {
                for (Graph sub : n.subgraphs()) lower(sub);
                if (!n.dialect().equals(PARE)) continue;
                for (Value o : n.operands()) if (o.isConstant() && o.graph() == g) pareOperands.add(o);
                Emitter e = new Emitter(g, reserved, req, n);
                e.rw.setInsertionPointBefore(n);
                Value result = n.results().size() == 1 ? n.result(0) : null;
                String temp = e.fresh("lowered");
                Value out = lowerOne(e, n, n.operands(), temp);
                Rewriter rw = g.rewriter();
                rw.setMetadata(out, valueInfo.resultMetadata(result, out));
                rw.replaceAllUsesWith(result, out);
                String name = result.name();
                rw.erase(n);
                if (out.name().equals(temp)) rw.renameValue(out, name);
                lowered++;
            }
            Rewriter rw = g.rewriter();
            for (Value c : pareOperands) if (!c.hasUses() && !g.isOutput(c)) rw.eraseConstant(c);
        }
    }

    /**
     * The value that computes pare node {@code n}'s result from {@code operands} (n's own, or their
     * copies), emitted by {@code e}; its last op's result is named {@code resultName}.
     */
    private static Value lowerOne(Emitter e, Node n, List<Value> operands, String resultName) {
        if (n.results().size() != 1 || n.result(0).isAbsent()) {
            throw new LoweringException("node '" + n.name() + "' (" + n.op() + ") must have exactly one result");
        }
        TensorType type = n.result(0).tensorType();
        boolean activation = n.opType().equals("quantize") || n.opType().equals("dequantize");
        if (!activation && !type.isStatic()) throw e.error("result needs a static shape, got " + type);
        Value lowered;
        switch (n.opType()) {
            case "quantize":
            case "dequantize":
                lowered = QdqLowering.lower(e, n.opType(), operands, n.attributes(), type, resultName);
                break;
            case "affine_dequantize":
                lowered = AffineLowering.lower(e, operands, n.attributes(), resultName);
                break;
            case "lut_to_dense":
                lowered = LutLowering.lower(e, operands, type.shape(), n.attributes().getInt("vector_axis", -1), resultName);
                break;
            case "sparse_to_dense":
                lowered = SparseLowering.lower(e, operands, type.shape(), resultName);
                break;
            default:
                throw e.error("has no ONNX lowering");
        }
        if (!lowered.tensorType().equals(type)) {
            throw e.error("lowers to " + lowered.tensorType() + " but the result is typed " + type);
        }
        return lowered;
    }
}
