package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.Float16;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** {@link GroupKMeans}: the per-group k-means of grouped and per-channel palettization. */
class GroupKMeansTest {

    /** Gaussian σ = 0.02 with 1% drawn at 8σ, optionally rounded to float16. */
    static float[] weights(int n, long seed, boolean half) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (float) (r.nextGaussian() * (r.nextInt(100) == 0 ? 0.16 : 0.02));
            w[i] = half ? Float16.toFloat(Float16.fromFloat(v)) : v;
        }
        return w;
    }

    @Test
    void radixSortOrdersKeysAsUnsignedInts() {
        SplittableRandom r = new SplittableRandom(7);
        for (boolean halfKeys : new boolean[] {false, true}) {
            int n = 5000;
            int[] keys = new int[n];
            for (int i = 0; i < n; i++) keys[i] = halfKeys ? r.nextInt() & 0xFFFFE000 : r.nextInt();
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) expected[i] = keys[i] ^ 0x80000000;
            Arrays.sort(expected);
            for (int i = 0; i < n; i++) expected[i] ^= 0x80000000;
            GroupKMeans.radixSort(keys, n);
            assertArrayEquals(expected, keys, halfKeys ? "keys with 13 constant low bits" : "random keys");
        }
    }

    @Test
    void distinctValuesAndCountsAreThoseOfTheSamples() {
        for (boolean half : new boolean[] {false, true}) {
            float[] w = weights(6000, 3, half);
            w[10] = -0f;
            w[11] = 0f;
            w[12] = w[13];
            KMeans1D.WeightedValues expected = KMeans1D.WeightedValues.of(w);
            KMeans1D.WeightedValues got = GroupKMeans.distinct(w, w.length);
            assertArrayEquals(expected.values(), got.values(), half ? "float16" : "float32");
            assertArrayEquals(expected.weights(), got.weights(), half ? "float16" : "float32");
        }
    }

    @Test
    void theSeedDpInPlainDoublesSplitsTheCompandedRunsAsTheExactDoubleDoubleDpDoes() {
        // the plain-double DP (divide and conquer, then Knuth-bounded sweeps from the layer where
        // they are shorter) against KMeans1D.optimalStarts on the same runs as weighted values
        int trials = 0;
        for (boolean half : new boolean[] {false, true}) {
            for (double offset : new double[] {0, 1, -3}) {
                for (int n : new int[] {768, 3072, 11_008, 49_152}) {
                    for (int k : new int[] {4, 16, 64}) {
                        float[] w = weights(n, 31L * n + k, half);
                        for (int i = 0; i < n; i++) w[i] = half ? Float16.toFloat(Float16.fromFloat((float) (w[i] + offset))) : (float) (w[i] + offset);
                        KMeans1D.WeightedValues d = GroupKMeans.distinct(w, n);
                        int runs = GroupKMeans.seedRuns(n, k);
                        if (d.size() <= runs) continue;
                        trials++;
                        KMeans1D.Runs merged = GroupKMeans.compandedRuns(d.values(), d.weights(), runs);
                        int nb = merged.count();
                        double[] means = new double[nb];
                        for (int b = 0; b < nb; b++) means[b] = merged.sum()[b] / merged.weight()[b];
                        int[] onRuns = KMeans1D.optimalStarts(means, Arrays.copyOf(merged.weight(), nb), k);
                        int[] expected = new int[k];
                        for (int c = 0; c < k; c++) expected[c] = merged.starts()[onRuns[c]];
                        assertArrayEquals(expected, GroupKMeans.seedStarts(d.values(), d.weights(), k, runs),
                                (half ? "float16" : "float32") + " offset " + offset + " n " + n + " k " + k);
                    }
                }
            }
        }
        assertTrue(trials >= 40, "trials " + trials);
    }

    @Test
    void theRunDpFillingOnlyTheCellsTheSplitsNeedSplitsAsTheDpFillingEveryCellDoes() {
        // seeded Gaussian groups (1 % outliers) of per-channel and grouped sizes, k from 2 to 64,
        // and groups whose run costs tie exactly (evenly spaced integers, a symmetric two-level
        // density), where a bound that cut off a tied split further left would show
        int trials = 0;
        for (int n : new int[] {768, 3072, 11_008, 49_152}) {
            for (int k : new int[] {2, 3, 8, 16, 32, 64}) {
                for (int shape = 0; shape < 4; shape++) {
                    float[] w = switch (shape) {
                        case 0 -> weights(n, 17L * n + k, true);
                        case 1 -> weights(n, 19L * n + k, false);
                        case 2 -> evenlySpaced(n);
                        default -> symmetricTwoLevel(n);
                    };
                    KMeans1D.WeightedValues d = GroupKMeans.distinct(w, n);
                    int runs = GroupKMeans.seedRuns(n, k);
                    if (d.size() <= runs) continue;
                    trials++;
                    assertArrayEquals(GroupKMeans.seedStarts(d.values(), d.weights(), k, runs, false),
                            GroupKMeans.seedStarts(d.values(), d.weights(), k, runs, true), "shape " + shape + " n " + n + " k " + k);
                }
            }
        }
        assertTrue(trials >= 80, "trials " + trials);
    }

    /** 0, 1, …, n−1 in a shuffled order: every run equally long, so many splits cost the same. */
    private static float[] evenlySpaced(int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = i;
        SplittableRandom r = new SplittableRandom(n);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = w[i];
            w[i] = w[j];
            w[j] = t;
        }
        return w;
    }

    /** Integers −n/4 … n/4 − 1 twice each in the middle half, once each in the tails: mirror-symmetric ties. */
    private static float[] symmetricTwoLevel(int n) {
        float[] w = new float[n];
        int quarter = n / 4;
        int at = 0;
        for (int v = -quarter / 2; v < quarter / 2; v++) {
            w[at++] = v;
            w[at++] = v;
        }
        for (int v = 1; at < n; v++) {
            w[at++] = quarter / 2 + v;
            if (at < n) w[at++] = -quarter / 2 - v;
        }
        return w;
    }

    @Test
    void compandedRunsGiveDenserStretchesRunsInProportionToTheCubeRootOfTheirDensity() {
        // 600 values 1 apart of weight 8, then 600 values 1 apart of weight 1: a value of the first
        // stretch is cbrt(8) = 2 times as long, so it gets twice the runs (200 and 100 of 300)
        int m = 1200;
        double[] x = new double[m];
        double[] w = new double[m];
        for (int i = 0; i < m; i++) {
            x[i] = i;
            w[i] = i < 600 ? 8 : 1;
        }
        KMeans1D.Runs runs = GroupKMeans.compandedRuns(x, w, 300);
        assertEquals(300, runs.count());
        int[] starts = runs.starts();
        assertEquals(0, starts[0]);
        assertEquals(m, starts[300]);
        int inFirst = 0;
        for (int b = 0; b < 300; b++) {
            assertTrue(starts[b + 1] > starts[b], "run " + b + " is empty");
            double weight = 0;
            double sum = 0;
            for (int i = starts[b]; i < starts[b + 1]; i++) {
                weight += w[i];
                sum += w[i] * x[i];
            }
            assertEquals(weight, runs.weight()[b], "run " + b);
            assertEquals(sum, runs.sum()[b], 1e-9 * sum, "run " + b);
            if (starts[b + 1] <= 600) inFirst++;
        }
        assertTrue(Math.abs(inFirst - 200) <= 6, "runs in the dense stretch: " + inFirst);
        // equal lengths within a stretch: every run of the sparse one holds 6 values (±1)
        for (int b = 0; b < 300; b++) {
            if (starts[b] >= 620 && starts[b + 1] < m - 20) assertTrue(Math.abs(starts[b + 1] - starts[b] - 6) <= 1, "run " + b);
        }
    }

    @Test
    void roughCubeRootsAreWithinFourPercent() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            double v = Math.pow(10, r.nextDouble(-300, 300));
            double ratio = GroupKMeans.roughCbrt(v) / Math.cbrt(v);
            assertTrue(Math.abs(ratio - 1) < 0.04, v + ": " + ratio);
        }
        assertEquals(2, GroupKMeans.roughCbrt(8), 0.08);
    }

    @Test
    void theExactDpRunsWhereItIsCheapOrTheGroupHasFewDistinctValues() {
        assertTrue(GroupKMeans.exactIsCheap(16, 16, 16));
        assertTrue(GroupKMeans.exactIsCheap(100, 100_000, 16));     // 15·100·7 = 10,500 ≤ 4·100,000
        assertFalse(GroupKMeans.exactIsCheap(5000, 12_288, 16));    // 15·5000·13 = 975,000 > 49,152
        assertEquals(64, GroupKMeans.seedRuns(256, 4));              // at least 64
        assertEquals(128, GroupKMeans.seedRuns(256, 32));            // at least 4k
        assertEquals(256, GroupKMeans.seedRuns(12_288, 16));         // at most 256
        assertEquals(64, GroupKMeans.seedRuns(768, 16));             // one per 20 samples between
        assertEquals(153, GroupKMeans.seedRuns(3072, 16));

        // 200 samples of 40 distinct values: the seed DP runs on the values themselves, so the
        // clustering is the optimal one of KMeans1D.cluster, bit for bit
        SplittableRandom r = new SplittableRandom(5);
        float[] w = new float[200];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextInt(40) * 0.01 - 0.2);
        KMeans1D.WeightedValues distinct = GroupKMeans.distinct(w, w.length);
        assertEquals(40, distinct.size());
        KMeans1D.Clustering got = GroupKMeans.clustering(distinct, w.length, 8);
        KMeans1D.Clustering exact = KMeans1D.cluster(distinct, 8);
        assertTrue(got.exact());
        assertArrayEquals(exact.centres(), got.centres());
        assertArrayEquals(exact.upperBounds(), got.upperBounds());
        assertEquals(exact.sse(), got.sse());
    }

    @Test
    void manyDistinctValuesGiveALloydFixedPointNearTheOptimum() {
        double worst = 0;
        double excess = 0;
        double optimum = 0;
        for (int trial = 0; trial < 12; trial++) {
            float[] w = weights(3072, 100 + trial, trial % 2 == 0);
            KMeans1D.WeightedValues distinct = GroupKMeans.distinct(w, w.length);
            KMeans1D.Clustering got = GroupKMeans.clustering(distinct, w.length, 16);
            KMeans1D.Clustering exact = KMeans1D.cluster(distinct, 16);
            assertFalse(got.exact(), "trial " + trial);
            assertTrue(got.sse() >= exact.sse() * (1 - 1e-12), "trial " + trial + ": below the optimum");
            worst = Math.max(worst, got.sse() / exact.sse() - 1);
            excess += got.sse() - exact.sse();
            optimum += exact.sse();
            // a Lloyd fixed point: every value is at least as near its own centre as the neighbours'
            double[] x = distinct.values();
            double[] c = got.centres();
            for (double v : x) {
                int own = got.clusterOf(v);
                for (int other = Math.max(0, own - 1); other <= Math.min(got.clusters() - 1, own + 1); other++) {
                    assertTrue(Math.abs(v - c[own]) <= Math.abs(v - c[other]), "trial " + trial + ": " + v + " is nearer centre " + other);
                }
            }
        }
        // measured: 0.24 % in the worst of these groups, 0.05 % over all of them (seeded from runs of
        // equal weight or span, before the companded runs: 0.50 % and 0.1 %)
        assertTrue(worst < 0.005, "worst SSE excess " + worst);
        assertTrue(excess / optimum < 0.001, "SSE excess over all groups " + excess / optimum);
    }

    @Test
    void labelsAreTheClusterOfEachSample() {
        for (int k : new int[] {2, 16, 64}) {
            float[] w = weights(5000, k, false);
            KMeans1D.Labelled labelled = GroupKMeans.cluster(w, w.length, k);
            for (int i = 0; i < w.length; i++) {
                assertEquals(labelled.clustering().clusterOf(w[i]), labelled.labels()[i], "k=" + k + " sample " + i);
            }
        }
        float[] constant = new float[100];
        Arrays.fill(constant, 0.5f);
        KMeans1D.Labelled one = GroupKMeans.cluster(constant, constant.length, 16);
        assertEquals(1, one.clustering().clusters());
        assertArrayEquals(new int[100], one.labels());
    }

    @Test
    void groupsAlongAMiddleAxisGatherTheirSamplesInElementOrderAndGetTheirLabelsBack() {
        // shape [3, 12, 50], channel axis 1, groups of 4 channels: a group is 3 blocks of 4·50 elements
        int outer = 3;
        int channels = 12;
        int inner = 50;
        float[] w = weights(outer * channels * inner, 5, false);
        WeightTensor weight = new WeightTensor(w, new long[] {outer, channels, inner}, Precision.FLOAT32);
        Palettization p = new Palettizer(null).palettize(weight, PalettizerOptions.kmeans(2).withGroups(4, 1), new SplittableRandom(1));
        int block = 4 * inner;
        for (int g = 0; g < channels / 4; g++) {
            float[] samples = new float[outer * block];
            for (int o = 0; o < outer; o++) System.arraycopy(w, (o * channels + g * 4) * inner, samples, o * block, block);
            KMeans1D.Labelled expected = GroupKMeans.cluster(samples, samples.length, 4);
            for (int e = 0; e < 4; e++) assertEquals((float) expected.clustering().centres()[e], p.luts()[g * 4 + e], "group " + g + " entry " + e);
            for (int o = 0; o < outer; o++) {
                int at = (o * channels + g * 4) * inner;
                assertArrayEquals(Arrays.copyOfRange(expected.labels(), o * block, (o + 1) * block), Arrays.copyOfRange(p.indices(), at, at + block),
                        "group " + g + " outer " + o);
            }
        }
    }

    @Test
    void groupedPalettizationUsesItPerGroupAndIsTheSameForAnyThreadCount() throws Exception {
        int rows = 32;
        int cols = 600;
        float[] w = weights(rows * cols, 11, true);
        WeightTensor weight = new WeightTensor(w, new long[] {rows, cols}, Precision.FLOAT16);
        PalettizerOptions grouped = PalettizerOptions.kmeans(4).withGroups(8, 0);
        Palettization serial = new Palettizer(null).palettize(weight, grouped, new SplittableRandom(1));
        // group g holds rows [8g, 8g+8): its LUT is the fp16 rounding of GroupKMeans' centres
        for (int g = 0; g < rows / 8; g++) {
            float[] samples = Arrays.copyOfRange(w, g * 8 * cols, (g + 1) * 8 * cols);
            KMeans1D.Labelled expected = GroupKMeans.cluster(samples, samples.length, 16);
            for (int e = 0; e < 16; e++) {
                assertEquals(Float16.toFloat(Float16.fromFloat((float) expected.clustering().centres()[e])), serial.luts()[g * 16 + e],
                        "group " + g + " entry " + e);
            }
            assertArrayEquals(expected.labels(), Arrays.copyOfRange(serial.indices(), g * 8 * cols, (g + 1) * 8 * cols), "group " + g);
        }
        for (int threads : new int[] {1, 2, 3}) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                Palettization p = new Palettizer(pool).palettize(weight, grouped, new SplittableRandom(1));
                assertArrayEquals(serial.luts(), p.luts(), threads + " threads");
                assertArrayEquals(serial.indices(), p.indices(), threads + " threads");
            } finally {
                pool.shutdown();
            }
        }
    }
}
