package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.TensorStore;
import dev.pare.ir.Value;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassContext;
import dev.pare.spi.Statistics;
import dev.pare.testkit.DirectExecutorService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/**
 * A pass context for the streaming tests: passes run on the calling thread, put what they create
 * into the given tensor store, and their statistics are summed into {@link #counters()}.
 */
record StoreContext(ExecutorService executor, RandomGenerator random, TensorStore tensorStore, Map<String, Long> counters)
        implements PassContext {

    StoreContext(TensorStore store) { this(new DirectExecutorService(), new SplittableRandom(7), store, new TreeMap<>()); }

    @Override public Diagnostics diagnostics() { return d -> { }; }

    @Override public Statistics statistics() { return (c, d) -> counters.merge(c, d, Long::sum); }

    @Override public <T> Optional<T> service(Class<T> type) { return Optional.empty(); }

    /**
     * Runs {@code passes} in order on {@code g} in a context over {@code store}, checks that each
     * changed it, and describes the result for comparing two runs: the printed graph, every
     * constant's SHA-256 and the summed statistics.
     */
    static String runAndDescribe(Graph g, TensorStore store, Pass... passes) throws PassFailure {
        return runAndDescribe(g, store, new DirectExecutorService(), passes);
    }

    /** As above, the passes running on {@code executor}. */
    static String runAndDescribe(Graph g, TensorStore store, ExecutorService executor, Pass... passes) throws PassFailure {
        StoreContext c = new StoreContext(executor, new SplittableRandom(7), store, new TreeMap<>());
        for (Pass pass : passes) assertTrue(pass.run(g, c).changed(), "the pass changed nothing");
        List<String> constants = new ArrayList<>();
        for (Value v : g.constants()) constants.add(v.name() + "=" + v.data().sha256());
        return IrPrinter.print(g) + constants + c.counters();
    }
}
