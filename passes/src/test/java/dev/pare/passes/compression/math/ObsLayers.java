package dev.pare.passes.compression.math;

import java.util.SplittableRandom;

/** Small synthetic layers for the OBS algorithm tests: correlated inputs, their H, and a dense OBQ reference. */
final class ObsLayers {

    private ObsLayers() {}

    /** A layer: weight {@code [rows, cols]}, inputs {@code X [samples, cols]}, and {@code H = XᵀX / samples}. */
    record Layer(int rows, int cols, float[] w, double[] x, int samples, double[] h) {
        WeightTensor weight() {
            return WeightTensor.of(w, new long[] {rows, cols}, Precision.FLOAT32);
        }
    }

    /**
     * Inputs mixed from fewer latent factors than columns plus noise, with uneven scales, as a
     * layer after another layer sees them; {@code deadColumn} (or −1) is always 0.
     */
    static Layer layer(long seed, int rows, int cols, int samples, int deadColumn) {
        SplittableRandom random = new SplittableRandom(seed);
        int latent = Math.max(2, cols / 3);
        double[] mix = new double[latent * cols];
        for (int i = 0; i < mix.length; i++) mix[i] = gaussian(random);
        double[] scale = new double[cols];
        for (int c = 0; c < cols; c++) scale[c] = 0.2 + 2 * random.nextDouble();
        double[] x = new double[samples * cols];
        for (int s = 0; s < samples; s++) {
            double[] z = new double[latent];
            for (int l = 0; l < latent; l++) z[l] = gaussian(random);
            for (int c = 0; c < cols; c++) {
                double v = 0.3 * gaussian(random);
                for (int l = 0; l < latent; l++) v += z[l] * mix[l * cols + c];
                x[s * cols + c] = c == deadColumn ? 0 : scale[c] * v;
            }
        }
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.1 * gaussian(random));
        double[] h = new double[cols * cols];
        for (int s = 0; s < samples; s++) {
            for (int a = 0; a < cols; a++) {
                double xa = x[s * cols + a];
                for (int b = 0; b < cols; b++) h[a * cols + b] += xa * x[s * cols + b];
            }
        }
        for (int i = 0; i < h.length; i++) h[i] /= samples;
        return new Layer(rows, cols, w, x, samples, h);
    }

    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** {@code Σ_s ||W x_s − Ŵ x_s||²} over the layer's inputs. */
    static double outputError(Layer layer, float[] approx) {
        double total = 0;
        int cols = layer.cols();
        for (int s = 0; s < layer.samples(); s++) {
            for (int r = 0; r < layer.rows(); r++) {
                double d = 0;
                for (int c = 0; c < cols; c++) d += ((double) layer.w()[r * cols + c] - approx[r * cols + c]) * layer.x()[s * cols + c];
                total += d * d;
            }
        }
        return total;
    }

    /** Chooses the new values of one column from its current values (the rule of the reference loop). */
    interface ColumnChoice {
        void choose(int column, double[] current, double[] chosen);
    }

    /**
     * The unblocked OBS loop written directly (OBQ form): the full damped inverse Hessian, column
     * by column in {@code order}, each error spread by {@code (w − ŵ) H⁻¹[i, k] / H⁻¹[i, i]}, then
     * column {@code i} eliminated from {@code H⁻¹}. No Cholesky factor, no lazy batches.
     */
    static double[] reference(Layer layer, double damp, boolean actOrder, ColumnChoice choice) {
        int d = layer.cols();
        int rows = layer.rows();
        double[] h = layer.h().clone();
        boolean[] dead = new boolean[d];
        for (int j = 0; j < d; j++) {
            if (h[j * d + j] == 0) {
                dead[j] = true;
                h[j * d + j] = 1;
            }
        }
        Integer[] order = new Integer[d];
        for (int j = 0; j < d; j++) order[j] = j;
        if (actOrder) {
            final double[] hh = h;
            java.util.Arrays.sort(order, (a, b) -> hh[b * d + b] != hh[a * d + a] ? Double.compare(hh[b * d + b], hh[a * d + a]) : Integer.compare(a, b));
        }
        double mean = 0;
        for (int j = 0; j < d; j++) mean += h[j * d + j];
        mean /= d;
        for (int j = 0; j < d; j++) h[j * d + j] += damp * mean;
        double[] hinv = invert(h, d);
        double[][] w = new double[rows][d];
        for (int r = 0; r < rows; r++) for (int c = 0; c < d; c++) w[r][c] = dead[c] ? 0 : layer.w()[r * d + c];
        double[] out = new double[rows * d];
        boolean[] fixed = new boolean[d];
        double[] current = new double[rows];
        double[] chosen = new double[rows];
        for (int step = 0; step < d; step++) {
            int i = order[step];
            for (int r = 0; r < rows; r++) current[r] = w[r][i];
            java.util.Arrays.fill(chosen, 0);
            choice.choose(i, current, chosen);
            double hii = hinv[i * d + i];
            for (int r = 0; r < rows; r++) {
                out[r * d + i] = chosen[r];
                double e = (current[r] - chosen[r]) / hii;
                for (int k = 0; k < d; k++) if (!fixed[k] && k != i) w[r][k] -= e * hinv[i * d + k];
            }
            fixed[i] = true;
            double[] next = hinv.clone();
            for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) next[a * d + b] -= hinv[a * d + i] * hinv[i * d + b] / hii;
            hinv = next;
        }
        return out;
    }

    /** Gauss-Jordan inverse with partial pivoting. */
    static double[] invert(double[] a, int d) {
        double[] m = a.clone();
        double[] inv = new double[d * d];
        for (int i = 0; i < d; i++) inv[i * d + i] = 1;
        for (int c = 0; c < d; c++) {
            int pivot = c;
            for (int r = c + 1; r < d; r++) if (Math.abs(m[r * d + c]) > Math.abs(m[pivot * d + c])) pivot = r;
            for (int k = 0; k < d; k++) {
                double t = m[c * d + k]; m[c * d + k] = m[pivot * d + k]; m[pivot * d + k] = t;
                t = inv[c * d + k]; inv[c * d + k] = inv[pivot * d + k]; inv[pivot * d + k] = t;
            }
            double p = m[c * d + c];
            for (int k = 0; k < d; k++) {
                m[c * d + k] /= p;
                inv[c * d + k] /= p;
            }
            for (int r = 0; r < d; r++) {
                if (r == c) continue;
                double f = m[r * d + c];
                if (f == 0) continue;
                for (int k = 0; k < d; k++) {
                    m[r * d + k] -= f * m[c * d + k];
                    inv[r * d + k] -= f * inv[c * d + k];
                }
            }
        }
        return inv;
    }

    static float[] toFloats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }
}
