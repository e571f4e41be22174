package dev.pare.spi;

import dev.pare.ir.Graph;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Runs a graph on sample inputs, e.g. to calibrate activation ranges or to compare two models. The
 * compiler binds one per compilation (it knows the model's opsets and format details) and passes
 * reach it through {@code context.service(ModelExecutor.class)}.
 *
 * <pre>{@code
 * try (ModelExecutor.Session s = executor.open(graph, List.of(convOutput))) {
 *     Map<String, TensorData> out = s.run(Map.of("input", image)); // outputs + captured, by name
 * }
 * }</pre>
 */
public interface ModelExecutor {

    /**
     * Opens a session on {@code graph} as it is now (in the model's source dialect; {@code pare.*}
     * ops are lowered first). Each value in {@code captured} (a computed value of the graph) is
     * returned by {@link Session#run} next to the graph's outputs. Later changes to the graph do not
     * affect an open session.
     */
    Session open(Graph graph, List<Value> captured) throws ModelExecutionException;

    /** A loaded graph; close it to free the runtime's memory. */
    interface Session extends AutoCloseable {

        /**
         * Runs once: one dense tensor per graph input name. Returns the graph's outputs and the
         * captured values by name, as dense tensors on the heap.
         */
        Map<String, TensorData> run(Map<String, TensorData> inputs) throws ModelExecutionException;

        @Override void close();
    }
}
