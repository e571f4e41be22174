package dev.pare.compiler.coreml.eval;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.passes.mil.GraphCopy;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs Core ML programs ({@code mil.*} graphs, e.g. a package read from disk) in the reference
 * {@link MilInterpreter}, so {@code pare compare} and calibration work on Core ML models without
 * Core ML. A session runs a copy of the graph taken when it opens (constant data is shared, it is
 * immutable), so later changes to the graph do not affect it.
 */
public final class MilModelExecutor implements ModelExecutor {

    @Override public Session open(Graph graph, List<Value> captured) throws ModelExecutionException {
        for (Value v : captured) {
            if (v.graph() != graph || v.isAbsent() || v.isConstant() || v.producer() == null) {
                throw new ModelExecutionException("cannot capture '" + v.name() + "': not a computed value of graph " + graph.name());
            }
        }
        for (Node n : graph.nodes()) {
            if (!n.op().startsWith("mil.")) {
                throw new ModelExecutionException("node '" + n.name() + "' is " + n.op() + ": the MIL interpreter runs Core ML "
                        + "programs (mil.* ops) only");
            }
        }
        Graph copy = GraphCopy.of(graph);
        if (copy == null) throw new ModelExecutionException("graph " + graph.name() + " has nested blocks, which the MIL interpreter does not run");
        List<Value> capturedInCopy = new ArrayList<>();
        for (Value v : captured) capturedInCopy.add(copy.value(v.name()).orElseThrow());
        MilInterpreter interpreter = new MilInterpreter(copy);
        String name = graph.name();
        return new Session() {
            @Override public Map<String, TensorData> run(Map<String, TensorData> inputs) throws ModelExecutionException {
                try {
                    return interpreter.run(inputs, capturedInCopy);
                } catch (MilInterpreter.MilEvalException | IllegalArgumentException e) {
                    throw new ModelExecutionException("the MIL interpreter failed to run graph " + name + ": " + e.getMessage(), e);
                }
            }

            @Override public void close() {
                // nothing to free: the copy goes with the session
            }
        };
    }
}
