package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * The inverse-Hessian factor the optimal-brain-surgeon column loops ({@link ObsSweep}) run on: from
 * a layer's input statistics {@code H = E[x xᵀ]} (d×d, row-major, float64) it
 * <ol>
 *   <li>marks dead inputs ({@code H_jj = 0}: the input was always 0 in calibration) and gives them a
 *       unit diagonal with no coupling, so their weights neither need nor spread compensation;</li>
 *   <li>with act-order, orders the columns by descending {@code H_jj} (ties by index), so the
 *       inputs that carry most energy are fixed first while the most freedom is left;</li>
 *   <li>adds {@code damp · mean(diag H)} to the diagonal, which keeps the factorization stable when
 *       there are fewer calibration vectors than inputs;</li>
 *   <li>stores the upper Cholesky factor {@code U} of {@code (H + λI)⁻¹ = Uᵀ U} in processing
 *       order. Row {@code i} of {@code U} divided by {@code U_ii} is the update that spreads the error of
 *       column {@code i} over the columns after it, and {@code U_ii²} is that column's
 *       {@code [H⁻¹]_ii} once the earlier columns are fixed (GPTQ, arXiv 2210.17323, section 3).</li>
 * </ol>
 *
 * @param d        number of inputs (matrix columns)
 * @param order    column of each processing position
 * @param position processing position of each column
 * @param upper    {@code U}, d×d row-major, indexed by processing positions
 * @param dead     columns whose {@code H_jj} was 0
 */
public record ObsFactor(int d, int[] order, int[] position, double[] upper, boolean[] dead) {

    public static final double DEFAULT_DAMP = 0.01;

    /**
     * Factors {@code h}. Throws {@link IllegalArgumentException} when {@code h} is not square of
     * side {@code d}, has a non-finite or negative diagonal entry, or is not positive definite after
     * damping (the message suggests a larger {@code damp}).
     */
    public static ObsFactor of(double[] h, int d, double damp, boolean actOrder) {
        if (d <= 0 || h.length != (long) d * d) {
            throw new IllegalArgumentException("obs: H has " + h.length + " entries, not " + d + "x" + d);
        }
        if (!(damp >= 0) || !Double.isFinite(damp)) throw new IllegalArgumentException("obs: damp must be >= 0, got " + damp);
        double[] a = h.clone();
        boolean[] dead = new boolean[d];
        for (int j = 0; j < d; j++) {
            double diag = a[j * d + j];
            if (!Double.isFinite(diag) || diag < 0) {
                throw new IllegalArgumentException("obs: H[" + j + "," + j + "] is " + diag + ", not a second moment");
            }
            if (diag == 0) {
                dead[j] = true;
                for (int k = 0; k < d; k++) {
                    a[j * d + k] = 0;
                    a[k * d + j] = 0;
                }
                a[j * d + j] = 1;
            }
        }
        int[] order = new int[d];
        for (int j = 0; j < d; j++) order[j] = j;
        if (actOrder) {
            Integer[] boxed = new Integer[d];
            for (int j = 0; j < d; j++) boxed[j] = j;
            final double[] hh = a;
            Arrays.sort(boxed, (x, y) -> {
                int c = Double.compare(hh[y * d + y], hh[x * d + x]);
                return c != 0 ? c : Integer.compare(x, y);
            });
            for (int j = 0; j < d; j++) order[j] = boxed[j];
        }
        int[] position = new int[d];
        for (int i = 0; i < d; i++) position[order[i]] = i;
        double[] p = new double[d * d];
        double mean = 0;
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < d; k++) p[i * d + k] = a[order[i] * d + order[k]];
            mean += p[i * d + i];
        }
        mean /= d;
        for (int i = 0; i < d; i++) p[i * d + i] += damp * mean;

        double[] l = cholesky(p, d, damp);
        double[] linv = invertLower(l, d);
        double[] hinv = lowerTransposeTimesLower(linv, d);
        double[] lh = cholesky(hinv, d, damp);
        double[] u = new double[d * d];
        for (int i = 0; i < d; i++) for (int k = i; k < d; k++) u[i * d + k] = lh[k * d + i];
        return new ObsFactor(d, order, position, u, dead);
    }

    /** {@code U_ii}, the factor's diagonal at processing position {@code i}. */
    public double diagonal(int i) {
        return upper[i * d + i];
    }

    /** Lower Cholesky factor of a symmetric positive-definite row-major matrix (a new array). */
    static double[] cholesky(double[] a, int d, double damp) {
        double[] l = new double[d * d];
        for (int j = 0; j < d; j++) {
            int rj = j * d;
            double s = a[rj + j];
            for (int k = 0; k < j; k++) s -= l[rj + k] * l[rj + k];
            if (!(s > 0)) {
                throw new IllegalArgumentException("obs: H is not positive definite at input " + j + " (damp " + damp
                        + "); raise damp");
            }
            double diag = Math.sqrt(s);
            l[rj + j] = diag;
            for (int i = j + 1; i < d; i++) {
                int ri = i * d;
                double t = a[ri + j];
                for (int k = 0; k < j; k++) t -= l[ri + k] * l[rj + k];
                l[ri + j] = t / diag;
            }
        }
        return l;
    }

    /** Inverse of a lower-triangular matrix, row by row (rows of the result are read contiguously). */
    static double[] invertLower(double[] l, int d) {
        double[] x = new double[d * d];
        double[] acc = new double[d];
        for (int i = 0; i < d; i++) {
            int ri = i * d;
            Arrays.fill(acc, 0, i, 0);
            for (int k = 0; k < i; k++) {
                double lik = l[ri + k];
                if (lik == 0) continue;
                int rk = k * d;
                for (int j = 0; j <= k; j++) acc[j] += lik * x[rk + j];
            }
            double inv = 1 / l[ri + i];
            for (int j = 0; j < i; j++) x[ri + j] = -acc[j] * inv;
            x[ri + i] = inv;
        }
        return x;
    }

    /** {@code Xᵀ X} for lower-triangular {@code X} (symmetric result). */
    static double[] lowerTransposeTimesLower(double[] x, int d) {
        double[] out = new double[d * d];
        for (int k = 0; k < d; k++) {
            int rk = k * d;
            for (int a = 0; a <= k; a++) {
                double xa = x[rk + a];
                if (xa == 0) continue;
                int ra = a * d;
                for (int b = a; b <= k; b++) out[ra + b] += xa * x[rk + b];
            }
        }
        for (int a = 0; a < d; a++) for (int b = 0; b < a; b++) out[a * d + b] = out[b * d + a];
        return out;
    }
}
