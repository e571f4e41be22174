package dev.pare.passes.mil;

import dev.pare.ir.Attributes;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Value;
import java.util.List;

/**
 * Before lowering: an ONNX subgraph may return a value of an enclosing graph (or one of its own
 * inputs or constants) as an output. Lowering the enclosing graph replaces such values through
 * their uses, and a subgraph's output list is not a use; so each such output first gets an
 * {@code onnx.Identity} inside the subgraph, whose operand is a use like any other.
 */
final class SubgraphOutputs {

    private SubgraphOutputs() {}

    static void computeInside(Graph g) {
        for (Node n : g.allNodes()) {
            if (!n.dialect().equals("onnx")) continue;
            for (Graph sub : n.subgraphs()) {
                Rewriter rw = sub.rewriter();
                for (int i = 0; i < sub.outputs().size(); i++) {
                    Value o = sub.outputs().get(i);
                    if (o.isAbsent() || (o.producer() != null && o.producer().graph() == sub)) continue;
                    String name = rw.uniqueValueName(o.name() + "_" + sub.name() + "_out");
                    Node id = rw.createNode(rw.uniqueNodeName(name), "onnx.Identity", List.of(o), List.of(name),
                            List.of(o.type()), Attributes.empty(), n.location());
                    rw.setOutput(i, id.result(0));
                }
            }
        }
    }
}
