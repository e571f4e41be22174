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
 * <p>The DP keeps a back-pointer table of (k-1)·m entries (16-bit when m ≤ 65,536, which always
 * holds for fp16 data). When that table would exceed {@link #EXACT_TABLE_BYTES}, the problem is
 * solved approximately instead: the sorted values are merged into 65,536 consecutive runs of about
 * equal weight, the DP solves that reduced problem exactly, and Lloyd iterations on the full data
 * refine the result (the better of the two is kept). {@link Clustering#exact()} reports which path ran.
 */
public final class KMeans1D {

    /** Budget for the back-pointer table of the exact DP. */
    public static final long EXACT_TABLE_BYTES = 64L << 20;

    /** Cap on Lloyd refinement iterations in the approximate path. */
    static final int LLOYD_MAX_ITERATIONS = 300;

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
     * @param firstValue  for each non-empty cluster, the index of its first value (ascending)
     * @param sse         weighted within-cluster sum of squared errors
     * @param exact       whether the result is provably optimal (the DP path ran)
     */
    public record Clustering(double[] centres, int clusters, int[] firstValue, double[] upperBounds, double sse, boolean exact) {

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
            new LayerSolver(cost, prev, cur, back, c).solve(iLo, iHi, c, iHi);
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

        SegmentCost(double[] x, double[] w) {
            int m = x.length;
            pw = new double[m + 1];
            p1Hi = new double[m + 1];
            p1Lo = new double[m + 1];
            p2Hi = new double[m + 1];
            p2Lo = new double[m + 1];
            for (int i = 0; i < m; i++) {
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

        LayerSolver(SegmentCost cost, double[] prev, double[] cur, BackPointers back, int layer) {
            this.cost = cost;
            this.prev = prev;
            this.cur = cur;
            this.back = back;
            this.layer = layer;
        }

        void solve(int iLo, int iHi, int jLo, int jHi) {
            while (iLo <= iHi) {
                int mid = (iLo + iHi) >>> 1;
                int from = Math.max(jLo, layer);
                int to = Math.min(jHi, mid);
                double best = Double.POSITIVE_INFINITY;
                int bestJ = from;
                for (int j = from; j <= to; j++) {
                    double v = prev[j - 1] + cost.of(j, mid);
                    if (v < best) {
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
        int m = x.length;
        int buckets = 1 << 16;
        double total = 0;
        for (double v : w) total += v;
        int[] bucketStart = new int[buckets + 1];
        double[] bx = new double[buckets];
        double[] bw = new double[buckets];
        int nb = 0;
        double acc = 0;
        int start = 0;
        for (int i = 0; i < m; i++) {
            acc += w[i];
            boolean close = i == m - 1 || acc >= total * (nb + 1) / buckets || m - 1 - i <= buckets - 1 - nb;
            if (close && nb < buckets) {
                double sw = 0;
                double swx = 0;
                for (int t = start; t <= i; t++) {
                    sw += w[t];
                    swx += w[t] * x[t];
                }
                bucketStart[nb] = start;
                bx[nb] = swx / sw;
                bw[nb] = sw;
                nb++;
                start = i + 1;
            }
        }
        bucketStart[nb] = m;
        int[] coarse = optimalStarts(Arrays.copyOf(bx, nb), Arrays.copyOf(bw, nb), k);
        int[] starts = new int[k];
        for (int c = 0; c < k; c++) starts[c] = bucketStart[coarse[c]];
        Clustering seeded = finish(data, k, starts, false);
        Clustering refined = finish(data, k, lloyd(x, w, starts), false);
        return refined.sse() <= seeded.sse() ? refined : seeded;
    }

    /** Lloyd iterations on sorted data: boundaries move to centre midpoints (binary search). */
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
        double[] centre = new double[k];
        for (int it = 0; it < LLOYD_MAX_ITERATIONS; it++) {
            for (int c = 0; c < k; c++) {
                int end = c + 1 < k ? cur[c + 1] : m;
                centre[c] = (p1[end] - p1[cur[c]]) / (pw[end] - pw[cur[c]]);
            }
            int[] next = new int[k];
            for (int c = 1; c < k; c++) {
                double mid = 0.5 * (centre[c - 1] + centre[c]);
                int pos = upperBound(x, mid); // values equal to the midpoint stay in the lower cluster
                // keep every cluster non-empty and ordered
                pos = Math.max(pos, next[c - 1] + 1);
                pos = Math.min(pos, m - (k - c));
                next[c] = pos;
            }
            if (Arrays.equals(next, cur)) break;
            cur = next;
        }
        return cur;
    }

    private static int upperBound(double[] x, double v) {
        int lo = 0;
        int hi = x.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x[mid] <= v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** Centres, bounds and SSE from cluster starts, computed directly (two-pass) for accuracy. */
    private static Clustering finish(WeightedValues data, int k, int[] first, boolean exact) {
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
        return new Clustering(centres, n, first, upper, sse, exact);
    }
}
