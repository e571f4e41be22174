package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class SplitWorkTest {

    @Test
    void rangesCoverTheElementsInOrderWithoutGaps() {
        SplitWork split = SplitWork.on(Runnable::run, 3);
        assertEquals(3, split.parts());
        long[] starts = new long[4];
        for (int p = 0; p <= 3; p++) starts[p] = split.start(10, p);
        assertArrayEquals(new long[] {0, 4, 7, 10}, starts);
        assertEquals(0, split.start(2, 3) - split.start(2, 2)); // fewer elements than parts: empty parts at the end
        assertSame(SplitWork.INLINE, SplitWork.on(null, 4));
        assertSame(SplitWork.INLINE, SplitWork.on(Runnable::run, 1));
        assertThrows(IllegalArgumentException.class, () -> SplitWork.on(Runnable::run, 0));
    }

    @Test
    void everyPartRunsOnceEvenWhenNoPoolThreadIsFree() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        CountDownLatch release = new CountDownLatch(1);
        try {
            pool.execute(() -> { // the pool's only thread is busy until the parts are done
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicIntegerArray runs = new AtomicIntegerArray(5);
            SplitWork.on(pool, 5).run(5, runs::incrementAndGet);
            for (int p = 0; p < 5; p++) assertEquals(1, runs.get(p), "part " + p);
        } finally {
            release.countDown();
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theFirstFailureInPartOrderIsThrownAfterAllParts() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            AtomicIntegerArray runs = new AtomicIntegerArray(4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SplitWork.on(pool, 4).run(4, p -> {
                runs.incrementAndGet(p);
                if (p >= 1) throw new IllegalArgumentException("part " + p);
            }));
            assertEquals("part 1", e.getMessage());
            for (int p = 0; p < 4; p++) assertEquals(1, runs.get(p), "part " + p);
        } finally {
            pool.shutdownNow();
        }
    }
}
