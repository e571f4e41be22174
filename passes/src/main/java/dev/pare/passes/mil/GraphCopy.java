package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
        return copyInto(g, copy, new HashMap<>()) ? copy : null;
    }

    private static boolean copyInto(Graph g, Graph copy, Map<Value, Value> map) {
        Rewriter rw = copy.rewriter();
        rw.setGraphMetadata(g.metadata());
        for (Value in : g.inputs()) {
            Value c = rw.addInput(in.name(), in.type());
            if (in.data() != null) rw.setInputDefault(c, in.data());
            map.put(in, c);
        }
        for (Value c : g.constants()) map.put(c, rw.addConstant(c.name(), c.data()));
        for (Node n : g.nodes()) {
            List<Value> operands = new ArrayList<>();
            for (Value o : n.operands()) {
                Value m = o.isAbsent() ? Value.ABSENT : map.get(o);
                if (m == null) return false; // a value of a graph enclosing g
                operands.add(m);
            }
            Attributes attributes = n.attributes();
            for (Map.Entry<String, Attribute> a : n.attributes().asMap().entrySet()) {
                if (a.getValue() instanceof Attribute.GraphAttr sub) {
                    Graph s = copySub(sub.value(), copy, map);
                    if (s == null) return false;
                    attributes = attributes.with(a.getKey(), new Attribute.GraphAttr(s));
                } else if (a.getValue() instanceof Attribute.GraphsAttr subs) {
                    List<Graph> copies = new ArrayList<>();
                    for (Graph sub : subs.values()) {
                        Graph s = copySub(sub, copy, map);
                        if (s == null) return false;
                        copies.add(s);
                    }
                    attributes = attributes.with(a.getKey(), new Attribute.GraphsAttr(copies));
                }
            }
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            for (Value r : n.results()) {
                names.add(r.isAbsent() ? "" : r.name());
                types.add(r.type());
            }
            Node c = rw.createNode(n.name(), n.op(), operands, names, types, attributes, n.location());
            for (int i = 0; i < n.results().size(); i++) if (!n.result(i).isAbsent()) map.put(n.result(i), c.result(i));
        }
        for (Value o : g.outputs()) {
            Value m = o.isAbsent() ? Value.ABSENT : map.get(o);
            if (m == null) return false;
            rw.addOutput(m);
        }
        return true;
    }

    private static Graph copySub(Graph sub, Graph parentCopy, Map<Value, Value> map) {
        Graph s = new Graph(sub.name(), parentCopy);
        return copyInto(sub, s, map) ? s : null;
    }
}
