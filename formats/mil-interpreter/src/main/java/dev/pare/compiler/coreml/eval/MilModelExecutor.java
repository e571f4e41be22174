package dev.pare.compiler.coreml.eval;

import dev.pare.ir.GraphCopy;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.ir.Rewriter;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs Core ML programs ({@code mil.*} graphs, e.g. a package read from disk) in the reference
 * {@link MilInterpreter}, so {@code pare compare} and calibration work on Core ML models without
 * Core ML. A session runs a copy of the graph taken when it opens (constant data is shared, it is
 * immutable), so later changes to the graph do not affect it (a graph with nested blocks runs as it
 * is: it must not change while the session is open). Weights a pass has compressed
 * ({@code pare.*} weight ops on constants) are decompressed in the copy, so a pipeline can calibrate
 * after compressing weights, as with ONNX Runtime.
 */
public final class MilModelExecutor implements ModelExecutor {

    /** Whether every operand is a constant or the result of another such pare weight op (a chain, e.g. LUT then scale). */
    private static boolean constantOperands(Node n) {
        for (Value o : n.operands()) {
            if (o.isAbsent() || (o.isConstant() && o.data() != null)) continue;
            Node p = o.producer();
            if (p == null || !PareDialectEvaluator.isPareWeightOp(p.op()) || !constantOperands(p)) return false;
        }
        return true;
    }

    /**
     * Replaces each pare weight op (operands constant, or made constant by the ops before it in
     * graph order) by its dense value under the same name.
     */
    private static void decompressPareWeights(Graph g) throws ModelExecutionException {
        Rewriter rw = g.rewriter();
        for (Node n : List.copyOf(g.nodes())) {
            if (!PareDialectEvaluator.isPareWeightOp(n.op())) continue;
            List<TensorData> operands = new ArrayList<>();
            for (Value o : n.operands()) operands.add(o.isAbsent() ? null : o.data());
            while (!operands.isEmpty() && operands.get(operands.size() - 1) == null) operands.remove(operands.size() - 1);
            TensorData dense;
            try {
                dense = PareDialectEvaluator.evaluate(n.op(), operands, n.attributes());
            } catch (IllegalArgumentException e) {
                throw new ModelExecutionException("cannot decompress '" + n.name() + "' (" + n.op() + "): " + e.getMessage(), e);
            }
            rw.replaceWithConstant(n, dense);
        }
    }

    @Override public Session open(Graph graph, List<Value> captured) throws ModelExecutionException {
        for (Value v : captured) {
            if (v.graph() != graph || v.isAbsent() || v.isConstant() || v.producer() == null) {
                throw new ModelExecutionException("cannot capture '" + v.name() + "': not a computed value of graph " + graph.name());
            }
        }
        for (Node n : graph.nodes()) {
            if (!n.op().startsWith("mil.") && !(PareDialectEvaluator.isPareWeightOp(n.op()) && constantOperands(n))) {
                throw new ModelExecutionException("node '" + n.name() + "' is " + n.op() + ": the MIL interpreter runs Core ML "
                        + "programs (mil.* ops) only");
            }
        }
        Graph copy = GraphCopy.of(graph);
        List<Value> capturedInCopy = new ArrayList<>();
        if (copy == null) {
            // A graph using values of an enclosing graph is not copied: it runs as it is, so nothing may
            // rewrite it while the session is open, and it must not hold pare weight ops to decode.
            if (graph.nodes().stream().anyMatch(n -> PareDialectEvaluator.isPareWeightOp(n.op()))) {
                throw new ModelExecutionException("graph " + graph.name() + " uses values of an enclosing graph and has compressed "
                        + "weights (pare.*); the MIL interpreter runs it only once the weights are written as Core ML constexpr ops");
            }
            copy = graph;
            capturedInCopy.addAll(captured);
        } else {
            decompressPareWeights(copy);
            for (Value v : captured) capturedInCopy.add(copy.value(v.name()).orElseThrow());
        }
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
