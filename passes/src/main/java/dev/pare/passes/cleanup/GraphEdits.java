package dev.pare.passes.cleanup;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.HashSet;
import java.util.Set;

/**
 * Edits the cleanup passes share. They exist because a subgraph output may name a value of an
 * enclosing graph without being a use of it, and because a node's subgraphs hold uses of outer
 * values that must go when the node goes.
 */
final class GraphEdits {

    private GraphEdits() {}

    /** Dialects whose ops have no side effects: an unused result means the node can go. */
    static boolean isPure(Node n) {
        String d = n.dialect();
        return d.equals("onnx") || d.equals("pare") || d.equals("mil");
    }

    /** Whether {@code n} is the ONNX default-domain op {@code opType}. */
    static boolean isOnnx(Node n, String opType) {
        return n.op().equals("onnx." + opType);
    }

    /** Values that outputs of subgraphs nested (at any depth) in {@code g}'s nodes refer to. */
    static Set<Value> nestedOutputs(Graph g) {
        Set<Value> out = new HashSet<>();
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) collectOutputs(sub, out);
        return out;
    }

    private static void collectOutputs(Graph g, Set<Value> out) {
        out.addAll(g.outputs());
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) collectOutputs(sub, out);
    }

    /** Whether a value of {@code g} is needed: used by a node, a graph output, or returned by a nested subgraph. */
    static boolean isLive(Value v, Graph g, Set<Value> nestedOutputs) {
        return v.hasUses() || g.isOutput(v) || nestedOutputs.contains(v);
    }

    /** Replaces {@code from} (a value of {@code g}) by {@code to} everywhere: uses, {@code g}'s outputs, nested outputs. */
    static void replaceAllUses(Graph g, Value from, Value to) {
        g.rewriter().replaceAllUsesWith(from, to);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }

    private static void replaceNestedOutputs(Graph g, Value from, Value to) {
        Rewriter rw = null;
        for (int i = 0; i < g.outputs().size(); i++) {
            if (g.outputs().get(i) == from) {
                if (rw == null) rw = g.rewriter();
                rw.setOutput(i, to);
            }
        }
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }

    /** Erases a node whose results are dead, first dropping the uses its subgraphs hold. */
    static void eraseWithSubgraphs(Rewriter rw, Node n) {
        for (Graph sub : n.subgraphs()) releaseUses(sub);
        rw.erase(n);
    }

    private static void releaseUses(Graph g) {
        Rewriter rw = g.rewriter();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.operands().size(); i++) {
                if (!n.operand(i).isAbsent()) rw.setOperand(n, i, Value.ABSENT);
            }
            for (Graph sub : n.subgraphs()) releaseUses(sub);
        }
    }

    /**
     * Replaces the single-result node {@code n} of {@code g} by a constant that takes over the
     * result's name, so graph outputs and later readers see the same name.
     */
    static Value replaceByConstant(Graph g, Rewriter rw, Node n, TensorData data) {
        Value result = n.result(0);
        String name = result.name();
        Value c = rw.addConstant(rw.uniqueValueName(name + "_folded"), data);
        replaceAllUses(g, result, c);
        eraseWithSubgraphs(rw, n);
        rw.renameValue(c, name);
        return c;
    }
}
