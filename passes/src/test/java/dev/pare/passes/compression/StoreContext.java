package dev.pare.passes.compression;

import dev.pare.ir.TensorStore;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.Statistics;
import dev.pare.testkit.DirectExecutorService;
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
}
