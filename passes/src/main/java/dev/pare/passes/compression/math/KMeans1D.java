package dev.pare.passes.compression.math;

import dev.pare.ir.Float16;
import java.util.Arrays;

/**
 * Optimal weighted k-means in one dimension (minimum within-cluster sum of squared errors).
 *
 * <p>In 1-D an optimal clustering consists of contiguous runs of the sorted distinct values, so it
 * is found exactly by dynamic programming: {@code D[c][i] = min_j D[c-1][j-1] + cost(j, i)}, where
 * {@code cost(j, i)} is the weighted SSE of values {@code j..i}, evaluated in O(1) from prefix sums
 * of w, w·x and w·x². The optimal split point is monotone in i (the cost is Monge), so each layer
 * is filled by divide and conquer in O(m log m), O(k·m·log m) in all (Grønlund et al. 2017, §2.2;
 * Wang &amp; Song 2011). The prefix sums and {@code S2 - S1²/W} are evaluated in double-double
 * arithmetic, because in plain doubles the cancellation makes tight clusters far from the mean
 * cost more than their true SSE and the DP then picks wrong splits; centres and the reported SSE
 * are recomputed directly from the clusters with a two-pass formula.
 *
 * <p>Ties are broken deterministically: among equally good split points the smallest wins.
 *
 * <p>{@link #cluster} works on given weighted distinct values. The DP keeps a back-pointer table of
 * (k-1)·m entries (16-bit when m ≤ 65,536). When that table would exceed {@link #EXACT_TABLE_BYTES},
 * the problem is solved approximately instead: the sorted values are merged into at most 65,536
 * consecutive runs (closed by weight or by value span), the DP solves that reduced problem
 * exactly, and Lloyd iterations on the full data refine the result (the better of the two is
 * kept). {@link Clustering#exact()} reports which path ran.
 *
 * <p>{@link #clusterSamples} is what palettization uses: it works on raw samples, in parallel, and
 * is exact when they hold at most {@value #EXACT_DISTINCT} distinct values (always for float16
 * data); above that it is a near-optimal refinement described there, reported as not exact.
 */
public final class KMeans1D {

    /** Budget for the back-pointer table of the exact DP. */
    public static final long EXACT_TABLE_BYTES = 64L << 20;

    /** Cap on Lloyd refinement iterations in the approximate path. */
    static final int LLOYD_MAX_ITERATIONS = 2000;

    private KMeans1D() {}

    /** Sorted, distinct values with positive weights (normally occurrence counts). */
    public record WeightedValues(double[] values, double[] weights) {

        public WeightedValues {
            if (values.length != weights.length) {
                throw new IllegalArgumentException("k-means: " + values.length + " values but " + weights.length + " weights");
            }
            for (int i = 0; i < values.length; i++) {
                if (!Double.isFinite(values[i])) throw new IllegalArgumentException("k-means: value " + i + " is not finite");
                if (!(weights[i] > 0) || !Double.isFinite(weights[i])) {
                    throw new IllegalArgumentException("k-means: weight " + i + " must be positive and finite, got " + weights[i]);
                }
                if (i > 0 && !(values[i] > values[i - 1])) {
                    throw new IllegalArgumentException("k-means: values must be strictly increasing (index " + i + ")");
                }
            }
        }

        public int size() {
            return values.length;
        }

        /** Counts the distinct values of {@code data} (−0 and +0 are one value). */
        public static WeightedValues of(float[] data) {
            return of(data, data.length);
        }

        /** Counts the distinct values among the first {@code n} entries of {@code data}. */
        public static WeightedValues of(float[] data, int n) {
            boolean allHalf = true;
            for (int i = 0; i < n && allHalf; i++) {
                float v = data[i];
                allHalf = Float.isFinite(v) && Float16.toFloat(Float16.fromFloat(v)) == v;
            }
            return allHalf ? countHalfValues(data, n) : countBySorting(data, n);
        }

        /** fp16 data: a 65,536-bin histogram of the bit patterns, read back in value order. */
        private static WeightedValues countHalfValues(float[] data, int n) {
            int[] counts = new int[1 << 16];
            for (int i = 0; i < n; i++) counts[Float16.fromFloat(data[i]) & 0xFFFF]++;
            double[] values = new double[1 << 16];
            double[] weights = new double[1 << 16];
            int m = 0;
            // negative values, most negative first; then positive values ascending
            for (int mag = 0x7FFF; mag >= 0; mag--) m = append(values, weights, m, counts[0x8000 | mag], -Float16.toFloat((short) mag));
            for (int mag = 0; mag <= 0x7FFF; mag++) m = append(values, weights, m, counts[mag], Float16.toFloat((short) mag));
            return new WeightedValues(Arrays.copyOf(values, m), Arrays.copyOf(weights, m));
        }

        private static WeightedValues countBySorting(float[] data, int n) {
            float[] sorted = Arrays.copyOf(data, n);
            Arrays.sort(sorted);
            double[] values = new double[n];
            double[] weights = new double[n];
            int m = 0;
            for (int i = 0; i < n; i++) m = append(values, weights, m, 1, sorted[i]);
            return new WeightedValues(Arrays.copyOf(values, m), Arrays.copyOf(weights, m));
        }

        private static int append(double[] values, double[] weights, int m, int count, double v) {
            if (count == 0) return m;
            if (m > 0 && values[m - 1] == v) {
                weights[m - 1] += count;
                return m;
            }
            values[m] = v == 0 ? 0.0 : v; // fold -0 into +0
            weights[m] = count;
            return m + 1;
        }
    }

    /**
     * A clustering into contiguous runs of the sorted values.
     *
     * @param centres     {@code k} centres in ascending order; when fewer than k clusters are
     *                    non-empty (fewer distinct values than k), the tail repeats the largest
     *                    centre so the table stays sorted and no value maps to a padding entry
     * @param clusters    number of non-empty clusters, {@code min(k, m)}
     * @param upperBounds for each non-empty cluster, a value at least its largest member and below
     *                    every member of the next cluster (ascending)
     * @param sse         weighted within-cluster sum of squared errors
     * @param exact       whether the result is provably optimal (the DP path ran)
     */
    public record Clustering(double[] centres, int clusters, double[] upperBounds, double sse, boolean exact) {

        /** The cluster holding value {@code v}: the first cluster whose largest value is ≥ v. */
        public int clusterOf(double v) {
            int lo = 0;
            int hi = clusters - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (upperBounds[mid] >= v) hi = mid;
                else lo = mid + 1;
            }
            return lo;
        }
    }

    /** Clusters {@code data} into {@code k} clusters (exactly when the DP table fits the budget). */
    public static Clustering cluster(WeightedValues data, int k) {
        if (k < 1) throw new IllegalArgumentException("k-means: k must be at least 1, got " + k);
        int m = data.size();
        if (m == 0) throw new IllegalArgumentException("k-means: no values to cluster");
        if (m <= k) {
            int[] first = new int[m];
            for (int i = 0; i < m; i++) first[i] = i;
            return finish(data, k, first, true);
        }
        if (exactFits(m, k)) return finish(data, k, optimalStarts(data.values(), data.weights(), k), true);
        return approximate(data, k);
    }

    /** Whether the exact DP for m distinct values and k clusters fits {@link #EXACT_TABLE_BYTES}. */
    public static boolean exactFits(int m, int k) {
        long entries = (long) (Math.min(k, m) - 1) * m;
        return entries * (m <= 65_536 ? 2 : 4) <= EXACT_TABLE_BYTES;
    }

    /** The exact DP; returns the first value index of each of the k clusters (k < m). */
    static int[] optimalStarts(double[] x, double[] w, int k) {
        SegmentCost cost = new SegmentCost(x, w);
        int m = x.length;
        double[] prev = new double[m];
        double[] cur = new double[m];
        for (int i = 0; i < m; i++) prev[i] = cost.of(0, i);
        BackPointers back = m <= 65_536 ? new CharBackPointers(k, m) : new IntBackPointers(k, m);
        for (int c = 1; c < k; c++) {
            // the last layer is needed only at i = m-1; earlier layers up to m-1-(k-1-c)
            int iLo = c;
            int iHi = c == k - 1 ? m - 1 : m - 1 - (k - 1 - c);
            if (c == k - 1) {
                iLo = m - 1;
            }
            // prev[j-1] is read for j in [c, iHi]; when it never decreases there, the first j whose
            // prev[j-1] alone loses ends the scan (all later ones lose too)
            boolean monotone = true;
            for (int j = c; j < iHi && monotone; j++) monotone = prev[j] >= prev[j - 1];
            new LayerSolver(cost, prev, cur, back, c, monotone).solve(iLo, iHi, c, iHi);
            double[] t = prev;
            prev = cur;
            cur = t;
        }
        int[] starts = new int[k];
        int i = m - 1;
        for (int c = k - 1; c >= 1; c--) {
            int j = back.get(c, i);
            starts[c] = j;
            i = j - 1;
        }
        starts[0] = 0;
        return starts;
    }

    /**
     * O(1) weighted SSE of a run of values, {@code S2 - S1²/W}, from prefix sums kept in
     * double-double arithmetic (about 106 significand bits). Plain double prefix sums lose the
     * small within-cluster SSE of tight clusters far from the data's mean to cancellation; with
     * double-double the products w·x and w·x² are exact (fma) and the difference keeps ~30 digits.
     */
    static final class SegmentCost {
        final double[] pw;
        final double[] p1Hi;
        final double[] p1Lo;
        final double[] p2Hi;
        final double[] p2Lo;

        /** How far {@link #lowerBound} may lie above {@link #of}; infinite unless the weights are counts. */
        final double margin;

        SegmentCost(double[] x, double[] w) {
            int m = x.length;
            pw = new double[m + 1];
            p1Hi = new double[m + 1];
            p1Lo = new double[m + 1];
            p2Hi = new double[m + 1];
            p2Lo = new double[m + 1];
            boolean counts = true;
            for (int i = 0; i < m; i++) {
                counts &= w[i] >= 1 && w[i] == Math.rint(w[i]);
                pw[i + 1] = pw[i] + w[i];
                // w·x exactly as hi + lo
                double wx = w[i] * x[i];
                double wxLo = Math.fma(w[i], x[i], -wx);
                // w·x² = (wx + wxLo)·x, accurate to double-double precision
                double wxx = wx * x[i];
                double wxxLo = Math.fma(wx, x[i], -wxx) + wxLo * x[i];
                addTo(p1Hi, p1Lo, i, wx, wxLo);
                addTo(p2Hi, p2Lo, i, wxx, wxxLo);
            }
            double p1Max = 0;
            for (double v : p1Hi) p1Max = Math.max(p1Max, Math.abs(v));
            double p2Max = Math.max(0, p2Hi[m]); // the w·x² prefix sums only grow
            // With count weights every W is an exact integer >= 1 and S1^2/W <= S2 <= p2Max. The
            // hi parts alone then miss the double-double S2 and S1 by a few ulps of p2Max and p1Max
            // (e1), and S1^2/W by at most 2·e1·sqrt(p2Max) + e1^2; the constants leave ample slack.
            double eps = Math.ulp(1.0);
            double e1 = 4 * eps * p1Max;
            double bound = 32 * eps * p2Max + 4 * e1 * Math.sqrt(p2Max) + 2 * e1 * e1;
            margin = counts && pw[m] < 0x1p52 && Double.isFinite(bound) ? bound : Double.POSITIVE_INFINITY;
        }

        /**
         * A cheap lower bound of {@link #of}{@code (j, i)} in plain doubles (the hi parts only):
         * never above it, so a candidate whose bound already loses is skipped without changing the
         * DP's choices; {@code -∞} when no safe margin is known.
         */
        double lowerBound(int j, int i) {
            double sw = pw[i + 1] - pw[j];
            double s1 = p1Hi[i + 1] - p1Hi[j];
            return (p2Hi[i + 1] - p2Hi[j]) - s1 * s1 / sw - margin;
        }

        private static void addTo(double[] hi, double[] lo, int i, double bHi, double bLo) {
            double aHi = hi[i];
            double s = aHi + bHi;
            double bb = s - aHi;
            double err = (aHi - (s - bb)) + (bHi - bb);
            err += lo[i] + bLo;
            double h = s + err;
            hi[i + 1] = h;
            lo[i + 1] = err - (h - s);
        }

        /** Weighted SSE of values j..i inclusive. */
        double of(int j, int i) {
            double sw = pw[i + 1] - pw[j];
            // S1 = P1[i+1] - P1[j]
            double a = p1Hi[i + 1];
            double b = -p1Hi[j];
            double s = a + b;
            double bb = s - a;
            double e = (a - (s - bb)) + (b - bb) + (p1Lo[i + 1] - p1Lo[j]);
            double s1 = s + e;
            double s1Lo = e - (s1 - s);
            // S2 = P2[i+1] - P2[j]
            a = p2Hi[i + 1];
            b = -p2Hi[j];
            s = a + b;
            bb = s - a;
            e = (a - (s - bb)) + (b - bb) + (p2Lo[i + 1] - p2Lo[j]);
            double s2 = s + e;
            double s2Lo = e - (s2 - s);
            // T = S1² / W in double-double
            double sq = s1 * s1;
            double sqLo = Math.fma(s1, s1, -sq) + 2 * s1 * s1Lo;
            double q = sq / sw;
            double r = (Math.fma(-q, sw, sq) + sqLo) / sw;
            // S2 - T
            a = s2;
            b = -q;
            s = a + b;
            bb = s - a;
            e = (a - (s - bb)) + (b - bb) + (s2Lo - r);
            double c = s + e;
            return c > 0 ? c : 0;
        }
    }

    /** Fills one DP layer by divide and conquer over the monotone split point. */
    private static final class LayerSolver {
        private final SegmentCost cost;
        private final double[] prev;
        private final double[] cur;
        private final BackPointers back;
        private final int layer;
        private final boolean monotone;
        /** Windows wider than this start from a {@link #guess}. */
        private static final int GUESS_WIDTH = 32;

        LayerSolver(SegmentCost cost, double[] prev, double[] cur, BackPointers back, int layer, boolean monotone) {
            this.monotone = monotone;
            this.cost = cost;
            this.prev = prev;
            this.cur = cur;
            this.back = back;
            this.layer = layer;
        }

        /** A j in [from, to] of low prev[j-1] + cost(j, mid), by ternary search. */
        private int guess(int mid, int from, int to) {
            int lo = from;
            int hi = to;
            while (hi - lo > 2) {
                int a = lo + (hi - lo) / 3;
                int b = hi - (hi - lo) / 3;
                if (prev[a - 1] + cost.of(a, mid) <= prev[b - 1] + cost.of(b, mid)) hi = b;
                else lo = a;
            }
            int g = lo;
            double v = prev[lo - 1] + cost.of(lo, mid);
            for (int j = lo + 1; j <= hi; j++) {
                double t = prev[j - 1] + cost.of(j, mid);
                if (t < v) {
                    v = t;
                    g = j;
                }
            }
            return g;
        }

        void solve(int iLo, int iHi, int jLo, int jHi) {
            while (iLo <= iHi) {
                int mid = (iLo + iHi) >>> 1;
                int from = Math.max(jLo, layer);
                int to = Math.min(jHi, mid);
                double best = Double.POSITIVE_INFINITY;
                int bestJ = from;
                int guessed = -1;
                if (to - from > GUESS_WIDTH) {
                    // a near-optimal candidate first (ternary search; the costs are about unimodal
                    // in j), so the scan below can skip almost every other candidate
                    bestJ = guess(mid, from, to);
                    guessed = bestJ;
                    best = prev[bestJ - 1] + cost.of(bestJ, mid);
                }
                for (int j = from; j <= to; j++) {
                    // cost.of is never below 0 nor below lowerBound and rounding is monotone, so a
                    // candidate whose prev[j-1] (or prev[j-1] + the bound) already loses to best, or
                    // ties it from a larger j, cannot be chosen: skipping it changes no choice. The
                    // choice is the smallest j of least cost, as a plain ascending scan makes it.
                    double p = prev[j - 1];
                    if (p > best || (p == best && j > bestJ)) {
                        if (monotone) break;
                        continue;
                    }
                    double bound = p + cost.lowerBound(j, mid);
                    if (bound > best || (bound == best && j > bestJ) || j == guessed) continue;
                    double v = p + cost.of(j, mid);
                    if (v < best || (v == best && j < bestJ)) {
                        best = v;
                        bestJ = j;
                    }
                }
                cur[mid] = best;
                back.set(layer, mid, bestJ);
                // recurse on the smaller side, loop on the other to bound the stack depth
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

    private interface BackPointers {
        void set(int layer, int i, int j);

        int get(int layer, int i);
    }

    private static final class CharBackPointers implements BackPointers {
        private final char[][] table;

        CharBackPointers(int k, int m) {
            table = new char[k][];
            for (int c = 1; c < k; c++) table[c] = new char[m];
        }

        public void set(int layer, int i, int j) {
            table[layer][i] = (char) j;
        }

        public int get(int layer, int i) {
            return table[layer][i];
        }
    }

    private static final class IntBackPointers implements BackPointers {
        private final int[][] table;

        IntBackPointers(int k, int m) {
            table = new int[k][];
            for (int c = 1; c < k; c++) table[c] = new int[m];
        }

        public void set(int layer, int i, int j) {
            table[layer][i] = j;
        }

        public int get(int layer, int i) {
            return table[layer][i];
        }
    }

    /** Coarse exact DP on ≤ 65,536 merged runs, then Lloyd refinement on the full data. */
    private static Clustering approximate(WeightedValues data, int k) {
        double[] x = data.values();
        double[] w = data.weights();
        int[] starts = coarseStarts(x, w, k, 1 << 16);
        Clustering seeded = finish(data, k, starts, false);
        Clustering refined = finish(data, k, lloyd(x, w, starts), false);
        return refined.sse() <= seeded.sse() ? refined : seeded;
    }

    /**
     * Merges the sorted values into at most {@code runs} consecutive runs, each closed when it holds
     * {@code 2/runs} of the weight or spans {@code 2/runs} of the value range (so sparse tails,
     * where large-k clusters are narrow in weight but wide in value, still get fine runs), solves
     * k-means on the runs exactly and returns the first value index of each cluster (requires
     * {@code k < x.length}).
     */
    static int[] coarseStarts(double[] x, double[] w, int k, int runs) {
        return coarseStarts(x, w, k, runs, null);
    }

    /** As above; {@code runsOut[0]} receives the first value index of every run and then m. */
    static int[] coarseStarts(double[] x, double[] w, int k, int runs, int[][] runsOut) {
        int m = x.length;
        if (m <= runs) {
            if (runsOut != null) {
                runsOut[0] = new int[m + 1];
                for (int i = 0; i <= m; i++) runsOut[0][i] = i;
            }
            return optimalStarts(x, w, k);
        }
        double total = 0;
        for (double v : w) total += v;
        Runs merged = mergeRuns(x, w, total, runs);
        int nb = merged.count();
        int[] runStart = merged.starts();
        if (nb <= k) {
            int[] starts = new int[k];
            for (int c = 0; c < k; c++) starts[c] = c < nb ? runStart[c] : runStart[nb - 1] + (c - nb + 1);
            return starts;
        }
        double[] rx = new double[nb];
        for (int b = 0; b < nb; b++) rx[b] = merged.sum()[b] / merged.weight()[b];
        int[] coarse = optimalStarts(rx, Arrays.copyOf(merged.weight(), nb), k);
        int[] starts = new int[k];
        for (int c = 0; c < k; c++) starts[c] = runStart[coarse[c]];
        if (runsOut != null) runsOut[0] = Arrays.copyOf(runStart, nb + 1);
        return starts;
    }

    /**
     * Consecutive runs of sorted values: {@code starts[0..count)} the first value index of each run
     * and {@code starts[count] = m}; each run's total weight and weighted sum of values.
     */
    record Runs(int count, int[] starts, double[] weight, double[] sum) {}

    /**
     * Merges the m sorted values (total weight {@code total}) into at most {@code runs} runs, each
     * closed when it holds {@code 2/runs} of the weight or spans {@code 2/runs} of the value range,
     * or when the values left are only enough for one run each.
     */
    static Runs mergeRuns(double[] x, double[] w, double total, int runs) {
        int m = x.length;
        double quota = total / (runs / 2);
        double span = (x[m - 1] - x[0]) / (runs / 2);
        int[] runStart = new int[runs + 1];
        double[] rw = new double[runs];
        double[] rs = new double[runs];
        int nb = 0;
        int start = 0;
        double sw = 0;
        double swx = 0;
        for (int i = 0; i < m; i++) {
            sw += w[i];
            swx += w[i] * x[i];
            boolean close = i == m - 1
                    || (nb < runs - 1 && (sw >= quota || x[i + 1] - x[start] > span || m - 1 - i <= runs - 1 - nb));
            if (close) {
                runStart[nb] = start;
                rw[nb] = sw;
                rs[nb] = swx;
                nb++;
                start = i + 1;
                sw = 0;
                swx = 0;
            }
        }
        runStart[nb] = m;
        return new Runs(nb, runStart, rw, rs);
    }

    // ---- raw samples -------------------------------------------------------------------------

    /** Distinct-value count up to which {@link #clusterSamples} is exact (for k ≤ 256). */
    public static final int EXACT_DISTINCT = 65_536;

    /** Bins on each side of a seed boundary whose samples are refined one by one. */
    static final int REFINE_WINDOW = 2;

    /** A clustering of raw samples with the cluster of each sample. */
    public record Labelled(Clustering clustering, int[] labels) {}

    /**
     * Clusters the first {@code n} (finite) samples of {@code data} into {@code k} clusters and
     * labels every sample; work is split over {@code executor} (null: the calling thread, which
     * must not be one of the executor's threads). The result does not depend on the thread count.
     *
     * <p>One pass builds {@link FloatBins}, a histogram over the top 19 bits of each value's
     * order-preserving bit pattern (sign, exponent, 10 mantissa bits) with exact integer sums.
     * Then:
     * <ul>
     *   <li>At most {@value #EXACT_DISTINCT} distinct values (always so for float16 data, whose
     *       values have a bin each): the exact DP of {@link #cluster} on the distinct values. The
     *       result is optimal and {@link Clustering#exact()} is true.</li>
     *   <li>More distinct values: the bins, each weighted by its count at its exact mean, are
     *       clustered by the exact DP on at most {@link #seedRuns} runs of consecutive bins of about
     *       equal weight, then Lloyd iterations on the bins. The bins within
     *       {@value #REFINE_WINDOW} of each boundary are then replaced by their distinct values and
     *       Lloyd iterations run again on that mix, so boundaries settle at the midpoints between
     *       centres value by value. The result is a Lloyd fixed point of the raw data (unless a
     *       boundary would have to leave its window) seeded from a near-optimal clustering; it is
     *       not proven optimal and {@link Clustering#exact()} is false. Its SSE is computed from
     *       the samples.</li>
     * </ul>
     * Every sample gets the cluster whose range holds it (nearest centre, ties to the lower
     * cluster); a bin-to-cluster table labels all samples of bins no boundary cuts.
     */
    public static Labelled clusterSamples(float[] data, int n, int k, java.util.concurrent.ExecutorService executor) {
        if (k < 1) throw new IllegalArgumentException("k-means: k must be at least 1, got " + k);
        if (n <= 0) throw new IllegalArgumentException("k-means: no values to cluster");
        FloatBins bins = FloatBins.of(data, n, executor);
        Clustering c = clustering(bins, () -> FloatBins.distinctAtMost(data, n, EXACT_DISTINCT),
                pick -> bins.distinctIn(data, n, pick, executor), k);
        int[] labels = new int[n];
        double sse = FloatBins.label(data, n, c, labels, executor);
        if (Double.isNaN(c.sse())) c = new Clustering(c.centres(), c.clusters(), c.upperBounds(), sse, false); // binned
        return new Labelled(c, labels);
    }

    /**
     * The clustering of the samples binned in {@code bins}: exact over their distinct values when
     * there are few ({@code distinctAtMost}: all of them, or null over {@link #EXACT_DISTINCT}),
     * otherwise over the bins with the samples of the bins near each boundary ({@code distinctIn})
     * taken one by one, whose SSE is NaN until the samples are labelled.
     */
    static Clustering clustering(FloatBins bins, java.util.function.Supplier<WeightedValues> distinctAtMost,
                                 java.util.function.Function<boolean[], WeightedValues> distinctIn, int k) {
        WeightedValues distinct = null;
        if (bins.multiCount == 0) {
            if (bins.size() <= EXACT_DISTINCT) distinct = bins.asDistinct();
        } else if ((long) bins.size() + bins.multiCount <= EXACT_DISTINCT) {
            distinct = distinctAtMost.get();
        }
        return distinct != null ? cluster(distinct, k) : binned(bins, distinctIn, k);
    }

    /** Runs for the coarse DP seed: up to 16,384, fewer for large k (about 2^21 segment costs). */
    static int seedRuns(int k) {
        int runs = 1 << 14;
        while ((double) k * runs * (31 - Integer.numberOfLeadingZeros(runs)) > (1 << 21) && runs > 4 * k) runs >>= 1;
        return runs;
    }

    private static Clustering binned(FloatBins bins, java.util.function.Function<boolean[], WeightedValues> distinctIn, int k) {
        int mb = bins.size();
        double[] bw = new double[mb];
        for (int b = 0; b < mb; b++) bw[b] = bins.counts[b];
        boolean[] explode = new boolean[mb];
        int[] binStarts = null;
        if (mb > k) {
            int[][] runs = new int[1][];
            int[] seed = coarseStarts(bins.means, bw, k, seedRuns(k), runs);
            binStarts = refineInRuns(new SegmentCost(bins.means, bw), mb, seed, runs[0]);
            for (int c = 1; c < k; c++) {
                for (int b = Math.max(0, binStarts[c] - REFINE_WINDOW); b < Math.min(mb, binStarts[c] + REFINE_WINDOW); b++) {
                    explode[b] = bins.multi[b];
                }
            }
        } else {
            System.arraycopy(bins.multi, 0, explode, 0, mb);
        }
        WeightedValues exploded = distinctIn.apply(explode);
        // atoms: the bins in order, each exploded bin replaced by its distinct values
        int atoms = exploded.size();
        for (boolean e : explode) if (!e) atoms++;
        double[] x = new double[atoms];
        double[] w = new double[atoms];
        double[] top = new double[atoms];
        int[] firstAtom = new int[mb + 1];
        double[] ex = exploded.values();
        double[] ew = exploded.weights();
        int a = 0;
        int e = 0;
        for (int b = 0; b < mb; b++) {
            firstAtom[b] = a;
            float highest = FloatBins.highest(bins.ids[b]);
            if (!explode[b]) {
                x[a] = bins.means[b];
                w[a] = bw[b];
                top[a++] = highest;
            } else {
                while (e < ex.length && ex[e] <= highest) {
                    x[a] = ex[e];
                    w[a] = ew[e++];
                    top[a] = x[a];
                    a++;
                }
            }
        }
        firstAtom[mb] = atoms;
        int clusters = Math.min(k, atoms);
        int[] best;
        SegmentCost cost = new SegmentCost(x, w);
        if (binStarts != null) {
            // the exact optimum over boundaries within the exploded bins around each bin-level boundary
            int[] lo = new int[k];
            int[] hi = new int[k];
            for (int c = 1; c < k; c++) {
                lo[c] = firstAtom[Math.max(0, binStarts[c] - REFINE_WINDOW)];
                hi[c] = firstAtom[Math.min(mb, binStarts[c] + REFINE_WINDOW)];
            }
            // then let boundaries that ended on a window's edge move on, in small bands
            best = refineInBands(cost, atoms, bandedStarts(cost, atoms, lo, hi), BAND_MIN);
        } else if (atoms > clusters) {
            int[][] runs = new int[1][];
            int[] seed = coarseStarts(x, w, clusters, seedRuns(clusters), runs);
            best = refineInRuns(cost, atoms, seed, runs[0]);
        } else {
            best = new int[clusters];
            for (int c = 0; c < clusters; c++) best[c] = c;
        }
        double[] centres = new double[k];
        double[] upper = new double[clusters];
        for (int c = 0; c < clusters; c++) {
            int to = c + 1 < clusters ? best[c + 1] : atoms;
            double sw = 0;
            double swx = 0;
            for (int i = best[c]; i < to; i++) {
                sw += w[i];
                swx += w[i] * x[i];
            }
            centres[c] = to - best[c] == 1 ? x[best[c]] : swx / sw;
            upper[c] = top[to - 1];
        }
        for (int c = clusters; c < k; c++) centres[c] = centres[clusters - 1];
        return new Clustering(centres, clusters, upper, Double.NaN, false);
    }

    /** Smallest and largest half-width of the bands the seed boundaries are refined in. */
    static final int BAND_MIN = 16;
    /** Runs on each side of a seed boundary that the value-level refinement may move it across. */
    static final int RUN_BAND = 32;
    static final int BAND_MAX = 512;

    /**
     * Improves the run-level optimum {@code starts} by the exact DP over single values with each
     * boundary within two runs of its current run, re-centred until no boundary ends on the edge of
     * its band (the runs adapt the band to the data: a band spans the same weight or value range
     * wherever it lies).
     */
    static int[] refineInRuns(SegmentCost cost, int m, int[] starts, int[] runStart) {
        int k = starts.length;
        int runs = runStart.length - 1;
        int[] lo = new int[k];
        int[] hi = new int[k];
        for (int round = 0; round < 64; round++) {
            for (int c = 1; c < k; c++) {
                int r = Arrays.binarySearch(runStart, starts[c]);
                if (r < 0) r = -r - 2;
                lo[c] = runStart[Math.max(0, r - RUN_BAND)];
                hi[c] = runStart[Math.min(runs, r + RUN_BAND + 1)] - 1;
            }
            int[] next = bandedStarts(cost, m, lo, hi);
            boolean onEdge = false;
            for (int c = 1; c < k; c++) {
                if ((next[c] == lo[c] && lo[c] > c) || (next[c] == hi[c] && hi[c] < m - (k - c))) onEdge = true;
            }
            starts = next;
            if (!onEdge) break;
        }
        return starts;
    }

    /**
     * Improves {@code starts} by the exact DP restricted to boundaries within {@code band}
     * positions of the current ones, re-centred until no boundary ends on the edge of its band.
     */
    static int[] refineInBands(SegmentCost cost, int m, int[] starts, int band) {
        int k = starts.length;
        int[] lo = new int[k];
        int[] hi = new int[k];
        for (int round = 0; round < 32; round++) {
            for (int c = 1; c < k; c++) {
                lo[c] = Math.max(c, starts[c] - band);
                hi[c] = Math.min(m - (k - c), starts[c] + band);
            }
            int[] next = bandedStarts(cost, m, lo, hi);
            boolean onEdge = false;
            for (int c = 1; c < k; c++) {
                if ((next[c] == lo[c] && lo[c] > c) || (next[c] == hi[c] && hi[c] < m - (k - c))) onEdge = true;
            }
            starts = next;
            if (!onEdge) break;
        }
        return starts;
    }

    /**
     * The exact optimum over clusterings whose cluster c (c ≥ 1) starts within {@code [lo[c], hi[c]]}
     * (cluster 0 starts at 0). Restricting the previous boundary to an interval keeps the optimal
     * previous boundary monotone in the next one, so each layer is filled by divide and conquer.
     * Ties go to the smallest start.
     */
    static int[] bandedStarts(SegmentCost cost, int m, int[] lo, int[] hi) {
        int k = lo.length;
        int[] from = new int[k];
        int[] to = new int[k];
        for (int c = 1; c < k; c++) {
            from[c] = Math.max(Math.max(lo[c], c), from[c - 1] + 1);
            to[c] = Math.min(hi[c], m - (k - c));
        }
        for (int c = k - 2; c >= 1; c--) to[c] = Math.min(to[c], to[c + 1] - 1);
        for (int c = 1; c < k; c++) {
            if (from[c] > to[c]) throw new IllegalStateException("k-means: empty refinement band for cluster " + c);
        }
        double[][] best = new double[k][];
        int[][] arg = new int[k][];
        best[0] = new double[] {0};
        for (int c = 1; c < k; c++) {
            best[c] = new double[to[c] - from[c] + 1];
            arg[c] = new int[best[c].length];
            int qFrom = c == 1 ? 0 : from[c - 1];
            int qTo = c == 1 ? 0 : to[c - 1];
            bandLayer(cost, best[c - 1], qFrom, best[c], arg[c], from[c], from[c], to[c], qFrom, qTo);
        }
        int last = k - 1;
        int qFrom = last == 0 ? 0 : from[last];
        int qTo = last == 0 ? 0 : to[last];
        double v = Double.POSITIVE_INFINITY;
        int bestQ = qFrom;
        for (int q = qFrom; q <= qTo; q++) {
            double t = best[last][q - qFrom] + cost.of(q, m - 1);
            if (t < v) {
                v = t;
                bestQ = q;
            }
        }
        int[] starts = new int[k];
        starts[last] = bestQ;
        for (int c = last; c >= 2; c--) starts[c - 1] = arg[c][starts[c] - from[c]];
        return starts;
    }

    private static void bandLayer(SegmentCost cost, double[] prev, int prevFrom, double[] cur, int[] arg, int curFrom,
                                  int pLo, int pHi, int qLo, int qHi) {
        while (pLo <= pHi) {
            int p = (pLo + pHi) >>> 1;
            int qEnd = Math.min(qHi, p - 1);
            double v = Double.POSITIVE_INFINITY;
            int bestQ = qLo;
            for (int q = qLo; q <= qEnd; q++) {
                double t = prev[q - prevFrom] + cost.of(q, p - 1);
                if (t < v) {
                    v = t;
                    bestQ = q;
                }
            }
            cur[p - curFrom] = v;
            arg[p - curFrom] = bestQ;
            if (p - pLo < pHi - p) {
                bandLayer(cost, prev, prevFrom, cur, arg, curFrom, pLo, p - 1, qLo, bestQ);
                pLo = p + 1;
                qLo = bestQ;
            } else {
                bandLayer(cost, prev, prevFrom, cur, arg, curFrom, p + 1, pHi, bestQ, qHi);
                pHi = p - 1;
                qHi = bestQ;
            }
        }
    }

    /** Weighted SSE of sorted points split at {@code starts}, each point at its own position. */
    private static double atomSse(double[] x, double[] w, int[] starts) {
        double sse = 0;
        for (int c = 0; c < starts.length; c++) {
            int to = c + 1 < starts.length ? starts[c + 1] : x.length;
            double sw = 0;
            double swx = 0;
            for (int i = starts[c]; i < to; i++) {
                sw += w[i];
                swx += w[i] * x[i];
            }
            double mean = swx / sw;
            for (int i = starts[c]; i < to; i++) {
                double d = x[i] - mean;
                sse += w[i] * d * d;
            }
        }
        return sse;
    }

    /**
     * Lloyd iterations on sorted data: boundaries move to centre midpoints. A boundary moves little
     * from one iteration to the next, so its new place is searched outward from the old one
     * ({@link #upperBoundFrom}: the index a binary search over all values gives, in a few steps).
     */
    static int[] lloyd(double[] x, double[] w, int[] starts) {
        int k = starts.length;
        int m = x.length;
        double[] pw = new double[m + 1];
        double[] p1 = new double[m + 1];
        for (int i = 0; i < m; i++) {
            pw[i + 1] = pw[i] + w[i];
            p1[i + 1] = p1[i] + w[i] * x[i];
        }
        int[] cur = starts.clone();
        int[] next = new int[k];
        double[] centre = new double[k];
        for (int it = 0; it < LLOYD_MAX_ITERATIONS; it++) {
            for (int c = 0; c < k; c++) {
                int end = c + 1 < k ? cur[c + 1] : m;
                centre[c] = (p1[end] - p1[cur[c]]) / (pw[end] - pw[cur[c]]);
            }
            next[0] = 0;
            for (int c = 1; c < k; c++) {
                double mid = 0.5 * (centre[c - 1] + centre[c]);
                // values equal to the midpoint stay in the lower cluster
                int pos = upperBoundFrom(x, mid, Math.min(Math.max(cur[c], 0), m));
                // keep every cluster non-empty and ordered
                pos = Math.max(pos, next[c - 1] + 1);
                pos = Math.min(pos, m - (k - c));
                next[c] = pos;
            }
            if (Arrays.equals(next, cur)) break;
            int[] t = cur;
            cur = next;
            next = t;
        }
        return cur;
    }

    /**
     * The number of sorted values {@code x} that are at most {@code v} (the first index whose value
     * is above it), found by galloping from {@code guess} (0 ≤ guess ≤ m) towards it and then
     * bisecting the last step: O(log distance) instead of O(log m).
     */
    static int upperBoundFrom(double[] x, double v, int guess) {
        int m = x.length;
        int lo;
        int hi;
        int step = 1;
        if (guess < m && x[guess] <= v) {
            // the answer is above guess
            lo = guess + 1;
            hi = lo;
            while (hi < m && x[hi] <= v) {
                lo = hi + 1;
                hi = lo + step;
                step <<= 1;
            }
            hi = Math.min(hi, m);
        } else {
            // the answer is at most guess
            hi = guess;
            lo = hi;
            while (lo > 0 && x[lo - 1] > v) {
                hi = lo - 1;
                lo = hi - step;
                step <<= 1;
            }
            lo = Math.max(lo, 0);
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x[mid] <= v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** Centres, bounds and SSE from cluster starts, computed directly (two-pass) for accuracy. */
    static Clustering finish(WeightedValues data, int k, int[] first, boolean exact) {
        double[] x = data.values();
        double[] w = data.weights();
        int n = first.length;
        double[] centres = new double[k];
        double[] upper = new double[n];
        double sse = 0;
        for (int c = 0; c < n; c++) {
            int from = first[c];
            int to = c + 1 < n ? first[c + 1] : x.length;
            double sw = 0;
            double swx = 0;
            for (int i = from; i < to; i++) {
                sw += w[i];
                swx += w[i] * x[i];
            }
            double mean = swx / sw;
            if (to - from == 1) mean = x[from];
            for (int i = from; i < to; i++) {
                double d = x[i] - mean;
                sse += w[i] * d * d;
            }
            centres[c] = mean;
            upper[c] = x[to - 1];
        }
        for (int c = n; c < k; c++) centres[c] = centres[n - 1];
        return new Clustering(centres, n, upper, sse, exact);
    }
}
