package dev.pare.compiler.runtime;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites every float32 ONNX {@code Sigmoid} of a model as {@code Div(1, Add(Exp(Neg(x)), 1))}, so
 * that ONNX Runtime computes the logistic function to 2 ulp: its own Sigmoid kernel is a
 * vectorized approximation, 1e-4 relative off and worse for outputs near 0 (README "Conversion
 * coverage"), whereas its Exp is within an ulp of the exact exponential and Add and Div round
 * once each ({@code ExactSigmoidTest} measures both on float32). Meant for the in-memory copy of
 * a model that {@code pare compare --exact-sigmoid} runs; the file it was read from is never
 * written.
 *
 * <p>Each result keeps its name, so captures and graph outputs are unchanged. For x below about
 * −88.7, exp(−x) leaves float32's range and the result is 0 or a subnormal, as is the exact value
 * (below 3e-39). Sigmoids of another element type (float16, float64) or of an unknown one are
 * left as they are and listed: the accuracy above is measured for float32 only.
 */
public final class ExactSigmoid {

    static final Location CREATED = Location.created("exact-sigmoid");

    /**
     * What a rewrite did.
     *
     * @param rewritten float32 Sigmoids now computed as Div(1, Add(Exp(Neg(x)), 1))
     * @param leftAsIs Sigmoids of another or unknown element type, "name (type)", in graph order
     */
    public record Result(int rewritten, List<String> leftAsIs) {
        public Result { leftAsIs = List.copyOf(leftAsIs); }
    }

    private ExactSigmoid() {}

    /** Rewrites {@code model} in place (its main graph and every subgraph); returns the counts. */
    public static Result rewrite(Model model) {
        if (!"onnx".equals(model.format())) {
            throw new IllegalArgumentException("exact Sigmoid applies to ONNX models; this one was read as " + model.format());
        }
        List<String> leftAsIs = new ArrayList<>();
        int rewritten = rewrite(model.graph(), new IdentityHashMap<>(), leftAsIs);
        return new Result(rewritten, leftAsIs);
    }

    private static int rewrite(Graph graph, Map<Value, DType> outer, List<String> leftAsIs) {
        Map<Value, DType> types = new IdentityHashMap<>(outer);
        types.putAll(ElementTypes.of(graph, outer));
        int rewritten = 0;
        Value one = null;
        for (Node n : List.copyOf(graph.nodes())) {
            for (Graph sub : n.subgraphs()) rewritten += rewrite(sub, types, leftAsIs);
            if (!n.op().equals("onnx.Sigmoid")) continue;
            DType t = types.getOrDefault(n.result(0), DType.UNDEFINED);
            if (t != DType.FLOAT32) {
                leftAsIs.add(n.name() + " (" + (t == DType.UNDEFINED ? "unknown type" : t.name().toLowerCase(java.util.Locale.ROOT)) + ")");
                continue;
            }
            Rewriter rw = graph.rewriter();
            if (one == null) one = rw.addConstant(rw.uniqueValueName("exact_sigmoid_one"), TensorData.ofFloats(new long[0], 1f));
            replace(rw, n, one);
            rewritten++;
        }
        return rewritten;
    }

    /** Neg, Exp, Add, Div in place of {@code sigmoid}; the Div's result takes over the Sigmoid result's name. */
    private static void replace(Rewriter rw, Node sigmoid, Value one) {
        Value x = sigmoid.operand(0);
        Value y = sigmoid.result(0);
        TensorType type = y.tensorType().withDType(DType.FLOAT32);
        String base = sigmoid.name().isEmpty() ? "sigmoid" : sigmoid.name();
        rw.setInsertionPointBefore(sigmoid);
        Value neg = step(rw, base, "neg", "onnx.Neg", List.of(x), type);
        Value exp = step(rw, base, "exp", "onnx.Exp", List.of(neg), type);
        Value denominator = step(rw, base, "one_plus_exp", "onnx.Add", List.of(exp, one), type);
        Value exact = step(rw, base, "exact", "onnx.Div", List.of(one, denominator), type);
        rw.setInsertionPointToEnd();
        String name = y.name();
        rw.replaceAllUsesWith(y, exact);
        rw.erase(sigmoid);
        rw.renameValue(exact, name);
    }

    private static Value step(Rewriter rw, String base, String what, String op, List<Value> operands, TensorType type) {
        String node = rw.uniqueNodeName(base + "/" + what);
        return rw.createNode(node, op, operands, List.of(rw.uniqueValueName(node + "_out")), List.of(type),
                Attributes.empty(), CREATED).result(0);
    }
}
