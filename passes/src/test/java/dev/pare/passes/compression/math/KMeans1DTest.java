package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Float16;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KMeans1DTest {

    /** Exhaustive search over every assignment of m points to k labels (no contiguity assumed). */
    private static double bruteForceAllAssignments(double[] x, double[] w, int k) {
        int m = x.length;
        int[] label = new int[m];
        double best = Double.POSITIVE_INFINITY;
        long total = (long) Math.pow(k, m);
        for (long code = 0; code < total; code++) {
            long c = code;
            for (int i = 0; i < m; i++) {
                label[i] = (int) (c % k);
                c /= k;
            }
            best = Math.min(best, sse(x, w, label, k));
        }
        return best;
    }

    /** Exhaustive search over every split of the sorted values into k contiguous runs. */
    private static double bruteForceContiguous(double[] x, double[] w, int k) {
        return contiguous(x, w, 0, k);
    }

    private static double contiguous(double[] x, double[] w, int from, int k) {
        int m = x.length;
        if (k == 1) return runSse(x, w, from, m);
        double best = Double.POSITIVE_INFINITY;
        for (int end = from + 1; end <= m - (k - 1); end++) {
            best = Math.min(best, runSse(x, w, from, end) + contiguous(x, w, end, k - 1));
        }
        return best;
    }

    private static double runSse(double[] x, double[] w, int from, int to) {
        double sw = 0, swx = 0;
        for (int i = from; i < to; i++) {
            sw += w[i];
            swx += w[i] * x[i];
        }
        double mean = swx / sw, s = 0;
        for (int i = from; i < to; i++) s += w[i] * (x[i] - mean) * (x[i] - mean);
        return s;
    }

    private static double sse(double[] x, double[] w, int[] label, int k) {
        double[] sw = new double[k], swx = new double[k];
        for (int i = 0; i < x.length; i++) {
            sw[label[i]] += w[i];
            swx[label[i]] += w[i] * x[i];
        }
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double mean = swx[label[i]] / sw[label[i]];
            s += w[i] * (x[i] - mean) * (x[i] - mean);
        }
        return s;
    }

    private static KMeans1D.WeightedValues randomValues(SplittableRandom r, int m) {
        double[] x = new double[m];
        double[] w = new double[m];
        double v = r.nextDouble(-3, 3);
        for (int i = 0; i < m; i++) {
            v += r.nextDouble(1e-3, 1.0) * (r.nextInt(4) == 0 ? 5 : 1);
            x[i] = v;
            w[i] = 1 + r.nextInt(5);
        }
        return new KMeans1D.WeightedValues(x, w);
    }

    private static void assertRelativelyEqual(double expected, double actual, String what) {
        double tol = 1e-9 * Math.max(1e-300, Math.abs(expected));
        assertTrue(Math.abs(expected - actual) <= tol + 1e-15, what + ": expected " + expected + " got " + actual);
    }

    @Test
    void matchesExhaustiveSearchOverAllAssignments() {
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 300; trial++) {
            int m = 2 + r.nextInt(6);
            int k = 1 + r.nextInt(3);
            KMeans1D.WeightedValues data = randomValues(r, m);
            KMeans1D.Clustering c = KMeans1D.cluster(data, k);
            double expected = bruteForceAllAssignments(data.values(), data.weights(), k);
            assertRelativelyEqual(expected, c.sse(), "trial " + trial + " m=" + m + " k=" + k);
            assertTrue(c.exact());
        }
    }

    @Test
    void matchesExhaustiveSearchOverContiguousSplits() {
        SplittableRandom r = new SplittableRandom(2);
        for (int trial = 0; trial < 300; trial++) {
            int m = 5 + r.nextInt(10);
            int k = 2 + r.nextInt(4);
            KMeans1D.WeightedValues data = randomValues(r, m);
            KMeans1D.Clustering c = KMeans1D.cluster(data, k);
            double expected = bruteForceContiguous(data.values(), data.weights(), Math.min(k, m));
            assertRelativelyEqual(expected, c.sse(), "trial " + trial + " m=" + m + " k=" + k);
        }
    }

    @Test
    void exactOnClustersFarFromTheMeanWithTinySpread() {
        // cancellation trap: tight clusters at large offsets
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            int m = 8 + r.nextInt(5);
            double[] x = new double[m];
            double[] w = new double[m];
            for (int i = 0; i < m; i++) {
                x[i] = (i < m / 2 ? 1000.0 : 5000.0) + i * 1e-4 + r.nextDouble() * 1e-5;
                w[i] = 1 + r.nextInt(3);
            }
            KMeans1D.WeightedValues data = new KMeans1D.WeightedValues(x, w);
            for (int k = 2; k <= 4; k++) {
                double expected = bruteForceContiguous(x, w, k);
                assertRelativelyEqual(expected, KMeans1D.cluster(data, k).sse(), "trial " + trial + " k=" + k);
            }
        }
    }

    /** Plain Lloyd from k distinct random starting centres on the weighted values. */
    private static double plainLloyd(double[] x, double[] w, int k, SplittableRandom r) {
        double[] centre = new double[k];
        int[] picks = r.ints(0, x.length).distinct().limit(k).sorted().toArray();
        for (int c = 0; c < k; c++) centre[c] = x[picks[c]];
        int[] label = new int[x.length];
        for (int it = 0; it < 500; it++) {
            for (int i = 0; i < x.length; i++) {
                int best = 0;
                for (int c = 1; c < k; c++) if (Math.abs(x[i] - centre[c]) < Math.abs(x[i] - centre[best])) best = c;
                label[i] = best;
            }
            double[] sw = new double[k], swx = new double[k];
            for (int i = 0; i < x.length; i++) {
                sw[label[i]] += w[i];
                swx[label[i]] += w[i] * x[i];
            }
            for (int c = 0; c < k; c++) if (sw[c] > 0) centre[c] = swx[c] / sw[c];
        }
        return sse(x, w, label, k);
    }

    @Test
    void neverWorseThanLloyd() {
        SplittableRandom r = new SplittableRandom(4);
        for (int trial = 0; trial < 20; trial++) {
            float[] raw = new float[5000];
            for (int i = 0; i < raw.length; i++) raw[i] = Float16.toFloat(Float16.fromFloat((float) (r.nextGaussian() * 0.02)));
            KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(raw);
            for (int k : new int[] {4, 16}) {
                double dp = KMeans1D.cluster(data, k).sse();
                double lloyd = plainLloyd(data.values(), data.weights(), k, r);
                assertTrue(dp <= lloyd * (1 + 1e-12), "k=" + k + " dp=" + dp + " lloyd=" + lloyd);
            }
        }
    }

    @Test
    void fewerDistinctValuesThanClustersGivesEachItsOwnCentreAndPadsWithTheLargest() {
        KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(new float[] {3f, -1f, 3f, 0.5f});
        KMeans1D.Clustering c = KMeans1D.cluster(data, 8);
        assertArrayEquals(new double[] {-1, 0.5, 3, 3, 3, 3, 3, 3}, c.centres());
        assertEquals(3, c.clusters());
        assertEquals(0.0, c.sse());
        assertEquals(0, c.clusterOf(-1));
        assertEquals(1, c.clusterOf(0.5));
        assertEquals(2, c.clusterOf(3));
    }

    @Test
    void centresAreSortedAndEveryValueMapsToItsNearestCentre() {
        SplittableRandom r = new SplittableRandom(5);
        float[] raw = new float[20000];
        for (int i = 0; i < raw.length; i++) raw[i] = (float) r.nextGaussian();
        KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(raw);
        KMeans1D.Clustering c = KMeans1D.cluster(data, 16);
        double[] centres = c.centres();
        for (int i = 1; i < centres.length; i++) assertTrue(centres[i] > centres[i - 1]);
        for (double v : data.values()) {
            int label = c.clusterOf(v);
            for (double other : centres) assertTrue(Math.abs(v - centres[label]) <= Math.abs(v - other) + 1e-12);
        }
    }

    @Test
    void halfPrecisionHistogramAndSortingCountTheSameValues() {
        SplittableRandom r = new SplittableRandom(6);
        float[] half = new float[10000];
        for (int i = 0; i < half.length; i++) half[i] = Float16.toFloat(Float16.fromFloat((float) (r.nextGaussian() * 3)));
        half[0] = -0.0f;
        half[1] = 0.0f;
        KMeans1D.WeightedValues viaHistogram = KMeans1D.WeightedValues.of(half);
        float[] withOneFloat = Arrays.copyOf(half, half.length + 1);
        withOneFloat[half.length] = 0.1f; // not an fp16 value: forces the sorting path
        KMeans1D.WeightedValues viaSort = KMeans1D.WeightedValues.of(withOneFloat);
        int at = Arrays.binarySearch(viaSort.values(), (double) 0.1f);
        double[] values = viaSort.values().clone();
        double[] weights = viaSort.weights().clone();
        double[] v2 = new double[values.length - 1];
        double[] w2 = new double[values.length - 1];
        System.arraycopy(values, 0, v2, 0, at);
        System.arraycopy(values, at + 1, v2, at, values.length - at - 1);
        System.arraycopy(weights, 0, w2, 0, at);
        System.arraycopy(weights, at + 1, w2, at, weights.length - at - 1);
        assertArrayEquals(viaHistogram.values(), v2);
        assertArrayEquals(viaHistogram.weights(), w2);
        int zero = Arrays.binarySearch(viaHistogram.values(), 0.0);
        assertTrue(viaHistogram.weights()[zero] >= 2, "-0 and +0 are one value");
        double total = 0;
        for (double w : viaHistogram.weights()) total += w;
        assertEquals(half.length, total);
    }

    @Test
    void tooLargeForTheExactTableFallsBackToRefinedApproximation() {
        SplittableRandom r = new SplittableRandom(7);
        float[] raw = new float[300_000];
        for (int i = 0; i < raw.length; i++) raw[i] = (float) r.nextGaussian();
        KMeans1D.WeightedValues data = KMeans1D.WeightedValues.of(raw);
        assertFalse(KMeans1D.exactFits(data.size(), 64));
        KMeans1D.Clustering c = KMeans1D.cluster(data, 64);
        assertFalse(c.exact());
        assertEquals(64, c.clusters());
        // a uniform-quantile start refined by Lloyd must not beat it by more than a hair
        int[] starts = new int[64];
        for (int i = 0; i < 64; i++) starts[i] = (int) ((long) i * data.size() / 64);
        int[] refined = KMeans1D.lloyd(data.values(), data.weights(), starts);
        double[] x = data.values();
        double quantileSse = 0;
        for (int c2 = 0; c2 < 64; c2++) quantileSse += runSse(x, data.weights(), refined[c2], c2 + 1 < 64 ? refined[c2 + 1] : x.length);
        assertTrue(c.sse() <= quantileSse * 1.001, "approx=" + c.sse() + " quantile-lloyd=" + quantileSse);
    }

    @Test
    void rejectsBadInput() {
        assertEquals("k-means: values must be strictly increasing (index 1)",
                assertThrows(IllegalArgumentException.class,
                        () -> new KMeans1D.WeightedValues(new double[] {1, 1}, new double[] {1, 1})).getMessage());
        assertEquals("k-means: weight 0 must be positive and finite, got 0.0",
                assertThrows(IllegalArgumentException.class,
                        () -> new KMeans1D.WeightedValues(new double[] {1}, new double[] {0})).getMessage());
        assertEquals("k-means: k must be at least 1, got 0",
                assertThrows(IllegalArgumentException.class,
                        () -> KMeans1D.cluster(KMeans1D.WeightedValues.of(new float[] {1f}), 0)).getMessage());
    }

    /**
     * The pruned DP (a guessed candidate first, candidates skipped by bounds) must choose exactly
     * what the plain divide and conquer chooses: same starts on Gaussian data with many distinct
     * values (count weights, where the bound applies), with ties from repeated values, and with
     * fractional weights (no bound).
     */
    @Test
    void prunedDpChoosesWhatThePlainDivideAndConquerChooses() {
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 12; trial++) {
            int n = 3000 + random.nextInt(4000);
            float[] samples = new float[n];
            for (int i = 0; i < n; i++) {
                double g = random.nextGaussian() * (random.nextInt(100) == 0 ? 0.16 : 0.02);
                samples[i] = trial % 3 == 1 ? Math.round(g * 2000) / 2000f : (float) g;
            }
            KMeans1D.WeightedValues data = FloatBins.distinctAtMost(samples, n, n);
            double[] w = data.weights().clone();
            if (trial % 3 == 2) for (int i = 0; i < w.length; i++) w[i] *= 0.37;
            int k = trial % 2 == 0 ? 16 : 5;
            assertArrayEquals(plainDivideAndConquer(data.values(), w, k), KMeans1D.optimalStarts(data.values(), w, k),
                    "trial " + trial);
        }
    }

    /** The exact DP with every candidate of every window evaluated, ascending, first minimum wins. */
    private static int[] plainDivideAndConquer(double[] x, double[] w, int k) {
        KMeans1D.SegmentCost cost = new KMeans1D.SegmentCost(x, w);
        int m = x.length;
        double[] prev = new double[m];
        double[] cur = new double[m];
        for (int i = 0; i < m; i++) prev[i] = cost.of(0, i);
        int[][] back = new int[k][m];
        for (int c = 1; c < k; c++) {
            int iHi = c == k - 1 ? m - 1 : m - 1 - (k - 1 - c);
            int iLo = c == k - 1 ? m - 1 : c;
            plainLayer(cost, prev, cur, back[c], c, iLo, iHi, c, iHi);
            double[] t = prev;
            prev = cur;
            cur = t;
        }
        int[] starts = new int[k];
        for (int c = k - 1, i = m - 1; c >= 1; c--) {
            starts[c] = back[c][i];
            i = starts[c] - 1;
        }
        return starts;
    }

    private static void plainLayer(KMeans1D.SegmentCost cost, double[] prev, double[] cur, int[] back, int layer,
                                   int iLo, int iHi, int jLo, int jHi) {
        if (iLo > iHi) return;
        int mid = (iLo + iHi) >>> 1;
        double best = Double.POSITIVE_INFINITY;
        int bestJ = Math.max(jLo, layer);
        for (int j = Math.max(jLo, layer); j <= Math.min(jHi, mid); j++) {
            double v = prev[j - 1] + cost.of(j, mid);
            if (v < best) {
                best = v;
                bestJ = j;
            }
        }
        cur[mid] = best;
        back[mid] = bestJ;
        plainLayer(cost, prev, cur, back, layer, iLo, mid - 1, jLo, bestJ);
        plainLayer(cost, prev, cur, back, layer, mid + 1, iHi, bestJ, jHi);
    }

    @Test
    void upperBoundFromAGuessIsTheNumberOfValuesAtMostTheKey() {
        SplittableRandom r = new SplittableRandom(9);
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + r.nextInt(trial < 20 ? 5 : 300);
            double[] x = new double[m];
            for (int i = 0; i < m; i++) x[i] = r.nextInt(2 * m + 1) * 0.25; // duplicates likely
            Arrays.sort(x);
            double[] keys = {x[0] - 1, x[0], x[m - 1], x[m - 1] + 1, x[r.nextInt(m)], x[r.nextInt(m)] + 0.125, r.nextDouble(-1, m)};
            for (double v : keys) {
                int expected = 0;
                while (expected < m && x[expected] <= v) expected++;
                for (int guess = 0; guess <= m; guess++) {
                    assertEquals(expected, KMeans1D.upperBoundFrom(x, v, guess), "m " + m + " v " + v + " guess " + guess);
                }
            }
        }
    }

    /** Lloyd as it was before the search from the old boundary: each midpoint by a scan over all values. */
    private static int[] lloydByFullScan(double[] x, double[] w, int[] starts) {
        int k = starts.length;
        int m = x.length;
        int[] cur = starts.clone();
        for (int it = 0; it < KMeans1D.LLOYD_MAX_ITERATIONS; it++) {
            double[] centre = new double[k];
            for (int c = 0; c < k; c++) {
                int end = c + 1 < k ? cur[c + 1] : m;
                double sw = 0;
                double swx = 0;
                for (int i = cur[c]; i < end; i++) {
                    sw += w[i];
                    swx += w[i] * x[i];
                }
                centre[c] = swx / sw;
            }
            int[] next = new int[k];
            for (int c = 1; c < k; c++) {
                double mid = 0.5 * (centre[c - 1] + centre[c]);
                int pos = 0;
                while (pos < m && x[pos] <= mid) pos++;
                next[c] = Math.min(Math.max(pos, next[c - 1] + 1), m - (k - c));
            }
            if (Arrays.equals(next, cur)) break;
            cur = next;
        }
        return cur;
    }

    @Test
    void lloydEndsWhereIterationsWithFullSearchesEnd() {
        // integer weights and values on a grid of 1/64: the prefix sums are exact, so the centres
        // (and every boundary) match the reference's direct sums bit for bit
        SplittableRandom r = new SplittableRandom(12);
        for (int trial = 0; trial < 60; trial++) {
            int m = 40 + r.nextInt(400);
            int k = 2 + r.nextInt(15);
            double[] x = new double[m];
            double[] w = new double[m];
            double v = 0;
            for (int i = 0; i < m; i++) {
                v += (1 + r.nextInt(trial % 3 == 0 ? 200 : 8)) / 64.0;
                x[i] = v;
                w[i] = 1 + r.nextInt(5);
            }
            // a poor seed (the first k values each a cluster), so boundaries travel far
            int[] seed = new int[k];
            for (int c = 0; c < k; c++) seed[c] = c;
            assertArrayEquals(lloydByFullScan(x, w, seed), KMeans1D.lloyd(x, w, seed), "trial " + trial);
            int[] even = new int[k];
            for (int c = 0; c < k; c++) even[c] = (int) ((long) c * m / k);
            assertArrayEquals(lloydByFullScan(x, w, even), KMeans1D.lloyd(x, w, even), "trial " + trial + ", even seed");
        }
    }
}
