package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Unstructured pruning a piece at a time gives the mask and kept values of {@link Pruner} on the whole weight. */
class StreamedPrunerTest {

    private static final int N = 300 * 256 + 5; // not a multiple of the pieces

    private record Streamed(boolean[] keep, float[] kept) {}

    private static Streamed stream(float[] w, StreamedPruner.Cut cut, int piece) {
        boolean[] keep = new boolean[w.length];
        float[] kept = new float[w.length];
        int[] at = {0, 0};
        StreamedPruner.prune(w.length, cut, source(w), piece, (mask, count, values, keptCount) -> {
            for (int i = 0; i < count; i++) keep[at[0] + i] = ((mask[i >>> 3] >>> (i & 7)) & 1) != 0;
            System.arraycopy(values, 0, kept, at[1], keptCount);
            at[0] += count;
            at[1] += keptCount;
        });
        assertEquals(w.length, at[0]);
        assertEquals(cut.kept(), at[1]);
        return new Streamed(keep, Arrays.copyOf(kept, at[1]));
    }

    private static LinearQuantizer.ValueSource source(float[] w) {
        return (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count);
    }

    private static void assertMagnitudeSame(float[] w, Precision p, double target, int piece) {
        PruningResult whole = Pruner.magnitude(WeightTensor.of(w, new long[] {w.length}, p), MagnitudePrunerOptions.sparsity(target));
        Streamed s = stream(w, StreamedPruner.magnitudeCut(w.length, target, source(w), piece), piece);
        String what = p + " target " + target + " piece " + piece;
        assertArrayEquals(whole.keep(), s.keep(), what);
        assertArrayEquals(whole.keptValues(), s.kept(), what);
    }

    private static float[] gaussian(Precision p, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = i % 41 == 0 ? (i % 2 == 0 ? 0f : -0f) : p.round((float) (r.nextGaussian() * 0.02));
        return w;
    }

    @Test
    void float16MagnitudesAreSelectedInOnePass() {
        float[] w = gaussian(Precision.FLOAT16, 1);
        for (double target : new double[] {0, 0.1, 0.5, 0.75, 0.999, 1}) {
            for (int piece : new int[] {104, 1 << 20}) assertMagnitudeSame(w, Precision.FLOAT16, target, piece);
        }
    }

    @Test
    void float32MagnitudesAreRefinedWithinTheirBins() {
        float[] w = gaussian(Precision.FLOAT32, 2);
        for (double target : new double[] {0, 0.01, 0.3, 0.5, 0.9, 1}) {
            for (int piece : new int[] {104, 4096}) assertMagnitudeSame(w, Precision.FLOAT32, target, piece);
        }
    }

    @Test
    void theTwoRanksOfThePercentileInDifferentBinsAndTiesArePrunedTogether() {
        // four distinct magnitudes far apart (one bin each), many ties: the interpolated cut falls between bins
        float[] values = {0.001f, -0.5f, 0.5f, 3f, 1e-7f};
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[N];
        for (int i = 0; i < N; i++) w[i] = values[r.nextInt(values.length)];
        for (double target : new double[] {0.2, 0.35, 0.5, 0.6, 0.8, 0.99}) assertMagnitudeSame(w, Precision.FLOAT32, target, 104);
        // and values in one bin that differ only in their low bits
        for (int i = 0; i < N; i++) w[i] = Float.intBitsToFloat(Float.floatToRawIntBits(0.25f) + r.nextInt(1 << 13)) * (i % 2 == 0 ? 1 : -1);
        for (double target : new double[] {0.25, 0.5, 0.875}) assertMagnitudeSame(w, Precision.FLOAT32, target, 4096);
    }

    @Test
    void thresholdPruningMatchesAndRefusesTooLittleSparsity() {
        float[] w = gaussian(Precision.FLOAT32, 4);
        ThresholdPrunerOptions o = new ThresholdPrunerOptions(0.02, 0.3);
        PruningResult whole = Pruner.threshold(WeightTensor.of(w, new long[] {w.length}, Precision.FLOAT32), o);
        Streamed s = stream(w, StreamedPruner.thresholdCut(w.length, o, source(w), 104), 104);
        assertArrayEquals(whole.keep(), s.keep());
        assertArrayEquals(whole.keptValues(), s.kept());

        ThresholdPrunerOptions strict = new ThresholdPrunerOptions(1e-12, 0.5);
        String expected = assertThrows(CompressionNotApplicableException.class,
                () -> Pruner.threshold(WeightTensor.of(w, new long[] {w.length}, Precision.FLOAT32), strict)).getMessage();
        CompressionNotApplicableException e = assertThrows(CompressionNotApplicableException.class,
                () -> StreamedPruner.thresholdCut(w.length, strict, source(w), 104));
        assertEquals(expected, e.getMessage());
        assertEquals("prune: sparsity 0.024399453160601523 is below minimum_sparsity_percentile 0.5", e.getMessage());
    }

    @Test
    void valuesThatChangeBetweenPassesAreNoticed() {
        float[] w = gaussian(Precision.FLOAT32, 5);
        StreamedPruner.Cut cut = StreamedPruner.magnitudeCut(w.length, 0.5, source(w), 104);
        float[] other = gaussian(Precision.FLOAT32, 6);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> StreamedPruner.prune(other.length, cut, source(other), 104, (m, c, v, k) -> { }));
        assertEquals("prune: the values changed between passes", e.getMessage().substring(0, e.getMessage().indexOf(" (")));
    }
}
