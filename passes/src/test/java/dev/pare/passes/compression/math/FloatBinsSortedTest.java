package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bins of a few samples, from their sorted keys, are those the full histogram gives. */
class FloatBinsSortedTest {

    private static void assertSameBins(float[] data, String what) {
        FloatBins sorted = FloatBins.ofSorted(data, data.length);
        FloatBins histogram = FloatBins.ofHistogram(FloatBins.histogram(new long[2 * FloatBins.BINS], data, 0, data.length));
        assertArrayEquals(histogram.ids, sorted.ids, what);
        assertArrayEquals(histogram.counts, sorted.counts, what);
        assertArrayEquals(histogram.means, sorted.means, what);
        assertArrayEquals(histogram.multi, sorted.multi, what);
        assertEquals(histogram.multiCount, sorted.multiCount, what);
    }

    @Test
    void signedZerosSubnormalsSharedAndSingleValuedBinsMatchTheHistogram() {
        SplittableRandom r = new SplittableRandom(11);
        float[] data = new float[20_000];
        for (int i = 0; i < data.length; i++) {
            switch (i % 7) {
                case 0: data[i] = i % 2 == 0 ? 0f : -0f; break;
                case 1: data[i] = Float.MIN_VALUE * (1 + r.nextInt(5000)) * (r.nextBoolean() ? 1 : -1); break;
                case 2: data[i] = Precision.FLOAT16.round((float) r.nextGaussian()); break;
                default: data[i] = (float) (r.nextGaussian() * 0.02);
            }
        }
        FloatBins bins = FloatBins.ofSorted(data, data.length);
        assertTrue(bins.multiCount > 0 && bins.multiCount < bins.size(), "the test needs shared and single-valued bins");
        assertSameBins(data, "mixed");
        assertSameBins(new float[] {-1.5f}, "one value");
        assertSameBins(new float[] {3f, 3f, 3f}, "one value thrice");
    }

    @Test
    void fewSamplesAreClusteredAndLabelledAsBefore() {
        SplittableRandom r = new SplittableRandom(12);
        float[] data = new float[4096];
        for (int i = 0; i < data.length; i++) data[i] = (float) r.nextGaussian();
        assertTrue(data.length < FloatBins.SORT_BELOW);
        KMeans1D.Labelled sorted = KMeans1D.clusterSamples(data, data.length, 16, null);
        FloatBins bins = FloatBins.ofHistogram(FloatBins.histogram(new long[2 * FloatBins.BINS], data, 0, data.length));
        KMeans1D.Clustering c = KMeans1D.clustering(bins, () -> FloatBins.distinctAtMost(data, data.length, KMeans1D.EXACT_DISTINCT),
                pick -> bins.distinctIn(data, data.length, pick, null), 16);
        assertArrayEquals(c.centres(), sorted.clustering().centres());
        int[] labels = new int[data.length];
        FloatBins.label(data, data.length, c, labels, null);
        assertArrayEquals(labels, sorted.labels());
    }
}
