package dev.pare.passes.compression.stats;

/**
 * Running float64 sums of a layer's input vectors, per group: Σ x and (when asked) Σ x xᵀ (upper
 * triangle while accumulating). Shared by layers that read the same input the same way.
 *
 * <p>Every entry is a sum over the input vectors in the order they arrive (sample order, then
 * output position), one product at a time, whatever the blocking: {@link #add} takes a chunk of
 * vectors as a blocked symmetric rank-k update (tiles of the upper triangle that stay in cache
 * while the chunk's vectors stream past), which is what makes it fast, and gives the same bits as
 * adding the vectors one by one. Disjoint row ranges of the triangle ({@link #rowSplits})
 * can be added by different threads; no entry is ever summed by two, so the sums do not depend on
 * the thread count.
 */
final class Moments {

    /** Tile of the triangle summed over a whole chunk at once: 16 × 128 doubles = 16 KiB, in L1 with the rows being added. */
    private static final int TILE_ROWS = 16;
    private static final int TILE_COLS = 128;

    final int groups;
    final int d;
    final double[][] outer; // per group, d x d; only a <= b filled until finished
    final double[][] sum;
    long vectors; // per group (every group sees the same positions)

    Moments(int groups, int d, boolean secondMoment) {
        this.groups = groups;
        this.d = d;
        this.outer = secondMoment ? new double[groups][d * d] : null;
        this.sum = new double[groups][d];
    }

    /** Adds {@code n} vectors (row-major in {@code rows}) to group {@code group}: Σ x and all rows of the triangle. */
    void add(int group, double[] rows, int n) {
        add(group, rows, n, 0, d, true);
    }

    /**
     * Adds {@code n} vectors (row-major in {@code rows}) to group {@code group}: rows
     * {@code [aFrom, aTo)} of the upper triangle of Σ x xᵀ, and Σ x when {@code withSum}.
     *
     * <p>The triangle is taken in tiles of {@link #TILE_ROWS} × {@link #TILE_COLS} entries small
     * enough to stay in the core's cache while every vector of the chunk is added to them, each
     * tile row as one contiguous multiply-add the JIT turns into SIMD code; a zero input (ReLU
     * outputs, padding) adds nothing and is skipped.
     */
    void add(int group, double[] rows, int n, int aFrom, int aTo, boolean withSum) {
        if (withSum) {
            double[] s = sum[group];
            for (int r = 0; r < n; r++) {
                int base = r * d;
                for (int a = 0; a < d; a++) s[a] += rows[base + a];
            }
        }
        if (outer == null) return;
        double[] h = outer[group];
        for (int a0 = aFrom; a0 < aTo; a0 += TILE_ROWS) {
            int a1 = Math.min(aTo, a0 + TILE_ROWS);
            for (int b0 = a0; b0 < d; b0 += TILE_COLS) { // tiles right of the diagonal block only
                int b1 = Math.min(d, b0 + TILE_COLS);
                for (int r = 0; r < n; r++) { // vectors in order: each entry still sums them in order
                    int base = r * d;
                    for (int a = a0; a < a1; a++) {
                        double xa = rows[base + a];
                        if (xa == 0) continue; // adds +-0 to a sum that is never -0: no change
                        int row = a * d;
                        for (int b = Math.max(a, b0); b < b1; b++) h[row + b] += xa * rows[base + b];
                    }
                }
            }
        }
    }

    /**
     * Splits rows {@code [0, d)} of the triangle into at most {@code parts} ranges of about equal
     * work (row a holds d − a entries), at multiples of 4; the bounds, from 0 to d.
     */
    static int[] rowSplits(int d, int parts) {
        long total = (long) d * (d + 1) / 2;
        int[] bounds = new int[parts + 1];
        int k = 1;
        long done = 0;
        for (int a = 0; a < d && k < parts; a += 4) {
            for (int i = a; i < Math.min(d, a + 4); i++) done += d - i;
            if (done * parts >= total * k) bounds[k++] = Math.min(d, a + 4);
        }
        if (bounds[k - 1] == d) return java.util.Arrays.copyOf(bounds, k);
        bounds[k] = d;
        return java.util.Arrays.copyOf(bounds, k + 1);
    }

    /** E[x xᵀ] of a group from sums over {@code count} vectors, mirrored to a full matrix. */
    static double[] mean(double[] upper, int d, long count) {
        double[] m = new double[d * d];
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                double v = upper[a * d + b] / count;
                m[a * d + b] = v;
                m[b * d + a] = v;
            }
        }
        return m;
    }

    long bytes() {
        return 8L * groups * ((outer == null ? 0 : (long) d * d) + d);
    }
}
