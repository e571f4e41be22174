package dev.pare.passes.compression.math;

import dev.pare.ir.Float16;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Not a unit test: times 4-bit k-means palettization of one seeded weight per tensor and grouped
 * ({@code per_grouped_channel}, axis 0, group size 16) and per channel (group size 1), one thread (CPU time of that thread),
 * and compares the grouped SSE with the exact DP per group (the path {@link GroupKMeans} replaced).
 * Gaussian σ = 0.02 with 1% drawn at 8σ. Run with
 * {@code java -cp passes/target/classes:passes/target/test-classes:ir/target/classes
 * dev.pare.passes.compression.math.GroupKMeansMeasurement ROWS COLS fp16|fp32 [exact|stages]}
 * ({@code stages}: per channel's time stage by stage instead).
 */
public final class GroupKMeansMeasurement {

    private GroupKMeansMeasurement() {}

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int cols = Integer.parseInt(args[1]);
        boolean half = args[2].equals("fp16");
        boolean compareExact = args.length > 3 && args[3].equals("exact");
        boolean stages = args.length > 3 && args[3].equals("stages");
        int n = rows * cols;
        SplittableRandom r = new SplittableRandom(42);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            double sigma = r.nextInt(100) == 0 ? 0.16 : 0.02;
            float v = (float) (r.nextGaussian() * sigma);
            w[i] = half ? Float16.toFloat(Float16.fromFloat(v)) : v;
        }
        WeightTensor weight = new WeightTensor(w, new long[] {rows, cols}, half ? Precision.FLOAT16 : Precision.FLOAT32);
        if (stages) {
            perChannelStages(w, rows, cols, half ? Precision.FLOAT16 : Precision.FLOAT32);
            return;
        }
        Palettizer palettizer = new Palettizer(null);
        PalettizerOptions perTensor = PalettizerOptions.kmeans(4);
        PalettizerOptions grouped = perTensor.withGroups(16, 0);
        PalettizerOptions perChannel = perTensor.withGroups(1, 0);
        for (int round = 0; round < 4; round++) {
            double t = time(() -> palettizer.palettize(weight, perTensor, new SplittableRandom(1)));
            double g = time(() -> palettizer.palettize(weight, grouped, new SplittableRandom(1)));
            double c = time(() -> palettizer.palettize(weight, perChannel, new SplittableRandom(1)));
            System.out.printf("round %d, %dx%d %s: per tensor %.1f ns/value, grouped-16 %.1f ns/value (%.2fx), per channel %.1f ns/value (%.2fx)%n",
                    round, rows, cols, args[2], t * 1e9 / n, g * 1e9 / n, g / t, c * 1e9 / n, c / t);
        }
        if (!compareExact) return;
        for (int size : new int[] {16, 1}) {
            int group = size * cols;
            double sseNew = 0;
            double sseExact = 0;
            double sumVsExact = 0;
            double worstVsExact = 0;
            double sumVsDd = 0;
            double worstVsDd = 0;
            long exactNanos = 0;
            int exactGroups = 0;
            int groups = n / group;
            for (int first = 0; first < n; first += group) {
                float[] samples = Arrays.copyOfRange(w, first, first + group);
                KMeans1D.WeightedValues distinct = GroupKMeans.distinct(samples, group);
                KMeans1D.Clustering fast = GroupKMeans.clustering(distinct, group, 16);
                double[] spent = new double[1];
                KMeans1D.Clustering[] holder = new KMeans1D.Clustering[1];
                spent[0] = time(() -> holder[0] = KMeans1D.cluster(distinct, 16));
                KMeans1D.Clustering exact = holder[0];
                exactNanos += (long) (spent[0] * 1e9);
                sseNew += fast.sse();
                sseExact += exact.sse();
                if (fast.exact()) exactGroups++;
                double vsExact = fast.sse() / exact.sse() - 1;
                sumVsExact += vsExact;
                worstVsExact = Math.max(worstVsExact, vsExact);
                // the seed before: runs of equal weight or span, one per 8 samples (KMeans1D.coarseStarts), then Lloyd
                double vsDd = fast.sse() / previouslySeeded(distinct, group).sse() - 1;
                sumVsDd += vsDd;
                worstVsDd = Math.max(worstVsDd, vsDd);
            }
            System.out.printf("group size %d: SSE %.6e (exact DP per group %.6e, +%.4f%%); per group vs exact mean %+.4f%% worst %+.4f%%,"
                            + " vs the previous seed mean %+.4f%% worst %+.4f%%; %d of %d groups solved exactly, the exact DP alone %.1f ns/value%n",
                    size, sseNew, sseExact, 100 * (sseNew / sseExact - 1), 100 * sumVsExact / groups, 100 * worstVsExact,
                    100 * sumVsDd / groups, 100 * worstVsDd, exactGroups, groups, exactNanos / (double) n);
        }
    }

    /**
     * The clustering as seeded before the companded runs: runs of equal weight or span, one per 8
     * samples (64 to 256), clustered by the DP ({@link KMeans1D#coarseStarts}, double-double: the
     * same splits as the plain-double DP on every measured group), then Lloyd.
     */
    private static KMeans1D.Clustering previouslySeeded(KMeans1D.WeightedValues d, int n) {
        int m = d.size();
        int runs = Math.max(64, Math.min(256, n / 8));
        if (GroupKMeans.exactIsCheap(m, n, 16) || m <= runs) return KMeans1D.cluster(d, 16);
        return KMeans1D.finish(d, 16, KMeans1D.lloyd(d.values(), d.weights(), KMeans1D.coarseStarts(d.values(), d.weights(), 16, runs)), false);
    }

    /**
     * Where per-channel k-means spends its time: each stage of {@link GroupKMeans#cluster} run over
     * every row (one group each) in a loop of its own, the least thread CPU time of 12 rounds per
     * value, next to whole per-channel and per-tensor palettizations of the same weight.
     */
    private static void perChannelStages(float[] w, int rows, int cols, Precision precision) {
        int n = rows * cols;
        float[][] samples = new float[rows][];
        for (int g = 0; g < rows; g++) samples[g] = Arrays.copyOfRange(w, g * cols, (g + 1) * cols);
        KMeans1D.WeightedValues[] distinct = new KMeans1D.WeightedValues[rows];
        int[][] seeds = new int[rows][];
        int[][] starts = new int[rows][];
        KMeans1D.Clustering[] clusterings = new KMeans1D.Clustering[rows];
        int[] labels = new int[cols];
        int runs = GroupKMeans.seedRuns(cols, 16);
        boolean allSeeded = true;
        for (int g = 0; g < rows; g++) {
            KMeans1D.WeightedValues d = GroupKMeans.distinct(samples[g], cols);
            if (GroupKMeans.exactIsCheap(d.size(), cols, 16) || d.size() <= runs) allSeeded = false;
        }
        if (!allSeeded) throw new IllegalArgumentException("stages: some rows take the exact DP; use rows of more distinct values");
        WeightTensor weight = new WeightTensor(w, new long[] {rows, cols}, precision);
        Palettizer palettizer = new Palettizer(null);
        String[] names = {"distinct (radix sort)", "seed (companding + DP)", "Lloyd", "centres", "labels", "per channel, whole", "per tensor, whole"};
        double[] least = new double[names.length];
        Arrays.fill(least, Double.MAX_VALUE);
        for (int round = 0; round < 12; round++) {
            double[] t = {
                time(() -> { for (int g = 0; g < rows; g++) distinct[g] = GroupKMeans.distinct(samples[g], cols); }),
                time(() -> { for (int g = 0; g < rows; g++) seeds[g] = GroupKMeans.seedStarts(distinct[g].values(), distinct[g].weights(), 16, runs); }),
                time(() -> { for (int g = 0; g < rows; g++) starts[g] = KMeans1D.lloyd(distinct[g].values(), distinct[g].weights(), seeds[g]); }),
                time(() -> { for (int g = 0; g < rows; g++) clusterings[g] = KMeans1D.finish(distinct[g], 16, starts[g], false); }),
                time(() -> { for (int g = 0; g < rows; g++) GroupKMeans.label(samples[g], cols, clusterings[g], labels); }),
                time(() -> palettizer.palettize(weight, PalettizerOptions.kmeans(4).withGroups(1, 0), new SplittableRandom(1))),
                time(() -> palettizer.palettize(weight, PalettizerOptions.kmeans(4), new SplittableRandom(1))),
            };
            for (int s = 0; s < t.length; s++) least[s] = Math.min(least[s], t[s] * 1e9 / n);
        }
        StringBuilder line = new StringBuilder(rows + "x" + cols + " per channel, least of 12 rounds, ns/value:");
        for (int s = 0; s < names.length; s++) line.append(String.format(" %s %.1f;", names[s], least[s]));
        System.out.println(line.append(String.format(" per channel / per tensor %.2fx", least[5] / least[6])));
    }

    /** CPU seconds of the calling thread (all the work runs on it; wall time on a shared machine says little). */
    private static double time(Runnable r) {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long a = bean.getCurrentThreadCpuTime();
        r.run();
        return (bean.getCurrentThreadCpuTime() - a) / 1e9;
    }
}
