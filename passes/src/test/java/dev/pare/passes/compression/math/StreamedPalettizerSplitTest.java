package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streamed per-tensor k-means split over threads gives the LUT and indices of the inline run, for any split and piece. */
class StreamedPalettizerSplitTest {

    private static final long[] SHAPE = {300, 263}; // an element count no split divides evenly
    private static final int N = 300 * 263;
    private static ExecutorService pool;

    @BeforeAll static void start() { pool = Executors.newFixedThreadPool(3); }

    @AfterAll static void stop() { pool.shutdownNow(); }

    private static PalettizerOptions kmeans(int nbits) {
        return new PalettizerOptions(PalettizerOptions.Mode.KMEANS, nbits, PalettizerOptions.Granularity.PER_TENSOR, 32, null, 1,
                PalettizerOptions.PerChannelScale.NONE, null, PalettizerOptions.DEFAULT_MAX_ITERATIONS);
    }

    private record Run(Palettization result, int[] indices) {}

    private static Run run(float[] w, int nbits, int piece, SplitWork split) {
        int[] indices = new int[w.length];
        int[] at = {0};
        Palettization p = StreamedPalettizer.palettize(SHAPE, Precision.FLOAT32, (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count),
                kmeans(nbits), piece, (labels, count) -> {
                    System.arraycopy(labels, 0, indices, at[0], count);
                    at[0] += count;
                }, split);
        assertEquals(w.length, at[0]);
        return new Run(p, indices);
    }

    private static void assertSplitsAgree(float[] w) {
        for (int nbits : new int[] {2, 4}) {
            for (int piece : new int[] {1000, 1 << 16, N}) {
                Run inline = run(w, nbits, piece, SplitWork.INLINE);
                for (int parts : new int[] {2, 3, 7}) {
                    Run split = run(w, nbits, piece, SplitWork.on(pool, parts));
                    String what = "nbits " + nbits + " piece " + piece + " parts " + parts;
                    assertArrayEquals(inline.result().luts(), split.result().luts(), what);
                    assertArrayEquals(inline.indices(), split.indices(), what);
                }
            }
        }
    }

    @Test
    void manyDistinctValuesGiveTheSameLutAndIndicesForAnySplit() {
        SplittableRandom r = new SplittableRandom(11);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = (float) (r.nextGaussian() * 0.02);
        for (int i = 0; i < N; i += 97) w[i] = i % 2 == 0 ? 0f : -0f; // signed zeros in every part
        assertTrue(FloatBins.distinctAtMost(w, N, KMeans1D.EXACT_DISTINCT) == null, "the test needs the boundary samples' path");
        assertSplitsAgree(w);
    }

    @Test
    void sharedBinsWithFewValuesGiveTheSameLutAndIndicesForAnySplit() {
        // bins holding several values, the same value first seen in different parts
        SplittableRandom r = new SplittableRandom(5);
        float[] values = new float[600];
        for (int i = 0; i < values.length; i++) values[i] = i % 10 == 0 ? (float) r.nextGaussian() : Math.nextUp(values[i - 1]);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = values[r.nextInt(values.length)];
        assertTrue(FloatBins.of(w, N, null).multiCount > 0, "the test needs bins of several values");
        assertSplitsAgree(w);
    }
}
