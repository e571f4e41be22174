package dev.pare.passes.cleanup;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Value;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import java.util.Set;

/**
 * {@code dead_code_elimination}: removes nodes whose results nothing reads (ONNX, MIL and Pare
 * ops have no side effects), then constants nothing reads. Graph inputs stay: they are the
 * model's (or a subgraph's) signature. A value counts as read when a node uses it, when it is a
 * graph output, and when a nested subgraph uses or returns it.
 */
public final class DeadCodeElimination implements PassProvider<DeadCodeElimination.Options> {

    /** No options: what is dead is not a matter of taste. */
    public record Options() {}

    @Override public PassInfo info() {
        return PassInfo.optional("dead_code_elimination", "Removes nodes and constants whose values are never used.");
    }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(sweep(graph, options, context));
    }

    private static boolean sweep(Graph g, ScopedOptions<Options> options, PassContext context) {
        Rewriter rw = g.rewriter();
        boolean changed = false;
        Set<Value> nestedOutputs = GraphEdits.nestedOutputs(g);
        // Reverse order: a node's readers come after it, so one sweep frees whole chains.
        List<Node> nodes = List.copyOf(g.nodes());
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (isDead(n, g, nestedOutputs) && options.forNode(n).isPresent()) {
                boolean hadSubgraphs = !n.subgraphs().isEmpty();
                GraphEdits.eraseWithSubgraphs(rw, n);
                if (hadSubgraphs) nestedOutputs = GraphEdits.nestedOutputs(g);
                context.statistics().increment("nodes_removed");
                changed = true;
            } else {
                for (Graph sub : n.subgraphs()) changed |= sweep(sub, options, context);
            }
        }
        for (Value c : List.copyOf(g.constants())) {
            if (!GraphEdits.isLive(c, g, nestedOutputs)) {
                rw.eraseConstant(c);
                context.statistics().increment("constants_removed");
                changed = true;
            }
        }
        return changed;
    }

    private static boolean isDead(Node n, Graph g, Set<Value> nestedOutputs) {
        if (!GraphEdits.isPure(n) || n.results().isEmpty()) return false;
        for (Value r : n.results()) {
            if (!r.isAbsent() && GraphEdits.isLive(r, g, nestedOutputs)) return false;
        }
        return true;
    }
}
