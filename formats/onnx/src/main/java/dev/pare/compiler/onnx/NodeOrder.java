package dev.pare.compiler.onnx;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/** Node order and node names of an ONNX graph as read. */
final class NodeOrder {

    private NodeOrder() {}

    /**
     * A topological order of the nodes that keeps the file order wherever it is already valid.
     * Uses of outer values inside subgraphs count as inputs of the node that holds them.
     *
     * @throws OnnxInputError naming the nodes of a cycle
     */
    static List<Integer> sort(GraphProto gp, Map<String, Integer> producer, String graphLabel) {
        int n = gp.getNodeCount();
        List<Set<Integer>> consumers = new ArrayList<>(n);
        List<Set<Integer>> deps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            consumers.add(new TreeSet<>());
            deps.add(new TreeSet<>());
        }
        boolean ordered = true;
        for (int i = 0; i < n; i++) {
            for (String name : inputsOf(gp.getNode(i))) {
                Integer p = producer.get(name);
                if (p == null) continue;
                deps.get(i).add(p);
                consumers.get(p).add(i);
                if (p >= i) ordered = false;
            }
        }
        List<Integer> order = new ArrayList<>(n);
        if (ordered) {
            for (int i = 0; i < n; i++) order.add(i);
            return order;
        }
        int[] indegree = new int[n];
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < n; i++) {
            indegree[i] = deps.get(i).size();
            if (indegree[i] == 0) ready.add(i);
        }
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(i);
            for (int c : consumers.get(i)) if (--indegree[c] == 0) ready.add(c);
        }
        if (order.size() == n) return order;
        throw new OnnxInputError(graphLabel + " has a cycle: " + cycle(gp, deps, indegree));
    }

    /** A cycle among the nodes left with unmet inputs, in data-flow order, starting at the earliest node. */
    private static String cycle(GraphProto gp, List<Set<Integer>> deps, int[] indegree) {
        int start = -1;
        for (int i = 0; i < indegree.length && start < 0; i++) if (indegree[i] > 0) start = i;
        List<Integer> path = new ArrayList<>();
        Map<Integer, Integer> seen = new HashMap<>();
        int cur = start;
        while (!seen.containsKey(cur)) {
            seen.put(cur, path.size());
            path.add(cur);
            int next = -1;
            for (int d : deps.get(cur)) {
                if (indegree[d] > 0) {
                    next = d;
                    break;
                }
            }
            cur = next;
        }
        List<Integer> loop = new ArrayList<>(path.subList(seen.get(cur), path.size()));
        Collections.reverse(loop); // producers first
        int first = loop.indexOf(Collections.min(loop));
        Collections.rotate(loop, -first);
        StringBuilder sb = new StringBuilder();
        for (int i : loop) sb.append(display(gp, i)).append(" -> ");
        return sb.append(display(gp, loop.get(0))).toString();
    }

    private static String display(GraphProto gp, int i) {
        String name = gp.getNode(i).getName();
        return name.isEmpty() ? "#" + i + " (" + gp.getNode(i).getOpType() + ")" : name;
    }

    /** Names a node reads: its inputs and what its subgraphs use from outside themselves. */
    static Set<String> inputsOf(NodeProto node) {
        Set<String> out = new LinkedHashSet<>();
        for (String in : node.getInputList()) if (!in.isEmpty()) out.add(in);
        for (AttributeProto a : node.getAttributeList()) {
            if (a.hasG()) out.addAll(freeNames(a.getG()));
            for (GraphProto g : a.getGraphsList()) out.addAll(freeNames(g));
        }
        return out;
    }

    /** Names used in {@code g} (or deeper) that {@code g} does not define. */
    static Set<String> freeNames(GraphProto g) {
        Set<String> defined = new HashSet<>();
        for (ValueInfoProto v : g.getInputList()) defined.add(v.getName());
        for (TensorProto t : g.getInitializerList()) defined.add(t.getName());
        for (SparseTensorProto s : g.getSparseInitializerList()) defined.add(s.getValues().getName());
        for (NodeProto n : g.getNodeList()) defined.addAll(n.getOutputList());
        Set<String> free = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : inputsOf(n)) if (!defined.contains(in)) free.add(in);
        }
        for (ValueInfoProto o : g.getOutputList()) {
            if (!o.getName().isEmpty() && !defined.contains(o.getName())) free.add(o.getName());
        }
        return free;
    }

    /**
     * IR node names: the file's name when it is non-empty and not taken by an earlier node,
     * otherwise {@code <name or op_type>_<k>} avoiding every name in the file.
     */
    static String[] uniqueNames(GraphProto gp) {
        int n = gp.getNodeCount();
        Set<String> fileNames = new HashSet<>();
        for (NodeProto np : gp.getNodeList()) if (!np.getName().isEmpty()) fileNames.add(np.getName());
        Set<String> used = new HashSet<>();
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            String original = gp.getNode(i).getName();
            if (!original.isEmpty() && used.add(original)) {
                names[i] = original;
                continue;
            }
            String hint = !original.isEmpty() ? original
                    : gp.getNode(i).getOpType().isEmpty() ? "node" : gp.getNode(i).getOpType();
            String candidate = hint;
            for (int k = 1; fileNames.contains(candidate) || used.contains(candidate); k++) candidate = hint + "_" + k;
            used.add(candidate);
            names[i] = candidate;
        }
        return names;
    }
}
