package dev.pare.passes.compression.math;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.IntConsumer;

/**
 * Independent parts of one weight's work spread over a pool's idle threads. The calling thread
 * runs every part no pool thread has started yet, so a pool whose threads are all busy (with
 * other weights, or with this one's caller) only means the caller does the parts itself: it never
 * waits for a queue. Callers split work so that the result does not depend on which thread ran a
 * part (per-element results, integer sums, per-part lists joined in part order).
 */
public final class SplitWork {

    /** Everything on the calling thread. */
    public static final SplitWork INLINE = new SplitWork(null, 1);

    private final Executor executor;
    private final int parts;

    private SplitWork(Executor executor, int parts) {
        this.executor = executor;
        this.parts = parts;
    }

    /** Work split in {@code parts} parts, those the caller has not reached run on {@code executor}; null executor or one part: {@link #INLINE}. */
    public static SplitWork on(Executor executor, int parts) {
        if (parts < 1) throw new IllegalArgumentException("parts must be positive, got " + parts);
        return executor == null || parts == 1 ? INLINE : new SplitWork(executor, parts);
    }

    /** How many parts work is split into (1 when inline). */
    public int parts() { return parts; }

    /** The first element of part {@code p} of {@code n} elements split in {@link #parts()} (part {@code parts()} ends them). */
    public long start(long n, int p) {
        return n / parts * p + Math.min(p, n % parts);
    }

    /**
     * Runs {@code part.accept(p)} for every {@code p} in {@code [0, count)} and returns when all have
     * ended; the first failure (in part order) is thrown once all have ended.
     */
    public void run(int count, IntConsumer part) {
        if (count <= 0) return;
        if (executor == null || count == 1) {
            for (int p = 0; p < count; p++) part.accept(p);
            return;
        }
        List<FutureTask<Void>> tasks = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            int index = p;
            tasks.add(new FutureTask<>(() -> part.accept(index), null));
        }
        for (int p = 1; p < count; p++) { // part 0 is the caller's from the start
            try {
                executor.execute(tasks.get(p));
            } catch (RejectedExecutionException e) {
                break; // a pool shutting down: the caller runs the rest
            }
        }
        Throwable failure = null;
        for (FutureTask<Void> task : tasks) {
            task.run(); // nothing when a pool thread has started it
            try {
                awaitUninterruptibly(task);
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            }
        }
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    /** Waits for a part a pool thread runs; an interrupt is kept for the caller to see, as the part cannot be abandoned half-way. */
    private static void awaitUninterruptibly(FutureTask<Void> task) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
