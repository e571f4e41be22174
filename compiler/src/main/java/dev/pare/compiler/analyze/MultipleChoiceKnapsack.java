package dev.pare.compiler.analyze;

import java.util.List;
import java.util.Optional;

/**
 * Chooses one option per group so that the summed noise is least while the summed bytes stay
 * within a budget: the multiple-choice knapsack, solved exactly by dynamic programming over the
 * budget. Budgets larger than {@code maxCells} are counted in units of
 * {@code ceil(budget / maxCells)} bytes, each option's size rounded up to whole units, so a plan
 * never exceeds the budget (it may leave less than one unit per group unused). Ties in noise go to
 * the plan with fewer bytes, then to the lower option index, so the answer is deterministic.
 */
public final class MultipleChoiceKnapsack {

    /** One way to store a weight: its size and the output noise power it adds. */
    public record Option(long bytes, double noise) {
        public Option {
            if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
            if (Double.isNaN(noise) || noise < 0) throw new IllegalArgumentException("noise must be >= 0, got " + noise);
        }
    }

    /** The chosen option index per group, with the totals. */
    public record Solution(int[] choices, long bytes, double noise) {
        public Solution { choices = choices.clone(); }

        @Override public int[] choices() { return choices.clone(); }
    }

    /** Default cap on the budget cells of one solve (the choice table has groups × cells bytes). */
    public static final int DEFAULT_MAX_CELLS = 1 << 20;

    /** Largest choice table, in entries, whatever the number of groups. */
    private static final long MAX_TABLE = 1L << 27;

    private MultipleChoiceKnapsack() {}

    /** The smallest total size any plan can have. */
    public static long minimumBytes(List<List<Option>> groups) {
        long total = 0;
        for (List<Option> g : groups) total += g.stream().mapToLong(Option::bytes).min().orElseThrow();
        return total;
    }

    /** As {@link #solve(List, long, int)} with {@link #DEFAULT_MAX_CELLS}. */
    public static Optional<Solution> solve(List<List<Option>> groups, long budget) {
        return solve(groups, budget, DEFAULT_MAX_CELLS);
    }

    /**
     * The plan of least noise whose bytes are at most {@code budget}; empty if even the smallest
     * options exceed it. Each group needs at least one option and at most 127.
     */
    public static Optional<Solution> solve(List<List<Option>> groups, long budget, int maxCells) {
        if (budget < 0) return Optional.empty();
        for (List<Option> g : groups) {
            if (g.isEmpty() || g.size() > Byte.MAX_VALUE) throw new IllegalArgumentException("a group needs 1 to 127 options, got " + g.size());
        }
        if (minimumBytes(groups) > budget) return Optional.empty();
        int groupsCount = groups.size();
        long cellsCap = Math.max(1, Math.min(maxCells, MAX_TABLE / Math.max(1, groupsCount)));
        long unit = Math.max(1, ceilDiv(budget, cellsCap));
        int capacity = Math.toIntExact(budget / unit);

        double[] noise = new double[capacity + 1];   // least noise using at most b units, over the groups so far
        long[] bytes = new long[capacity + 1];       // the bytes of that plan (tie-break)
        boolean[] feasible = new boolean[capacity + 1];
        java.util.Arrays.fill(feasible, true);
        byte[][] choice = new byte[groupsCount][];
        for (int g = 0; g < groupsCount; g++) {
            List<Option> options = groups.get(g);
            int[] cost = new int[options.size()];
            for (int o = 0; o < cost.length; o++) cost[o] = (int) Math.min(capacity + 1L, ceilDiv(options.get(o).bytes(), unit));
            double[] nextNoise = new double[capacity + 1];
            long[] nextBytes = new long[capacity + 1];
            boolean[] nextFeasible = new boolean[capacity + 1];
            byte[] pick = new byte[capacity + 1];
            for (int b = 0; b <= capacity; b++) {
                int best = -1;
                double bestNoise = 0;
                long bestBytes = 0;
                for (int o = 0; o < cost.length; o++) {
                    int rest = b - cost[o];
                    if (rest < 0 || !feasible[rest]) continue;
                    double n = noise[rest] + options.get(o).noise();
                    long s = bytes[rest] + options.get(o).bytes();
                    if (best < 0 || n < bestNoise || (n == bestNoise && s < bestBytes)) {
                        best = o;
                        bestNoise = n;
                        bestBytes = s;
                    }
                }
                nextFeasible[b] = best >= 0;
                nextNoise[b] = bestNoise;
                nextBytes[b] = bestBytes;
                pick[b] = (byte) best;
            }
            noise = nextNoise;
            bytes = nextBytes;
            feasible = nextFeasible;
            choice[g] = pick;
        }
        if (!feasible[capacity]) return Optional.empty(); // only when rounding to units cost the last bytes
        int[] choices = new int[groupsCount];
        int b = capacity;
        for (int g = groupsCount - 1; g >= 0; g--) {
            int o = choice[g][b];
            choices[g] = o;
            b -= (int) Math.min(capacity + 1L, ceilDiv(groups.get(g).get(o).bytes(), unit));
        }
        double totalNoise = 0;
        long totalBytes = 0;
        for (int g = 0; g < groupsCount; g++) {
            totalNoise += groups.get(g).get(choices[g]).noise();
            totalBytes += groups.get(g).get(choices[g]).bytes();
        }
        return Optional.of(new Solution(choices, totalBytes, totalNoise));
    }

    private static long ceilDiv(long a, long b) { return -Math.floorDiv(-a, b); }
}
