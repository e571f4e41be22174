package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * Sparsity masks, following Core ML Tools {@code prune_weights} (ir/PARE_DIALECT.md, Compression math):
 * <ul>
 *   <li>threshold: {@code |w| <= threshold} becomes 0; the fraction of zeros (including values that
 *       were already 0) must reach {@code minimum_sparsity_percentile}, else the weight is not
 *       applicable.</li>
 *   <li>magnitude: zero every value whose magnitude is {@code <= percentile(magnitudes,
 *       100·target)}, with numpy's default linear-interpolation percentile; target 1 zeroes
 *       everything and 0 nothing. All values tied with the percentile are pruned together, so the
 *       sparsity can exceed the target.</li>
 *   <li>block magnitude: along {@code dim}, channels are cut into blocks of {@code blockSize}
 *       (the last one partial, i.e. zero-padded); each element's magnitude is the L2 norm of its
 *       block (computed in double, rounded to the weight precision) and the percentile rule
 *       applies to that per-element map. Requires rank 2–5 and {@code blockSize <= channels/2}.</li>
 *   <li>n:m: along {@code dim}, every m consecutive values (the last group zero-padded) lose their
 *       n smallest magnitudes; ties go to the lower index and padding counts as magnitude 0
 *       placed after the real values. Requires rank 2–5 and {@code m <= channels/2}.</li>
 * </ul>
 */
public final class Pruner {

    private Pruner() {}

    public static PruningResult threshold(WeightTensor weight, ThresholdPrunerOptions options) {
        float[] w = weight.values();
        float[] pruned = new float[w.length];
        int zeros = 0;
        for (int e = 0; e < w.length; e++) {
            pruned[e] = Math.abs(w[e]) <= options.threshold() ? 0f : w[e];
            if (pruned[e] == 0f) zeros++;
        }
        double sparsity = w.length == 0 ? 0 : (double) zeros / w.length;
        if (sparsity < options.minimumSparsityPercentile()) {
            throw new CompressionNotApplicableException("prune: sparsity " + sparsity + " is below minimum_sparsity_percentile "
                    + options.minimumSparsityPercentile());
        }
        return result(weight, pruned);
    }

    /**
     * Throws {@link CompressionNotApplicableException} when {@link #magnitude} cannot apply
     * {@code options} to a weight of this shape (structured modes: rank 2–5 and a block or m of at
     * most half the channels), without looking at the values.
     */
    public static void checkApplicable(WeightTensor weight, MagnitudePrunerOptions options) {
        checkApplicable(weight.shape(), options);
    }

    /** As {@link #checkApplicable(WeightTensor, MagnitudePrunerOptions)}, from the shape alone. */
    public static void checkApplicable(long[] shape, MagnitudePrunerOptions options) {
        if (options.nmRatio() != null) checkStructured(shape, "n:m sparsity", options.nmRatio()[1], options.dim());
        else if (options.blockSize() != null) checkStructured(shape, "block sparsity", options.blockSize(), options.dim());
    }

    public static PruningResult magnitude(WeightTensor weight, MagnitudePrunerOptions options) {
        if (options.nmRatio() != null) return nOfM(weight, options.nmRatio()[0], options.nmRatio()[1], options.dim());
        float[] w = weight.values();
        float[] magnitude = new float[w.length];
        if (options.blockSize() != null) {
            blockNorms(weight, options.blockSize(), options.dim(), magnitude);
        } else {
            for (int e = 0; e < w.length; e++) magnitude[e] = Math.abs(w[e]);
        }
        double q = options.targetSparsity() * 100;
        float[] pruned = w.clone();
        if (q == 100) {
            Arrays.fill(pruned, 0f);
        } else if (q != 0 && w.length > 0) {
            double cut = percentile(magnitude, q);
            for (int e = 0; e < w.length; e++) if (magnitude[e] <= cut) pruned[e] = 0f;
        }
        return result(weight, pruned);
    }

    /** numpy {@code percentile(a, q)} with the default linear method. */
    static double percentile(float[] values, double q) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        double virtual = virtualIndex(q, sorted.length);
        int lo = (int) Math.floor(virtual);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return interpolate(sorted[lo], sorted[hi], virtual - lo);
    }

    /** The fractional rank of percentile {@code q} among {@code n} sorted values (numpy's linear method). */
    static double virtualIndex(double q, long n) {
        return (q / 100) * (n - 1);
    }

    /** numpy's linear interpolation between the values {@code a <= b} at ranks lo and lo + 1, {@code t} of the way. */
    static double interpolate(double a, double b, double t) {
        double diff = b - a;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    private static void checkStructured(WeightTensor weight, String what, int size, int dim) {
        checkStructured(weight.shape(), what, size, dim);
    }

    private static void checkStructured(long[] shape, String what, int size, int dim) {
        if (shape.length < 2 || shape.length > 5) {
            throw new CompressionNotApplicableException("prune: " + what + " needs a weight of rank 2 to 5, got rank " + shape.length);
        }
        long channels = shape[dim];
        if (size > channels / 2.0) {
            throw new CompressionNotApplicableException("prune: " + (what.equals("block sparsity") ? "block_size " : "m ") + size
                    + " is more than half of the " + channels + " channels on axis " + dim);
        }
    }

    private static void blockNorms(WeightTensor weight, int blockSize, int dim, float[] out) {
        checkStructured(weight, "block sparsity", blockSize, dim);
        long[] shape = weight.shape();
        int outer = Shapes.outer(shape, dim);
        int channels = (int) shape[dim];
        int inner = Shapes.inner(shape, dim);
        float[] w = weight.values();
        for (int o = 0; o < outer; o++) {
            for (int start = 0; start < channels; start += blockSize) {
                int end = Math.min(channels, start + blockSize);
                for (int i = 0; i < inner; i++) {
                    double s = 0;
                    for (int c = start; c < end; c++) {
                        double v = w[(o * channels + c) * inner + i];
                        s += v * v;
                    }
                    float norm = weight.precision().round(Math.sqrt(s));
                    for (int c = start; c < end; c++) out[(o * channels + c) * inner + i] = norm;
                }
            }
        }
    }

    private static PruningResult nOfM(WeightTensor weight, int n, int m, int dim) {
        checkStructured(weight, "n:m sparsity", m, dim);
        long[] shape = weight.shape();
        int outer = Shapes.outer(shape, dim);
        int channels = (int) shape[dim];
        int inner = Shapes.inner(shape, dim);
        float[] w = weight.values();
        float[] pruned = w.clone();
        Integer[] order = new Integer[m];
        float[] mag = new float[m];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                for (int start = 0; start < channels; start += m) {
                    for (int t = 0; t < m; t++) {
                        int c = start + t;
                        mag[t] = c < channels ? Math.abs(w[(o * channels + c) * inner + i]) : 0f; // zero padding
                        order[t] = t;
                    }
                    Arrays.sort(order, (a, b) -> mag[a] != mag[b] ? Float.compare(mag[a], mag[b]) : Integer.compare(a, b));
                    for (int r = 0; r < n; r++) {
                        int c = start + order[r];
                        if (c < channels) pruned[(o * channels + c) * inner + i] = 0f;
                    }
                }
            }
        }
        return result(weight, pruned);
    }

    static PruningResult result(WeightTensor weight, float[] pruned) {
        boolean[] keep = new boolean[pruned.length];
        int kept = 0;
        for (int e = 0; e < pruned.length; e++) {
            keep[e] = pruned[e] != 0f;
            if (keep[e]) kept++;
        }
        float[] values = new float[kept];
        int t = 0;
        for (int e = 0; e < pruned.length; e++) if (keep[e]) values[t++] = pruned[e];
        return new PruningResult(weight.shape().clone(), weight.precision(), keep, values);
    }
}
