package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * Scalar k-means of one LUT group of a grouped or per-channel palettization ({@link Palettizer}),
 * at a cost per value close to the per-tensor path's ({@link KMeans1D#clusterSamples}).
 *
 * <p>A group holds few samples (e.g. 16 channels of 768) but, unlike a whole tensor, nearly as many
 * distinct values as samples, so the exact DP over its distinct values costs about
 * {@code k·log m} segment costs per sample, 100× a per-tensor value. Here:
 * <ol>
 *   <li>The samples' order-preserving bit patterns are sorted by an LSD radix sort over the bits
 *       the samples differ in, above the bits that are 0 in every value (for float16 data the low
 *       13), O(n), and counted into the sorted distinct values.</li>
 *   <li>When the exact DP is cheap for the group ({@link #exactIsCheap}: few distinct values for its
 *       samples), it runs ({@link KMeans1D#cluster}): the optimal clustering, as before.</li>
 *   <li>Otherwise the distinct values are merged into at most {@link #seedRuns} runs (about one per
 *       20 samples, 64 to 256) of equal companded length ({@link #compandedRuns}), the exact DP
 *       clusters those runs (plain-double segment costs around the mean: {@link #seedStarts}), and
 *       Lloyd iterations on prefix sums over the distinct values (a binary search per boundary, so
 *       O(k log m) each) move the boundaries to the midpoints between the centres until nothing
 *       moves. The result is a Lloyd fixed point seeded from a near-optimal clustering, not proven
 *       optimal ({@link KMeans1D.Clustering#exact()} false).</li>
 * </ol>
 * Every sample gets the cluster whose range holds it (nearest centre, ties to the lower cluster).
 * Nothing depends on threads: a group is solved on one thread.
 */
final class GroupKMeans {

    /** Segment costs per sample the exact DP may take (its cost is about (k-1)·m·log2 m). */
    static final int EXACT_COSTS_PER_SAMPLE = 4;

    private GroupKMeans() {}

    /** Whether the exact DP over {@code m} distinct values of {@code n} samples is cheap enough to run. */
    static boolean exactIsCheap(int m, int n, int k) {
        if (m <= k) return true;
        double costs = (double) (k - 1) * m * (32 - Integer.numberOfLeadingZeros(m));
        return costs <= (double) EXACT_COSTS_PER_SAMPLE * n;
    }

    /**
     * Runs for the DP seed of {@code n} samples: about one per 20 samples, at most 256 (cheap per
     * sample), at least 64 and 4k (enough to place k clusters; a group of at most that many
     * distinct values is solved exactly). With {@link #compandedRuns} a 3,072-sample channel's 153
     * runs seed as well as 256 runs of equal weight or span did (README, "Grouped and per-channel k-means").
     */
    static int seedRuns(int n, int k) {
        return Math.max(Math.max(64, 4 * k), Math.min(256, n / 20));
    }

    /** Clusters the first {@code n} (finite) samples of {@code data} into {@code k} clusters and labels each. */
    static KMeans1D.Labelled cluster(float[] data, int n, int k) {
        if (k < 1) throw new IllegalArgumentException("k-means: k must be at least 1, got " + k);
        if (n <= 0) throw new IllegalArgumentException("k-means: no values to cluster");
        KMeans1D.WeightedValues distinct = distinct(data, n);
        KMeans1D.Clustering c = clustering(distinct, n, k);
        int[] labels = new int[n];
        label(data, n, c, labels);
        return new KMeans1D.Labelled(c, labels);
    }

    /**
     * The cluster of each sample: the first whose upper bound is at least the value, as
     * {@link KMeans1D.Clustering#clusterOf}; up to 16 clusters by a fixed four-step search over
     * the bounds padded to 15 (conditional moves, no branches to mispredict), else by binary search.
     */
    static void label(float[] data, int n, KMeans1D.Clustering c, int[] labels) {
        int bounds = c.clusters() - 1;
        if (bounds == 0) return;
        if (bounds > 15) {
            for (int i = 0; i < n; i++) labels[i] = c.clusterOf(data[i]);
            return;
        }
        double[] upper = Arrays.copyOf(c.upperBounds(), 15);
        Arrays.fill(upper, bounds, 15, Double.POSITIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            double v = data[i];
            // the number of bounds below v, by a binary search of fixed depth over the 15 sorted bounds
            int l = v > upper[7] ? 8 : 0;
            l += v > upper[l + 3] ? 4 : 0;
            l += v > upper[l + 1] ? 2 : 0;
            l += v > upper[l] ? 1 : 0;
            labels[i] = l;
        }
    }

    /** The clustering of {@code distinct} (of {@code n} samples) as {@link #cluster} makes it. */
    static KMeans1D.Clustering clustering(KMeans1D.WeightedValues distinct, int n, int k) {
        int m = distinct.size();
        if (exactIsCheap(m, n, k)) return KMeans1D.cluster(distinct, k);
        int runs = seedRuns(n, k);
        if (m <= runs) return KMeans1D.finish(distinct, k, KMeans1D.optimalStarts(distinct.values(), distinct.weights(), k), true);
        int[] seed = seedStarts(distinct.values(), distinct.weights(), k, runs);
        return KMeans1D.finish(distinct, k, KMeans1D.lloyd(distinct.values(), distinct.weights(), seed), false);
    }

    /**
     * Merges the m ≥ 2 sorted values into at most {@code runs} runs of equal length after
     * companding: a value of weight w whose neighbours lie 2g apart counts as {@code (w·g²)^(1/3)}
     * (an end value's one neighbour 2g away), its share of {@code ∫ density^(1/3)}, the spacing at
     * which optimal k-means places its centres for many clusters. So every cluster of the optimum
     * spans about {@code runs/k} runs, in the dense middle and in the sparse tails alike, where
     * equal weight would put few runs into the tails' clusters and equal value span few into the
     * middle's. After each run the rest is shared evenly by the runs left, so an outlier longer
     * than a run does not leave the runs after it short; a run also closes when the values left
     * are only enough for one run each.
     */
    static KMeans1D.Runs compandedRuns(double[] x, double[] w, int runs) {
        int m = x.length;
        double[] share = new double[m];
        share[0] = companded(w[0], 0.5 * (x[1] - x[0]));
        for (int i = 1; i < m - 1; i++) share[i] = companded(w[i], 0.5 * (x[i + 1] - x[i - 1]));
        share[m - 1] = companded(w[m - 1], 0.5 * (x[m - 1] - x[m - 2]));
        double length = 0;
        for (int i = 0; i < m; i++) length += share[i];
        int[] runStart = new int[runs + 1];
        double[] rw = new double[runs];
        double[] rs = new double[runs];
        int nb = 0;
        int start = 0;
        double sw = 0;
        double swx = 0;
        double done = 0;
        double next = length / runs;
        for (int i = 0; i < m; i++) {
            sw += w[i];
            swx += w[i] * x[i];
            done += share[i];
            boolean close = i == m - 1 || (nb < runs - 1 && (done >= next || m - 1 - i <= runs - 1 - nb));
            if (close) {
                runStart[nb] = start;
                rw[nb] = sw;
                rs[nb] = swx;
                nb++;
                next = done + (length - done) / Math.max(1, runs - nb);
                start = i + 1;
                sw = 0;
                swx = 0;
            }
        }
        runStart[nb] = m;
        return new KMeans1D.Runs(nb, runStart, rw, rs);
    }

    private static double companded(double weight, double gap) {
        return roughCbrt(weight * gap * gap);
    }

    /**
     * The cube root of a positive normal double to within 4 %: a third of its bit pattern (a third
     * of the exponent, the mantissa roughly) plus a constant. Run lengths need no more, and
     * {@link Math#cbrt} would cost more than the rest of a value's share of the seed.
     */
    static double roughCbrt(double v) {
        return Double.longBitsToDouble(Math.multiplyHigh(Double.doubleToRawLongBits(v), 0x5555555555555556L) + 0x2A9F7893782DA1CEL);
    }

    /**
     * The first value index of each of the k clusters of the optimal clustering of the
     * {@link #compandedRuns} of the m > runs sorted values, each run at its mean, with the DP's
     * segment costs in plain doubles around the values' mean ({@link RunDp}) instead of the
     * double-double of {@link KMeans1D#optimalStarts}: 2× faster, and the same starts unless two
     * splits tie to within rounding. They only seed Lloyd iterations.
     */
    static int[] seedStarts(double[] x, double[] w, int k, int runs) {
        return seedStarts(x, w, k, runs, true);
    }

    /**
     * {@link #seedStarts(double[], double[], int, int)} with the run DP filling only the cells the
     * splits can depend on ({@code bounded}, the full DP where that cannot be shown to give the
     * same splits) or every cell (the DP before the bounded one; for tests and measurements).
     */
    static int[] seedStarts(double[] x, double[] w, int k, int runs, boolean bounded) {
        int m = x.length;
        double total = 0;
        double moment = 0;
        for (int i = 0; i < m; i++) {
            total += w[i];
            moment += w[i] * x[i];
        }
        double centre = moment / total; // the sums are taken around the mean: less cancellation in S2 - S1²/W
        KMeans1D.Runs merged = compandedRuns(x, w, runs);
        int nb = merged.count();
        int[] runStart = merged.starts();
        double[] pw = new double[nb + 1];
        double[] p1 = new double[nb + 1];
        double[] p2 = new double[nb + 1];
        for (int b = 0; b < nb; b++) {
            double sw = merged.weight()[b];
            double mean = merged.sum()[b] / sw - centre;
            pw[b + 1] = pw[b] + sw;
            p1[b + 1] = p1[b] + sw * mean;
            p2[b + 1] = p2[b] + sw * mean * mean;
        }
        int[] starts = new int[k];
        if (nb <= k) {
            for (int c = 0; c < k; c++) starts[c] = c < nb ? runStart[c] : runStart[nb - 1] + (c - nb + 1);
            return starts;
        }
        RunDp dp = new RunDp(pw, p1, p2, nb);
        int[] onRuns = bounded ? dp.optimalStarts(k) : dp.optimalStarts(k, false);
        for (int c = 0; c < k; c++) starts[c] = runStart[onRuns[c]];
        return starts;
    }

    /**
     * The exact DP of {@link KMeans1D#optimalStarts} with segment costs from plain double prefix sums.
     *
     * <p>Only cells the final splits can depend on are filled. The backtrack from the last cell
     * reads layer c at {@code need[c] = opt[c+1][need[c+1]] - 1} and above, and the split opt[c][i]
     * never decreases in c or i (the Knuth bounds the sweeps already use), so once a layer c is
     * solved, {@code need[c'] ≥ opt[c][need[c'+1]] - 1} for every later layer c': a sweep layer is
     * filled only from that bound up (layer 14 of a 153-run channel fills 6 of its 138 cells on
     * average). A cell is known to equal the full DP's when its split candidates lie in cells of the
     * layer below that are known to (checked as the sweep goes); if the last cell's are not, the DP
     * runs again on every cell ({@link #optimalStarts(int, boolean)} with {@code bounded} false).
     * One difference is not checked: each layer's first cell and the last layer's cell, which have
     * no split of the layer below for their index, start their scan at that layer's split for the
     * index before (Knuth's bound again) instead of at the layer's first index; that gives the same
     * split unless rounding breaks the bound the other cells already rely on
     * ({@code GroupKMeansTest} compares both DPs, README "Grouped and per-channel k-means").
     */
    private static final class RunDp {
        private final double[] pw;
        private final double[] p1;
        private final double[] p2;
        private final int m;
        private double[] prev;
        private double[] cur;
        private int[][] back;
        private int layer;
        private int previousHi; // the last value index the previous layer was solved for
        private int previousLo; // the first value index the previous layer was solved for
        private int previousExact; // the previous layer's cells from here up are the full DP's
        private boolean bounded; // fill only the cells the backtrack can read (else every cell)

        RunDp(double[] pw, double[] p1, double[] p2, int m) {
            this.pw = pw;
            this.p1 = p1;
            this.p2 = p2;
            this.m = m;
        }

        private double cost(int j, int i) {
            double s1 = p1[i + 1] - p1[j];
            double c = (p2[i + 1] - p2[j]) - s1 * s1 / (pw[i + 1] - pw[j]);
            return c > 0 ? c : 0;
        }

        int[] optimalStarts(int k) {
            int[] starts = optimalStarts(k, true);
            return starts != null ? starts : optimalStarts(k, false);
        }

        /** The k starts, or null when {@code bounded} and the last cell could not be shown to be the full DP's. */
        int[] optimalStarts(int k, boolean bounded) {
            this.bounded = bounded;
            prev = new double[m];
            cur = new double[m];
            back = new int[k][];
            int[] need = new int[k]; // a lower bound of the lowest cell of each layer the backtrack reads
            for (int c = 0; c < k; c++) need[c] = c;
            for (int i = 0; i < m; i++) prev[i] = cost(0, i);
            previousLo = 0;
            previousExact = 0;
            for (int c = 1; c < k; c++) {
                layer = c;
                back[c] = new int[m];
                int iHi = c == k - 1 ? m - 1 : m - 1 - (k - 1 - c);
                int exact;
                int iLo;
                if (c == k - 1) {
                    iLo = m - 1;
                    exact = bounded && c >= 2 ? lastCell(iHi) : fullLastCell(iHi);
                    if (exact > iLo) return null;
                } else if (c >= 2 && 6 * c * (c + 1) >= m) {
                    // sweep once a layer's Knuth window, about m / (2c(c+1)) splits, is shorter than the
                    // few candidates a divide-and-conquer node scans
                    iLo = bounded ? Math.max(c, need[c]) : c;
                    exact = sweep(iLo, iHi);
                } else {
                    iLo = c;
                    solve(iLo, iHi, c, iHi);
                    exact = iLo; // every cell, from cells that were all filled
                }
                if (bounded) tightenNeeds(need, c, iHi, exact, k);
                previousHi = iHi;
                previousLo = iLo;
                previousExact = exact;
                double[] t = prev;
                prev = cur;
                cur = t;
            }
            int[] starts = new int[k];
            int i = m - 1;
            for (int c = k - 1; c >= 1; c--) {
                int j = back[c][i];
                starts[c] = j;
                i = j - 1;
            }
            return starts;
        }

        /**
         * Raises the bounds of the later layers from layer c's splits: the backtrack reads layer
         * c' from {@code opt[c'+1][need[c'+1]] - 1 ≥ opt[c][min(need[c'+1], iHi)] - 1} up, as far
         * as layer c's cells there are the full DP's.
         */
        private void tightenNeeds(int[] need, int c, int iHi, int exact, int k) {
            int[] here = back[c];
            int from = m - 1; // the last layer reads only its last cell
            for (int later = k - 2; later > c; later--) {
                int at = Math.min(from, iHi);
                if (at < exact) break;
                from = Math.max(need[later], here[at] - 1);
                need[later] = from;
            }
        }

        /** The last layer's one cell as the full DP fills it: its split from the layer's first index. */
        private int fullLastCell(int i) {
            back[layer][i] = bestSplit(layer, i, i);
            return i;
        }

        /**
         * The last layer's one cell, its split from the previous layer's split for the index before
         * (opt[k-1][m-1] ≥ opt[k-2][m-1] ≥ opt[k-2][m-2]); returns i when that split and every
         * candidate's cell below are the full DP's, else i + 1.
         */
        private int lastCell(int i) {
            int from = Math.max(layer, back[layer - 1][i - 1]);
            if (i - 1 < previousExact || from - 1 < previousExact) return i + 1;
            back[layer][i] = bestSplit(from, i, i);
            return i;
        }

        /**
         * Fills the layer from its last value index down to {@code iLo}: the split for i lies
         * between the previous layer's split for i and this layer's split for i + 1 (Knuth's
         * bounds), a short scan without recursion once the layers' clusters are short. Candidates
         * stop above the previous layer's first filled cell. Returns the lowest index from which
         * up every cell is the full DP's (iHi + 1 if none): its candidates' cells, and the
         * previous layer's split that bounds them, were the full DP's.
         */
        private int sweep(int iLo, int iHi) {
            int[] below = back[layer - 1];
            int[] here = back[layer];
            int upper = iHi;
            int exact = iHi + 1;
            int lowestStart = Math.max(layer, previousLo + 1);
            for (int i = iHi; i >= iLo; i--) {
                int from;
                if (i <= previousHi) {
                    int fullFrom = Math.max(layer, below[i]);
                    from = Math.max(lowestStart, fullFrom);
                    if (exact == i + 1 && i >= previousExact && fullFrom - 1 >= previousExact) exact = i;
                } else if (bounded) {
                    // the layer's first cell: the previous layer has no split for i, but
                    // opt[c][i] ≥ opt[c-1][i] ≥ opt[c-1][i-1]
                    int fullFrom = Math.max(layer, below[i - 1]);
                    from = Math.max(lowestStart, fullFrom);
                    if (i - 1 >= previousExact && fullFrom - 1 >= previousExact) exact = i;
                } else {
                    from = layer;
                }
                int bestJ = bestSplit(from, Math.min(upper, i), i);
                here[i] = bestJ;
                upper = bestJ;
            }
            return bounded ? exact : iLo;
        }

        /**
         * The start in {@code [from, to]} of the last cluster of the values up to {@code i} that
         * costs least; its cost goes to {@code cur[i]}.
         */
        private int bestSplit(int from, int to, int i) {
            double best = Double.POSITIVE_INFINITY;
            int bestJ = from;
            for (int j = from; j <= to; j++) {
                double p = prev[j - 1];
                if (p >= best) break; // prev never decreases in j and costs are not negative
                double v = p + cost(j, i);
                if (v < best) {
                    best = v;
                    bestJ = j;
                }
            }
            cur[i] = best;
            return bestJ;
        }

        private void solve(int iLo, int iHi, int jLo, int jHi) {
            while (iLo <= iHi) {
                int mid = (iLo + iHi) >>> 1;
                int from = Math.max(jLo, layer);
                // with one cluster more, the last cluster of the values up to mid starts no earlier
                if (layer >= 2 && mid <= previousHi) from = Math.max(from, back[layer - 1][mid]);
                int bestJ = bestSplit(from, Math.min(jHi, mid), mid);
                back[layer][mid] = bestJ;
                if (mid - iLo < iHi - mid) {
                    solve(iLo, mid - 1, jLo, bestJ);
                    iLo = mid + 1;
                    jLo = bestJ;
                } else {
                    solve(mid + 1, iHi, bestJ, jHi);
                    iHi = mid - 1;
                    jHi = bestJ;
                }
            }
        }
    }

    /** The sorted distinct values of {@code data[0, n)} (−0 as 0) with their counts. */
    static KMeans1D.WeightedValues distinct(float[] data, int n) {
        int[] keys = new int[n];
        int anyBits = 0;
        for (int i = 0; i < n; i++) {
            // FloatBins.key without its branches (the signs are random): v + 0 turns −0 into +0
            int bits = Float.floatToRawIntBits(data[i] + 0f);
            anyBits |= bits;
            keys[i] = bits ^ ((bits >> 31) | 0x80000000);
        }
        // bits below the lowest set bit of every value (13 for float16 data) are 0 in every value,
        // so in the keys they are 0 for positive and 1 for negative values and never order two values
        int[] scratch = new int[n];
        radixSort(keys, n, anyBits == 0 ? 0 : Integer.numberOfTrailingZeros(anyBits), scratch);
        // compact the sorted keys in place into the distinct ones, counting each (into the scratch)
        int[] counts = scratch;
        int m = 0;
        int previous = keys[0];
        int count = 1;
        for (int i = 1; i < n; i++) {
            int key = keys[i];
            if (key == previous) {
                count++;
            } else {
                keys[m] = previous;
                counts[m++] = count;
                previous = key;
                count = 1;
            }
        }
        keys[m] = previous;
        counts[m++] = count;
        double[] values = new double[m];
        double[] weights = new double[m];
        for (int d = 0; d < m; d++) {
            int key = keys[d];
            values[d] = Float.intBitsToFloat(key < 0 ? key ^ 0x80000000 : ~key);
            weights[d] = counts[d];
        }
        return new KMeans1D.WeightedValues(values, weights);
    }

    /** Widest digit of the radix sort: 2,048 counters, a sixth of a 12,288-value group. */
    private static final int MAX_DIGIT_BITS = 11;

    /** Sorts {@code keys[0, n)} as unsigned ints (as {@link #radixSort(int[], int, int, int[])} with every bit). */
    static void radixSort(int[] keys, int n) {
        radixSort(keys, n, 0, new int[n]);
    }

    /**
     * Sorts {@code keys[0, n)} as unsigned ints by their bits from {@code lowBit} up (keys equal
     * there keep their order), using {@code scratch} (n ints). Only the span of bits some keys
     * differ in is sorted, in as few digits of at most {@value #MAX_DIGIT_BITS} bits as cover it,
     * split evenly: float16 data (19 bits above bit 13) takes two passes of 10-bit digits.
     */
    static void radixSort(int[] keys, int n, int lowBit, int[] scratch) {
        int and = -1;
        int or = 0;
        for (int i = 0; i < n; i++) {
            and &= keys[i];
            or |= keys[i];
        }
        int varying = (and ^ or) >>> lowBit << lowBit;
        if (varying == 0) return;
        int bottom = Integer.numberOfTrailingZeros(varying);
        int width = 32 - Integer.numberOfLeadingZeros(varying) - bottom;
        int passes = (width + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS;
        int digitBits = (width + passes - 1) / passes;
        int mask = (1 << digitBits) - 1;
        int[] from = keys;
        int[] to = scratch;
        int[] counts = new int[1 << digitBits];
        for (int pass = 0; pass < passes; pass++) {
            int shift = bottom + pass * digitBits;
            if (((varying >>> shift) & mask) == 0) continue;
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) counts[(from[i] >>> shift) & mask]++;
            int sum = 0;
            for (int b = 0; b < counts.length; b++) {
                int c = counts[b];
                counts[b] = sum;
                sum += c;
            }
            for (int i = 0; i < n; i++) to[counts[(from[i] >>> shift) & mask]++] = from[i];
            int[] t = from;
            from = to;
            to = t;
        }
        if (from != keys) System.arraycopy(from, 0, keys, 0, n);
    }
}
