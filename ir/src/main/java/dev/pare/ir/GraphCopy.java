package dev.pare.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A scratch copy of a graph, subgraphs included, sharing the (immutable) constant data, so that a
 * conversion can be tried in full before the real graph is touched (and an executor can run a
 * snapshot that later rewrites do not affect). Nodes of a copied subgraph use the copies of the
 * enclosing graphs' values.
 */
public final class GraphCopy {

    private GraphCopy() {}

    /** The copy, or null if the graph uses values of a graph enclosing it (it is itself a subgraph). */
    public static Graph of(Graph g) {
        Graph copy = new Graph(g.name());
        return copyInto(g, copy, new HashMap<>(), false, UnaryOperator.identity()) ? copy : null;
    }

    /**
     * A copy of subgraph {@code sub} scoped in the same enclosing graph (values of the enclosing
     * graphs used as they are), its values and nodes, nested subgraphs included, named by
     * {@code rename} of the original names: one more body to lower when an op's subgraph is
     * lowered once per batch entry.
     */
    public static Graph sibling(Graph sub, UnaryOperator<String> rename) {
        if (sub.parent() == null) throw new IllegalArgumentException(sub + " is not a subgraph");
        Graph copy = new Graph(rename.apply(sub.name()), sub.parent());
        copyInto(sub, copy, new HashMap<>(), true, rename);
        return copy;
    }

    /**
     * Copies the constants and nodes of subgraph {@code sub} into the graph of {@code rw} (an
     * enclosing graph of sub) at its insertion point, under names free there; values of the graphs
     * enclosing sub are used as they are. Returns the copies of sub's outputs and adds the new
     * nodes to {@code created}.
     */
    public static List<Value> inline(Graph sub, Rewriter rw, List<Node> created) {
        Map<Value, Value> map = new HashMap<>();
        for (Value c : sub.constants()) map.put(c, rw.addConstant(rw.uniqueValueName(c.name()), c.data()));
        for (Node n : sub.nodes()) {
            List<Value> operands = new ArrayList<>();
            for (Value o : n.operands()) operands.add(o.isAbsent() ? Value.ABSENT : map.getOrDefault(o, o));
            Attributes attributes = copySubgraphs(n, rw.graph(), map, true, UnaryOperator.identity());
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            for (Value r : n.results()) {
                names.add(r.isAbsent() ? "" : rw.uniqueValueName(r.name()));
                types.add(r.type());
            }
            Node c = rw.createNode(rw.uniqueNodeName(n.name()), n.op(), operands, names, types, attributes, n.location());
            created.add(c);
            for (int i = 0; i < n.results().size(); i++) if (!n.result(i).isAbsent()) map.put(n.result(i), c.result(i));
        }
        List<Value> outputs = new ArrayList<>();
        for (Value o : sub.outputs()) outputs.add(o.isAbsent() ? Value.ABSENT : map.getOrDefault(o, o));
        return outputs;
    }

    /** The node's attributes with each subgraph copied under {@code parent}; null when one cannot be. */
    private static Attributes copySubgraphs(Node n, Graph parent, Map<Value, Value> map, boolean allowOuter, UnaryOperator<String> rename) {
        Attributes attributes = n.attributes();
        for (Map.Entry<String, Attribute> a : n.attributes().asMap().entrySet()) {
            if (a.getValue() instanceof Attribute.GraphAttr sub) {
                Graph s = copySub(sub.value(), parent, map, allowOuter, rename);
                if (s == null) return null;
                attributes = attributes.with(a.getKey(), new Attribute.GraphAttr(s));
            } else if (a.getValue() instanceof Attribute.GraphsAttr subs) {
                List<Graph> copies = new ArrayList<>();
                for (Graph sub : subs.values()) {
                    Graph s = copySub(sub, parent, map, allowOuter, rename);
                    if (s == null) return null;
                    copies.add(s);
                }
                attributes = attributes.with(a.getKey(), new Attribute.GraphsAttr(copies));
            }
        }
        return attributes;
    }

    private static boolean copyInto(Graph g, Graph copy, Map<Value, Value> map, boolean allowOuter, UnaryOperator<String> rename) {
        Rewriter rw = copy.rewriter();
        rw.setGraphMetadata(g.metadata());
        for (Value in : g.inputs()) {
            Value c = rw.addInput(rename.apply(in.name()), in.type());
            if (in.data() != null) rw.setInputDefault(c, in.data());
            map.put(in, c);
        }
        for (Value c : g.constants()) map.put(c, rw.addConstant(rename.apply(c.name()), c.data()));
        for (Node n : g.nodes()) {
            List<Value> operands = new ArrayList<>();
            for (Value o : n.operands()) {
                Value m = o.isAbsent() ? Value.ABSENT : map.get(o);
                if (m == null && !allowOuter) return false; // a value of a graph enclosing g
                operands.add(m == null ? o : m);
            }
            Attributes attributes = copySubgraphs(n, copy, map, allowOuter, rename);
            if (attributes == null) return false;
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            for (Value r : n.results()) {
                names.add(r.isAbsent() ? "" : rename.apply(r.name()));
                types.add(r.type());
            }
            Node c = rw.createNode(rename.apply(n.name()), n.op(), operands, names, types, attributes, n.location());
            for (int i = 0; i < n.results().size(); i++) if (!n.result(i).isAbsent()) map.put(n.result(i), c.result(i));
        }
        for (Value o : g.outputs()) {
            Value m = o.isAbsent() ? Value.ABSENT : map.get(o);
            if (m == null && !allowOuter) return false;
            rw.addOutput(m == null ? o : m);
        }
        return true;
    }

    private static Graph copySub(Graph sub, Graph parentCopy, Map<Value, Value> map, boolean allowOuter, UnaryOperator<String> rename) {
        Graph s = new Graph(rename.apply(sub.name()), parentCopy);
        return copyInto(sub, s, map, allowOuter, rename) ? s : null;
    }
}
