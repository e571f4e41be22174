package dev.pare.testkit;

import dev.pare.spi.Diagnostic;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.Statistics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/**
 * A deterministic {@link PassContext} for tests: collects diagnostics and statistics, draws
 * random numbers from a fixed seed and runs executor tasks in the calling thread.
 */
public final class TestPassContext implements PassContext {

    private final List<Diagnostic> diagnostics = new ArrayList<>();
    private final Map<String, Long> statistics = new TreeMap<>();
    private final RandomGenerator random;
    private final ExecutorService executor = new DirectExecutorService();
    private final Map<Class<?>, Object> services;

    public TestPassContext(long seed, Map<Class<?>, Object> services) {
        this.random = new SplittableRandom(seed);
        this.services = new LinkedHashMap<>(services);
    }

    public TestPassContext() { this(0, Map.of()); }

    @Override public Diagnostics diagnostics() { return diagnostics::add; }

    @Override public Statistics statistics() { return (counter, delta) -> statistics.merge(counter, delta, Long::sum); }

    @Override public RandomGenerator random() { return random; }

    @Override public ExecutorService executor() { return executor; }

    @Override public <T> Optional<T> service(Class<T> type) {
        return Optional.ofNullable(services.get(type)).map(type::cast);
    }

    /** What the pass reported, in order. */
    public List<Diagnostic> reportedDiagnostics() { return Collections.unmodifiableList(diagnostics); }

    /** Counter totals, sorted by name. */
    public Map<String, Long> reportedStatistics() { return Collections.unmodifiableMap(statistics); }
}
