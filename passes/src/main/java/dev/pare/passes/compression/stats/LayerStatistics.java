package dev.pare.passes.compression.stats;

import java.util.Optional;

/**
 * What calibration data says about one layer that reads a weight (all its consumers together, when
 * a weight is shared by layers of the same shape): per group of the {@link WeightLayout}, the
 * second moment H = E[x xᵀ] of the layer's input vector x (an im2col patch for a convolution, a
 * row of A for a dense layer; zeros where the patch reaches into padding) and its mean E[x], and the
 * mean of the layer's output per output channel. Expectations are over all input vectors of all
 * calibration samples (for a convolution, every output position of every sample), accumulated in
 * float64 one sample at a time.
 *
 * <p>An instance does not change; the getters return new arrays the caller may modify (e.g. damp
 * or factorize H in place).
 */
public final class LayerStatistics {

    private final WeightLayout layout;
    private final Calibration calibration;
    private final int samples;
    private final long vectors;
    private final double[][] secondMoment; // per group, cols x cols row-major; null when not collected
    private final double[][] inputMean;    // per group, cols
    private final double[] outputMean;     // per output channel; null when not collected

    /**
     * @param layout       how the weight maps to W[rows, cols] per group
     * @param calibration  which model the statistics were taken from
     * @param samples      calibration samples used
     * @param vectors      input vectors averaged over per group (samples × positions)
     * @param secondMoment per group E[x xᵀ] (cols × cols row-major), or null when not collected
     * @param inputMean    per group E[x] (cols)
     * @param outputMean   per output channel E[y], or null when not collected
     */
    public LayerStatistics(WeightLayout layout, Calibration calibration, int samples, long vectors, double[][] secondMoment,
                           double[][] inputMean, double[] outputMean) {
        this.layout = layout;
        this.calibration = calibration;
        this.samples = samples;
        this.vectors = vectors;
        int d = layout.cols();
        if (inputMean.length != layout.groups()) throw new IllegalArgumentException("one input mean per group expected");
        for (double[] m : inputMean) if (m.length != d) throw new IllegalArgumentException("input mean must have " + d + " values");
        if (secondMoment != null) {
            if (secondMoment.length != layout.groups()) throw new IllegalArgumentException("one second moment per group expected");
            for (double[] h : secondMoment) if (h.length != (long) d * d) throw new IllegalArgumentException("H must be " + d + " x " + d);
        }
        if (outputMean != null && outputMean.length != layout.outputChannels()) {
            throw new IllegalArgumentException("output mean must have " + layout.outputChannels() + " values");
        }
        this.secondMoment = secondMoment;
        this.inputMean = inputMean;
        this.outputMean = outputMean;
    }

    public WeightLayout layout() { return layout; }

    public Calibration calibration() { return calibration; }

    /** Calibration samples the statistics were taken over. */
    public int samples() { return samples; }

    /** Input vectors per group averaged over (samples × output positions). */
    public long vectors() { return vectors; }

    /** The input vector length d of each group (H is d × d). */
    public int dimension() { return layout.cols(); }

    public boolean hasSecondMoment() { return secondMoment != null; }

    /** H = E[x xᵀ] of group {@code group} as a new row-major d × d array. */
    public double[] secondMoment(int group) {
        if (secondMoment == null) throw new IllegalStateException("the second moment was not collected for this layer");
        return secondMoment[group].clone();
    }

    /** E[x] of group {@code group} (d values, H's column order). */
    public double[] inputMean(int group) {
        return inputMean[group].clone();
    }

    /** E[y] per output channel of the layer as measured (bias included), if collected. */
    public Optional<double[]> outputMean() {
        return Optional.ofNullable(outputMean).map(double[]::clone);
    }

    /** Heap bytes the statistics take: 8 per H entry and mean. */
    public long bytes() {
        long d = dimension();
        return 8L * layout.groups() * ((secondMoment == null ? 0 : d * d) + d) + (outputMean == null ? 0 : 8L * outputMean.length);
    }
}
