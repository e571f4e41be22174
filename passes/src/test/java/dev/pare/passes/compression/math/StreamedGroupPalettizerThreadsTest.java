package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * {@link StreamedGroupPalettizer} solves the groups of a band over a pool: the LUTs and packed
 * indices are the same bytes as on one thread, for any thread count and pool kind, and also when
 * the caller itself runs on that pool with every other thread busy (helpers then never start).
 */
class StreamedGroupPalettizerThreadsTest {

    private static float[] values(int n) {
        Random r = new Random(7);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 0.16 : 0.02));
        return w;
    }

    private static StreamedGroupPalettizer.Result run(float[] w, long[] shape, PalettizerOptions o, int band, ExecutorService pool, int threads) {
        return StreamedGroupPalettizer.palettize(shape, Precision.FLOAT32, (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count),
                o, band, pool, threads);
    }

    @Test
    void anyThreadCountGivesTheSameLutsAndIndices() throws Exception {
        long[] shape = {96, 384}; // per channel along axis 1: 384 groups of 96 values, 3-bit codes cross bytes
        float[] w = values(96 * 384);
        for (PalettizerOptions o : new PalettizerOptions[] {PalettizerOptions.kmeans(3).withGroups(1, 1), PalettizerOptions.kmeans(4).withGroups(8, 0)}) {
            StreamedGroupPalettizer.Result one = run(w, shape, o, 6_000, null, 1);
            // the single-thread path is the pre-existing overload's
            StreamedGroupPalettizer.Result plain = StreamedGroupPalettizer.palettize(shape, Precision.FLOAT32,
                    (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count), o, 6_000);
            assertArrayEquals(plain.packedIndices(), one.packedIndices());
            for (int threads : new int[] {2, 3, 8}) {
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    StreamedGroupPalettizer.Result many = run(w, shape, o, 6_000, pool, threads);
                    assertArrayEquals(one.palettization().luts(), many.palettization().luts(), threads + " threads");
                    assertArrayEquals(one.packedIndices(), many.packedIndices(), threads + " threads");
                } finally {
                    pool.shutdownNow();
                }
            }
            StreamedGroupPalettizer.Result forkJoin = run(w, shape, o, 6_000, ForkJoinPool.commonPool(), 4);
            assertArrayEquals(one.packedIndices(), forkJoin.packedIndices(), "fork-join pool");
        }
    }

    @Test
    void aCallerOnABusyPoolSolvesEveryGroupItself() throws Exception {
        long[] shape = {64, 256};
        float[] w = values(64 * 256);
        PalettizerOptions o = PalettizerOptions.kmeans(4).withGroups(1, 1);
        StreamedGroupPalettizer.Result one = run(w, shape, o, 4_096, null, 1);
        ExecutorService pool = Executors.newFixedThreadPool(1); // the caller holds the only thread: a helper can never start
        try {
            StreamedGroupPalettizer.Result onPool = pool.submit(() -> run(w, shape, o, 4_096, pool, 4)).get();
            assertArrayEquals(one.packedIndices(), onPool.packedIndices());
            assertEquals(256 * 16, onPool.palettization().luts().length);
        } finally {
            pool.shutdownNow();
        }
    }
}
