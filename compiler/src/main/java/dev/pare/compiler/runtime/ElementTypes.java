package dev.pare.compiler.runtime;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The element type of every value of an ONNX-dialect graph, for values the file gave no
 * {@code value_info} for: declared types first, then a few rules (Cast, Shape, comparisons, ...);
 * any other op's results take its first typed operand's type, which holds for the elementwise,
 * shape and linear-algebra ops that activations flow through.
 */
final class ElementTypes {

    private static final Set<String> INT64_RESULTS = Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero",
            "NonMaxSuppression");
    private static final Set<String> BOOL_RESULTS = Set.of("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "Not", "And", "Or", "Xor", "IsNaN", "IsInf");

    private final Map<Value, DType> known = new IdentityHashMap<>();

    private ElementTypes() {}

    /** Element types for the values of {@code graph} (top level), by value; UNDEFINED when no rule applies. */
    static Map<Value, DType> of(Graph graph) {
        return of(graph, Map.of());
    }

    /** The same for a subgraph, whose operands from enclosing graphs take their types from {@code outer}. */
    static Map<Value, DType> of(Graph graph, Map<Value, DType> outer) {
        ElementTypes t = new ElementTypes();
        t.known.putAll(outer);
        for (Value v : graph.inputs()) t.known.put(v, v.tensorType().dtype());
        for (Value v : graph.constants()) t.known.put(v, v.data().dtype());
        for (Node n : graph.nodes()) t.visit(n);
        return t.known;
    }

    private void visit(Node n) {
        for (int i = 0; i < n.results().size(); i++) {
            Value r = n.result(i);
            if (r.isAbsent()) continue;
            DType declared = r.tensorType().dtype();
            known.put(r, declared != DType.UNDEFINED ? declared : rule(n, i));
        }
    }

    private DType rule(Node n, int result) {
        String op = n.opType();
        if (n.dialect().equals("pare")) {
            if (op.equals("quantize") && n.operands().size() > 2) return typeOf(n.operand(2));
            if (op.equals("quantize")) return DType.UINT8;
            return n.operands().size() > 1 ? typeOf(n.operand(1)) : DType.UNDEFINED; // scale's float type
        }
        if (op.equals("Cast")) return DType.fromOnnx((int) n.attributes().getInt("to", 0)).orElse(DType.UNDEFINED);
        if (op.equals("CastLike") && n.operands().size() > 1) return typeOf(n.operand(1));
        if (INT64_RESULTS.contains(op)) return DType.INT64;
        if (BOOL_RESULTS.contains(op)) return DType.BOOL;
        if ((op.equals("TopK") || op.equals("MaxPool")) && result == 1) return DType.INT64;
        if (op.equals("Constant") || op.equals("ConstantOfShape")) {
            Optional<Attribute> value = n.attributes().get("value");
            if (value.isPresent() && value.get() instanceof Attribute.TensorAttr t) return t.value().dtype();
            return op.equals("ConstantOfShape") ? DType.FLOAT32 : DType.UNDEFINED;
        }
        if (op.equals("QuantizeLinear")) return n.operands().size() > 2 ? typeOf(n.operand(2)) : DType.UINT8;
        if (op.equals("DequantizeLinear") && n.operands().size() > 1) return typeOf(n.operand(1));
        if (op.equals("DynamicQuantizeLinear")) return result == 1 ? DType.FLOAT32 : DType.UINT8;
        if (op.equals("Where") && n.operands().size() > 1) return typeOf(n.operand(1));
        for (Value o : n.operands()) {
            DType t = typeOf(o);
            if (t != DType.UNDEFINED) return t;
        }
        return DType.UNDEFINED;
    }

    private DType typeOf(Value v) {
        if (v.isAbsent()) return DType.UNDEFINED;
        DType t = known.get(v);
        if (t != null) return t;
        // Outer-scope values of subgraphs, or values this graph has not reached yet.
        return v.isConstant() ? v.data().dtype() : v.tensorType().dtype();
    }
}
