package dev.pare.passes.compression.stats;

/**
 * Running float64 sums of a layer's input vectors, per group: Σ x and (when asked) Σ x xᵀ (upper
 * triangle while accumulating). Shared by layers that read the same input the same way; one thread
 * adds to one group at a time, in sample order, so the sums do not depend on the thread count.
 */
final class Moments {

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

    /** Adds {@code n} vectors (row-major in {@code rows}) to group {@code group}. */
    void add(int group, double[] rows, int n) {
        double[] s = sum[group];
        double[] h = outer == null ? null : outer[group];
        for (int r = 0; r < n; r++) {
            int base = r * d;
            for (int a = 0; a < d; a++) {
                double xa = rows[base + a];
                if (xa == 0) continue; // post-ReLU inputs and padding are mostly zeros
                s[a] += xa;
                if (h == null) continue;
                int row = a * d;
                for (int b = a; b < d; b++) h[row + b] += xa * rows[base + b];
            }
        }
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
