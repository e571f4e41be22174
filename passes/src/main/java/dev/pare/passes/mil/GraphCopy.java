package dev.pare.passes.mil;

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
 * A scratch copy of a graph without subgraphs, sharing the (immutable) constant data, so that a
 * conversion can be tried in full before the real graph is touched (and an executor can run a
 * snapshot that later rewrites do not affect).
 */
public final class GraphCopy {

    private GraphCopy() {}

    /** The copy, or null if some node holds a subgraph (those graphs are refused earlier anyway). */
    public static Graph of(Graph g) {
        Graph copy = new Graph(g.name());
        Rewriter rw = copy.rewriter();
        Map<Value, Value> map = new HashMap<>();
        for (Value in : g.inputs()) {
            Value c = rw.addInput(in.name(), in.type());
            if (in.data() != null) rw.setInputDefault(c, in.data());
            map.put(in, c);
        }
        for (Value c : g.constants()) map.put(c, rw.addConstant(c.name(), c.data()));
        for (Node n : g.nodes()) {
            if (!n.subgraphs().isEmpty()) return null;
            List<Value> operands = new ArrayList<>();
            for (Value o : n.operands()) {
                Value m = o.isAbsent() ? Value.ABSENT : map.get(o);
                if (m == null) return null; // a value of an enclosing graph
                operands.add(m);
            }
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            for (Value r : n.results()) {
                names.add(r.isAbsent() ? "" : r.name());
                types.add(r.type());
            }
            Node c = rw.createNode(n.name(), n.op(), operands, names, types, n.attributes(), n.location());
            for (int i = 0; i < n.results().size(); i++) if (!n.result(i).isAbsent()) map.put(n.result(i), c.result(i));
        }
        for (Value o : g.outputs()) rw.addOutput(o.isAbsent() ? Value.ABSENT : map.get(o));
        return copy;
    }
}
