package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-tensor k-means a piece at a time gives the LUT and indices of {@link Palettizer} on the whole weight. */
class StreamedPalettizerTest {

    private static final int N = 300 * 256;

    private static PalettizerOptions kmeans(int nbits) {
        return new PalettizerOptions(PalettizerOptions.Mode.KMEANS, nbits, PalettizerOptions.Granularity.PER_TENSOR, 32, null, 1,
                PalettizerOptions.PerChannelScale.NONE, null, PalettizerOptions.DEFAULT_MAX_ITERATIONS);
    }

    private static void assertSame(float[] w, Precision p, int nbits, int piece) {
        long[] shape = {300, 256};
        Palettization whole = new Palettizer(null).palettize(WeightTensor.of(w, shape, p), kmeans(nbits), new SplittableRandom(1));
        int[] indices = new int[w.length];
        int[] at = {0};
        Palettization streamed = StreamedPalettizer.palettize(shape, p, (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count),
                kmeans(nbits), piece, (labels, count) -> {
                    System.arraycopy(labels, 0, indices, at[0], count);
                    at[0] += count;
                });
        String what = p + " nbits " + nbits + " piece " + piece;
        assertEquals(w.length, at[0], what);
        assertArrayEquals(whole.luts(), streamed.luts(), what);
        assertArrayEquals(whole.indices(), indices, what);
        assertArrayEquals(whole.lutShape(), streamed.lutShape(), what);
        assertArrayEquals(whole.indicesShape(), streamed.indicesShape(), what);
        assertEquals(whole.axis(), streamed.axis(), what);
        assertEquals(whole.groupSize(), streamed.groupSize(), what);
        assertNull(streamed.indices());
    }

    private static float[] gaussian(Precision p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = p.round((float) r.nextGaussian());
        return w;
    }

    @Test
    void singleValuedBinsAreClusteredExactly() {
        float[] w = gaussian(Precision.FLOAT16, 3); // fp16 values: one per bin
        assertEquals(0, FloatBins.of(w, N, null).multiCount, "the test needs bins of one value each");
        for (int nbits : new int[] {1, 4, 8}) assertSame(w, Precision.FLOAT16, nbits, 104);
    }

    @Test
    void float16BitPatternsAreCountedAndLabelledAsTheirValuesAre() {
        float[] w = gaussian(Precision.FLOAT16, 7);
        for (int i = 0; i < N; i += 53) w[i] = i % 2 == 0 ? 0f : -0f;
        short[] halves = new short[N];
        for (int i = 0; i < N; i++) halves[i] = dev.pare.ir.Float16.fromFloat(w[i]);
        long[] shape = {300, 256};
        for (int nbits : new int[] {1, 4, 8}) {
            Palettization whole = new Palettizer(null).palettize(WeightTensor.of(w, shape, Precision.FLOAT16), kmeans(nbits), new SplittableRandom(1));
            int[] indices = new int[N];
            int[] at = {0};
            Palettization streamed = StreamedPalettizer.palettizeHalf(shape, (first, into, count) -> System.arraycopy(halves, (int) first, into, 0, count),
                    kmeans(nbits), 104, (labels, count) -> {
                        System.arraycopy(labels, 0, indices, at[0], count);
                        at[0] += count;
                    });
            assertEquals(N, at[0]);
            assertArrayEquals(whole.luts(), streamed.luts(), "nbits " + nbits);
            assertArrayEquals(whole.indices(), indices, "nbits " + nbits);
            assertArrayEquals(whole.lutShape(), streamed.lutShape());
        }
    }

    @Test
    void fewDistinctValuesInSharedBinsAreCountedExactly() {
        SplittableRandom r = new SplittableRandom(9);
        float[] pool = new float[1000];
        for (int i = 0; i < pool.length; i++) pool[i] = i % 20 == 0 ? (float) r.nextGaussian() : Math.nextUp(pool[i - 1]);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = pool[r.nextInt(pool.length)];
        FloatBins bins = FloatBins.of(w, N, null);
        assertTrue(bins.multiCount > 0 && bins.size() + bins.multiCount <= KMeans1D.EXACT_DISTINCT, "the test needs few bins of several values");
        for (int nbits : new int[] {1, 4, 8}) assertSame(w, Precision.FLOAT32, nbits, 104);
    }

    @Test
    void manyValuesAreClusteredOverBinsRefinedNearTheBoundaries() {
        float[] w = gaussian(Precision.FLOAT32, 4);
        FloatBins bins = FloatBins.of(w, N, null);
        assertTrue(bins.multiCount > 0 && FloatBins.distinctAtMost(w, N, KMeans1D.EXACT_DISTINCT) == null,
                "the test needs bins of several values and too many distinct values to count");
        for (int nbits : new int[] {1, 4, 8}) for (int piece : new int[] {104, 1 << 16}) assertSame(w, Precision.FLOAT32, nbits, piece);
    }

    @Test
    void otherOptionsAreRefused() {
        PalettizerOptions uniform = new PalettizerOptions(PalettizerOptions.Mode.UNIFORM, 4, PalettizerOptions.Granularity.PER_TENSOR, 32, null, 1,
                PalettizerOptions.PerChannelScale.NONE, null, PalettizerOptions.DEFAULT_MAX_ITERATIONS);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StreamedPalettizer.palettize(new long[] {8}, Precision.FLOAT32,
                (f, into, c) -> { }, uniform, 8, (l, c) -> { }));
        assertEquals("palettize: only per-tensor scalar k-means is done a piece at a time", e.getMessage());
    }
}
