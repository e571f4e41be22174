package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Float16;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link KMeans1D#clusterSamples}: exact below 65,536 distinct values, binned above, thread-count independent. */
class KMeans1DSamplesTest {

    private static ExecutorService two;
    private static ExecutorService three;

    @BeforeAll
    static void pools() {
        two = Executors.newFixedThreadPool(2);
        three = Executors.newFixedThreadPool(3);
    }

    @AfterAll
    static void shutdown() {
        two.shutdownNow();
        three.shutdownNow();
    }

    private static float[] gaussian(int n, long seed, boolean half) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double sigma = r.nextInt(100) == 0 ? 0.16 : 0.02;
            float v = (float) (sigma * r.nextGaussian());
            w[i] = half ? Float16.toFloat(Float16.fromFloat(v)) : v;
        }
        return w;
    }

    private static double sseOf(float[] w, int[] labels, double[] centres) {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            double d = w[i] - centres[labels[i]];
            s += d * d;
        }
        return s;
    }

    /** k-means++ seeding (D² sampling) and Lloyd to convergence on the raw samples, via sorting. */
    static double kmeansPlusPlusLloyd(float[] raw, int k, long seed) {
        KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(raw);
        double[] x = data.values();
        double[] w = data.weights();
        SplittableRandom r = new SplittableRandom(seed);
        int m = x.length;
        double[] centres = new double[k];
        double[] d2 = new double[m];
        centres[0] = x[r.nextInt(m)];
        java.util.Arrays.fill(d2, Double.POSITIVE_INFINITY);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < m; i++) {
                double d = x[i] - centres[c - 1];
                d2[i] = Math.min(d2[i], d * d);
                total += w[i] * d2[i];
            }
            double target = r.nextDouble() * total;
            int pick = m - 1;
            for (int i = 0; i < m; i++) {
                target -= w[i] * d2[i];
                if (target <= 0) {
                    pick = i;
                    break;
                }
            }
            centres[c] = x[pick];
        }
        java.util.Arrays.sort(centres);
        int[] label = new int[m];
        for (int it = 0; it < 10_000; it++) {
            boolean changed = false;
            int c = 0;
            for (int i = 0; i < m; i++) {
                while (c + 1 < k && Math.abs(x[i] - centres[c + 1]) < Math.abs(x[i] - centres[c])) c++;
                if (label[i] != c) changed = true;
                label[i] = c;
            }
            double[] sw = new double[k];
            double[] swx = new double[k];
            for (int i = 0; i < m; i++) {
                sw[label[i]] += w[i];
                swx[label[i]] += w[i] * x[i];
            }
            for (int j = 0; j < k; j++) if (sw[j] > 0) centres[j] = swx[j] / sw[j];
            java.util.Arrays.sort(centres);
            if (!changed && it > 0) break;
        }
        double s = 0;
        for (int i = 0; i < m; i++) {
            double d = x[i] - centres[label[i]];
            s += w[i] * d * d;
        }
        return s;
    }

    @Test
    void halfPrecisionSamplesAreClusteredExactlyLikeTheirDistinctValues() {
        float[] w = gaussian(200_000, 1, true);
        for (int k : new int[] {4, 16, 256}) {
            KMeans1D.Labelled got = KMeans1D.clusterSamples(w, w.length, k, two);
            KMeans1D.Clustering expected = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), k);
            assertTrue(got.clustering().exact());
            assertArrayEquals(expected.centres(), got.clustering().centres());
            assertEquals(expected.sse(), got.clustering().sse());
            for (int i = 0; i < w.length; i++) assertEquals(expected.clusterOf(w[i]), got.labels()[i], "sample " + i);
        }
    }

    @Test
    void manyDistinctFloat32ValuesAreBinnedRefinedAndIndependentOfTheThreadCount() {
        float[] w = gaussian(400_000, 2, false);
        for (int k : new int[] {4, 16, 64}) {
            KMeans1D.Labelled serial = KMeans1D.clusterSamples(w, w.length, k, null);
            KMeans1D.Labelled parallel2 = KMeans1D.clusterSamples(w, w.length, k, two);
            KMeans1D.Labelled parallel3 = KMeans1D.clusterSamples(w, w.length, k, three);
            KMeans1D.Clustering c = serial.clustering();
            assertFalse(c.exact());
            assertEquals(k, c.clusters());
            for (KMeans1D.Labelled other : new KMeans1D.Labelled[] {parallel2, parallel3}) {
                assertArrayEquals(c.centres(), other.clustering().centres());
                assertArrayEquals(c.upperBounds(), other.clustering().upperBounds());
                assertEquals(c.sse(), other.clustering().sse());
                assertArrayEquals(serial.labels(), other.labels());
            }
            // the reported SSE is the samples' SSE, and every sample sits at its nearest centre
            assertEquals(sseOf(w, serial.labels(), c.centres()), c.sse(), c.sse() * 1e-12);
            for (int i = 0; i < w.length; i++) {
                int l = serial.labels()[i];
                if (l > 0) assertTrue(Math.abs(w[i] - c.centres()[l]) <= Math.abs(w[i] - c.centres()[l - 1]), "sample " + i);
                if (l + 1 < k) assertTrue(Math.abs(w[i] - c.centres()[l]) <= Math.abs(w[i] - c.centres()[l + 1]), "sample " + i);
            }
            // at least as good as k-means++ with Lloyd, and as the DP-seeded Lloyd on all distinct values
            for (long seed = 1; seed <= 3; seed++) {
                double lloyd = kmeansPlusPlusLloyd(w, k, seed);
                assertTrue(c.sse() <= lloyd * (1 + 1e-9), "k=" + k + " binned=" + c.sse() + " k-means++=" + lloyd);
            }
            double viaDistinct = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), k).sse();
            assertTrue(c.sse() <= viaDistinct * (1 + 1e-6), "k=" + k + " binned=" + c.sse() + " distinct=" + viaDistinct);
        }
    }

    @Test
    void fewDistinctFloat32ValuesInSharedBinsAreStillExact() {
        // values 1 + i·2^-23 share bins (a bin spans 2^13 float32 steps), but there are only 1000 of them
        float[] w = new float[100_000];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < w.length; i++) w[i] = 1f + r.nextInt(1000) * 0x1p-23f;
        KMeans1D.Labelled got = KMeans1D.clusterSamples(w, w.length, 16, two);
        KMeans1D.Clustering expected = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), 16);
        assertTrue(got.clustering().exact());
        assertArrayEquals(expected.centres(), got.clustering().centres());
        for (int i = 0; i < w.length; i++) assertEquals(expected.clusterOf(w[i]), got.labels()[i]);
    }

    @Test
    void manyDistinctValuesInFewBinsAreClusteredValueByValue() {
        // 200,000 distinct values in [1, 1.0625): only 64 bins, fewer than k = 256
        float[] w = new float[200_000];
        for (int i = 0; i < w.length; i++) w[i] = 1f + i * 0x1p-23f / 4 * 4;
        KMeans1D.Labelled got = KMeans1D.clusterSamples(w, w.length, 256, two);
        assertFalse(got.clustering().exact());
        assertEquals(256, got.clustering().clusters());
        double viaDistinct = KMeans1D.cluster(KMeans1D.WeightedValues.of(w), 256).sse();
        assertTrue(got.clustering().sse() <= viaDistinct * (1 + 1e-6), got.clustering().sse() + " vs " + viaDistinct);
    }
}
