package dev.pare.passes.compression.math;

/**
 * How far a compressed weight moves a layer's output on the calibration inputs, from the layer's
 * input second moment alone: for each group {@code g}, {@code E‖(W − Ŵ) x‖² = Σ_r Δw_r H_g Δw_rᵀ}
 * with {@code H_g = E[x xᵀ]}, summed over the groups and divided by {@code E‖W x‖²}, the energy of
 * the float output. This is the loss the OBS algorithms minimise ({@link SparseGpt},
 * {@link GptqQuantizer}), so it tells whether their update paid off against round-to-nearest or
 * magnitude pruning of the same weight.
 */
public final class OutputError {

    private OutputError() {}

    /**
     * @param matrices       the weight's matrix per group, columns in {@code h}'s order
     * @param secondMoments  {@code H} of each group, {@code cols × cols} row-major
     * @param original       the float weight, tensor order
     * @param approx         the compressed weight as it decodes, tensor order
     * @return {@code E‖(W − Ŵ) x‖² / E‖W x‖²}, 0 when the float output is 0
     */
    public static double relative(WeightMatrix[] matrices, double[][] secondMoments, float[] original, float[] approx) {
        if (matrices.length != secondMoments.length) {
            throw new IllegalArgumentException("output error: " + matrices.length + " matrices for " + secondMoments.length + " H");
        }
        if (original.length != approx.length) {
            throw new IllegalArgumentException("output error: " + original.length + " weights against " + approx.length);
        }
        double error = 0;
        double energy = 0;
        for (int g = 0; g < matrices.length; g++) {
            WeightMatrix m = matrices[g];
            int d = m.cols();
            double[] h = secondMoments[g];
            if (h.length != (long) d * d) throw new IllegalArgumentException("output error: H of group " + g + " is not " + d + "x" + d);
            double[] w = new double[d];
            double[] delta = new double[d];
            for (int r = 0; r < m.rows(); r++) {
                for (int c = 0; c < d; c++) {
                    int e = m.tensorIndex(r * d + c);
                    w[c] = original[e];
                    delta[c] = (double) original[e] - approx[e];
                }
                error += quadratic(h, delta, d);
                energy += quadratic(h, w, d);
            }
        }
        return energy > 0 ? error / energy : 0;
    }

    /** {@code vᵀ H v}. */
    private static double quadratic(double[] h, double[] v, int d) {
        double sum = 0;
        for (int a = 0; a < d; a++) {
            if (v[a] == 0) continue;
            double row = 0;
            for (int b = 0; b < d; b++) row += h[a * d + b] * v[b];
            sum += v[a] * row;
        }
        return sum;
    }
}
