package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * The column loop shared by GPTQ quantization, GPTQ palettization and SparseGPT (arXiv 2210.17323
 * and 2301.00774): columns of a weight matrix {@code W[rows, cols]} (rows = output channels,
 * columns = inputs in {@code H}'s order) are fixed one at a time in the {@link ObsFactor}'s order;
 * a {@link Rule} picks each column's new values from its current ones, and the error
 * {@code (w − ŵ) / U_ii} is spread over the columns not yet fixed, in proportion to row {@code i} of
 * {@code U}. That is the optimal-brain-surgeon update, which keeps {@code W X} as close as possible
 * to the original on the calibration inputs {@code X}.
 *
 * <p>Updates are lazy: inside a batch of {@code lazyBatch} columns they are applied at once, to the
 * rest of the matrix once per batch. The result is the same for any batch size (up to float64
 * rounding); {@link #current} gives a rule the up-to-date value of any column not yet fixed, with
 * the batch's pending updates applied. Dead columns ({@link ObsFactor#dead()}) start at 0, as their
 * weights never met a non-zero input. Everything runs in float64.
 */
final class ObsSweep {

    /** Chooses the new values of one column. */
    interface Rule {
        /**
         * @param position processing position (the column is {@code factor.order()[position]})
         * @param current  the column's current values, one per row
         * @param chosen   receives the column's new values, one per row
         */
        void choose(int position, double[] current, double[] chosen, ObsSweep sweep);
    }

    private final int rows;
    private final int cols;
    private final ObsFactor factor;
    private final double[] work; // column-major by processing position
    private final double[] pendingError;
    private int batchStart;
    private int batchEnd;
    private int at;

    private ObsSweep(float[] matrix, int rows, int cols, ObsFactor factor, int lazyBatch) {
        this.rows = rows;
        this.cols = cols;
        this.factor = factor;
        this.work = new double[rows * cols];
        for (int i = 0; i < cols; i++) {
            int c = factor.order()[i];
            if (factor.dead()[c]) continue;
            for (int r = 0; r < rows; r++) work[i * rows + r] = matrix[r * cols + c];
        }
        this.pendingError = new double[lazyBatch * rows];
    }

    /**
     * Runs {@code rule} over every column of {@code matrix} (row-major {@code rows × cols}) and
     * returns the chosen values, row-major in the original column order.
     */
    static double[] run(float[] matrix, int rows, int cols, ObsFactor factor, int lazyBatch, Rule rule) {
        if (matrix.length != rows * cols) throw new IllegalArgumentException("obs: a " + rows + "x" + cols + " matrix has " + matrix.length + " values");
        if (factor.d() != cols) throw new IllegalArgumentException("obs: H is " + factor.d() + "x" + factor.d() + " but the weight has " + cols + " inputs");
        if (lazyBatch < 1) throw new IllegalArgumentException("obs: block_size must be at least 1, got " + lazyBatch);
        ObsSweep s = new ObsSweep(matrix, rows, cols, factor, Math.min(lazyBatch, cols));
        return s.sweep(rule, Math.min(lazyBatch, cols));
    }

    private double[] sweep(Rule rule, int batch) {
        double[] out = new double[rows * cols];
        double[] current = new double[rows];
        double[] chosen = new double[rows];
        double[] u = factor.upper();
        int d = cols;
        for (batchStart = 0; batchStart < cols; batchStart += batch) {
            batchEnd = Math.min(cols, batchStart + batch);
            for (at = batchStart; at < batchEnd; at++) {
                int i = at;
                System.arraycopy(work, i * rows, current, 0, rows);
                Arrays.fill(chosen, 0);
                rule.choose(i, current, chosen, this);
                double diag = u[i * d + i];
                int eOff = (i - batchStart) * rows;
                int c = factor.order()[i];
                for (int r = 0; r < rows; r++) {
                    pendingError[eOff + r] = (current[r] - chosen[r]) / diag;
                    out[r * cols + c] = chosen[r];
                }
                for (int k = i + 1; k < batchEnd; k++) {
                    double uk = u[i * d + k];
                    if (uk == 0) continue;
                    int kOff = k * rows;
                    for (int r = 0; r < rows; r++) work[kOff + r] -= pendingError[eOff + r] * uk;
                }
            }
            int count = batchEnd - batchStart;
            for (int k = batchEnd; k < cols; k++) {
                int kOff = k * rows;
                for (int t = 0; t < count; t++) {
                    double ut = u[(batchStart + t) * d + k];
                    if (ut == 0) continue;
                    int eOff = t * rows;
                    for (int r = 0; r < rows; r++) work[kOff + r] -= pendingError[eOff + r] * ut;
                }
            }
        }
        return out;
    }

    /**
     * Checks that {@code matrices} (one per group, with its factor) cover each of the {@code n}
     * tensor elements exactly once, and returns the group of each element.
     */
    static int[] coverage(WeightMatrix[] matrices, ObsFactor[] factors, int n) {
        if (matrices.length == 0 || matrices.length != factors.length) {
            throw new IllegalArgumentException("obs: " + matrices.length + " matrices for " + factors.length + " factors");
        }
        int[] matrixOf = new int[n];
        Arrays.fill(matrixOf, -1);
        for (int g = 0; g < matrices.length; g++) {
            if (factors[g].d() != matrices[g].cols()) {
                throw new IllegalArgumentException("obs: H is " + factors[g].d() + "x" + factors[g].d() + " but group " + g + " has "
                        + matrices[g].cols() + " inputs");
            }
            for (int k = 0; k < matrices[g].size(); k++) {
                int e = matrices[g].tensorIndex(k);
                if (e < 0 || e >= n || matrixOf[e] >= 0) throw new IllegalArgumentException("obs: the matrices do not cover the weight once");
                matrixOf[e] = g;
            }
        }
        for (int e = 0; e < n; e++) if (matrixOf[e] < 0) throw new IllegalArgumentException("obs: weight element " + e + " is in no matrix");
        return matrixOf;
    }

    /** The up-to-date value at {@code row} of the column at processing {@code position} (not yet fixed). */
    double current(int row, int position) {
        if (position < at) throw new IllegalStateException("obs: position " + position + " is already fixed");
        double v = work[position * rows + row];
        if (position < batchEnd) return v;
        double[] u = factor.upper();
        int d = cols;
        for (int t = 0; t < at - batchStart; t++) v -= pendingError[t * rows + row] * u[(batchStart + t) * d + position];
        return v;
    }

    /** {@code U_ii}² at {@code position}: the {@code [H⁻¹]_ii} the OBS saliency divides by. */
    double inverseHessianDiagonal(int position) {
        double v = factor.diagonal(position);
        return v * v;
    }

    ObsFactor factor() {
        return factor;
    }
}
