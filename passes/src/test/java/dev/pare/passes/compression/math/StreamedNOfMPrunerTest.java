package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * n:m pruning by bands ({@link StreamedPruner#nOfMMask}, then {@link StreamedPruner#pruneByMask})
 * gives the mask and kept values of {@link Pruner#magnitude} on the whole weight: along the first
 * and second axis of rank-2 and rank-3 weights, m dividing the channels or not (zero padding), zeros and ties, bands of
 * one inner position, of several, and of whole slabs.
 */
class StreamedNOfMPrunerTest {

    private static float[] values(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = i % 37 == 0 ? 0f : i % 53 == 0 ? Precision.FLOAT16.round(0.01f) : Precision.FLOAT16.round((float) (r.nextGaussian() * 0.02)); // zeros and ties
        }
        return w;
    }

    private static void assertSame(long[] shape, int n, int m, int dim, int piece) {
        int count = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] w = values(count, 7);
        PruningResult whole = Pruner.magnitude(WeightTensor.of(w, shape, Precision.FLOAT16),
                new MagnitudePrunerOptions(null, null, new int[] {n, m}, dim));
        LinearQuantizer.ValueSource source = (first, into, c) -> System.arraycopy(w, (int) first, into, 0, c);
        byte[] mask = StreamedPruner.nOfMMask(shape, n, m, dim, source, piece);
        boolean[] keep = new boolean[count];
        float[] kept = new float[count];
        int[] at = {0, 0};
        StreamedPruner.pruneByMask(count, mask, source, piece - piece % 8 + 8, (bits, c, values, k) -> {
            for (int i = 0; i < c; i++) keep[at[0] + i] = ((bits[i >>> 3] >>> (i & 7)) & 1) != 0;
            System.arraycopy(values, 0, kept, at[1], k);
            at[0] += c;
            at[1] += k;
        });
        String what = Arrays.toString(shape) + " " + n + ":" + m + " dim " + dim + " piece " + piece;
        assertEquals(count, at[0], what);
        assertArrayEquals(whole.keep(), keep, what);
        assertArrayEquals(whole.keptValues(), Arrays.copyOf(kept, at[1]), what);
        assertEquals(whole.keptValues().length, StreamedPruner.kept(mask), what);
    }

    @Test
    void bandsGiveTheWholeWeightsMaskAndKeptValues() {
        int runs = 0;
        for (int piece : new int[] {7, 104, 4096, 1 << 20}) { // 1 inner position a band, several, whole slabs, everything
            assertSame(new long[] {300, 256}, 2, 4, 0, piece);
            assertSame(new long[] {300, 256}, 2, 4, 1, piece);
            assertSame(new long[] {300, 256}, 3, 8, 0, piece); // 300 = 37·8 + 4: a padded last group
            assertSame(new long[] {12, 30, 20}, 1, 4, 1, piece);
            assertSame(new long[] {12, 20, 30}, 5, 8, 1, piece); // 20 = 2·8 + 4
            assertSame(new long[] {20, 6, 5}, 1, 4, 0, piece);
            runs += 6;
        }
        assertEquals(24, runs);
    }

    @Test
    void theShapeIsCheckedFirst() {
        CompressionNotApplicableException e = assertThrows(CompressionNotApplicableException.class,
                () -> StreamedPruner.nOfMMask(new long[] {6, 256}, 2, 4, 0, (first, into, c) -> { throw new AssertionError("read"); }, 104));
        assertEquals("prune: m 4 is more than half of the 6 channels on axis 0", e.getMessage());
    }
}
