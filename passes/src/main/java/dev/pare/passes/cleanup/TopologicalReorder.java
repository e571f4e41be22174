package dev.pare.passes.cleanup;

import dev.pare.passes.PassesCode;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Value;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * {@code topological_reorder}: puts nodes in a stable topological order (Kahn's algorithm, ties
 * broken by current position), so an already ordered graph stays exactly as it is. A node
 * depends on the producers of its operands and of every outer value its subgraphs read.
 * Subgraphs are ordered too.
 */
public final class TopologicalReorder implements PassProvider<TopologicalReorder.Options> {

    /** No options. */
    public record Options() {}

    @Override public PassInfo info() {
        return PassInfo.optional("topological_reorder", "Orders nodes topologically, keeping the current order where it is valid.");
    }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(reorder(graph, context));
    }

    private static boolean reorder(Graph g, PassContext context) throws PassFailure {
        List<Node> nodes = g.nodes();
        Map<Node, Integer> position = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) position.put(nodes.get(i), i);
        List<List<Integer>> readers = new ArrayList<>();
        int[] pending = new int[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) readers.add(new ArrayList<>());
        for (int i = 0; i < nodes.size(); i++) {
            Set<Node> producers = new LinkedHashSet<>();
            Node n = nodes.get(i);
            for (Value v : n.operands()) addProducer(v, g, producers);
            for (Graph sub : n.subgraphs()) collectCaptures(sub, g, producers);
            producers.remove(n);
            for (Node p : producers) {
                readers.get(position.get(p)).add(i);
                pending[i]++;
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) if (pending[i] == 0) ready.add(i);
        List<Node> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(nodes.get(i));
            for (int r : readers.get(i)) if (--pending[r] == 0) ready.add(r);
        }
        if (order.size() < nodes.size()) {
            Node stuck = null;
            for (int i = 0; i < nodes.size() && stuck == null; i++) if (pending[i] > 0) stuck = nodes.get(i);
            throw new PassFailure(PassesCode.TR001, stuck, "graph " + g.name() + " has a cycle through node " + stuck.name());
        }
        boolean changed = !order.equals(nodes);
        if (changed) {
            g.rewriter().reorder(order);
            context.statistics().increment("graphs_reordered");
        }
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) changed |= reorder(sub, context);
        return changed;
    }

    private static void addProducer(Value v, Graph g, Set<Node> producers) {
        if (!v.isAbsent() && v.graph() == g && v.producer() != null) producers.add(v.producer());
    }

    private static void collectCaptures(Graph sub, Graph g, Set<Node> producers) {
        for (Node n : sub.nodes()) {
            for (Value v : n.operands()) addProducer(v, g, producers);
            for (Graph inner : n.subgraphs()) collectCaptures(inner, g, producers);
        }
        for (Value v : sub.outputs()) addProducer(v, g, producers);
    }
}
