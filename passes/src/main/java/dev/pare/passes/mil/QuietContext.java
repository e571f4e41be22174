package dev.pare.passes.mil;

import dev.pare.spi.Diagnostics;
import dev.pare.spi.PassContext;
import dev.pare.spi.Statistics;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/** The context of a trial run: the same services, but no counters or diagnostics reported. */
final class QuietContext implements PassContext {

    private final PassContext outer;

    QuietContext(PassContext outer) { this.outer = outer; }

    @Override public Diagnostics diagnostics() { return d -> { }; }

    @Override public Statistics statistics() { return (counter, delta) -> { }; }

    @Override public RandomGenerator random() { return outer.random(); }

    @Override public ExecutorService executor() { return outer.executor(); }

    @Override public <T> Optional<T> service(Class<T> type) { return outer.service(type); }
}
