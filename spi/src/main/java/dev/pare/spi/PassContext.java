package dev.pare.spi;

import dev.pare.ir.TensorStore;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/** What a running pass may use from the outside world; bound by the compiler. */
public interface PassContext {

    Diagnostics diagnostics();

    Statistics statistics();

    /** Seeded per pipeline step, so results do not depend on run order or thread count. */
    RandomGenerator random();

    /** A shared pool for per-tensor parallel work. */
    ExecutorService executor();

    /** A service bound by the compiler (for example a model executor), if present. */
    <T> Optional<T> service(Class<T> type);

    /**
     * Where a pass puts large tensors it creates (compressed weights), so that they need not stay
     * on the heap; what it returns is read like any other constant, by later passes and writers.
     * The compiler binds a file-backed store that lives until the model is written; the default
     * keeps tensors on the heap.
     */
    default TensorStore tensorStore() { return TensorStore.heap(); }

    /** Where the pass reports how far it has got; by default nowhere. */
    default Progress progress() { return Progress.NONE; }
}
