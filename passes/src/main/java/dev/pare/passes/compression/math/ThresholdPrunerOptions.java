package dev.pare.passes.compression.math;

/**
 * Options of {@link Pruner#threshold}, mirroring Core ML Tools' {@code OpThresholdPrunerConfig}
 * (ir/PARE_DIALECT.md, Compression math): values with {@code |w| <= threshold} become 0; if the resulting fraction of
 * zeros is below {@code minimumSparsityPercentile} the weight is left dense.
 */
public record ThresholdPrunerOptions(double threshold, double minimumSparsityPercentile) {

    public static final double DEFAULT_THRESHOLD = 1e-12;
    public static final double DEFAULT_MINIMUM_SPARSITY_PERCENTILE = 0.5;

    public ThresholdPrunerOptions {
        if (!(threshold >= 0) || !Double.isFinite(threshold)) {
            throw new IllegalArgumentException("prune: threshold must be a non-negative number, got " + threshold);
        }
        if (!(minimumSparsityPercentile >= 0 && minimumSparsityPercentile <= 1)) {
            throw new IllegalArgumentException("prune: minimum_sparsity_percentile must be in [0, 1], got " + minimumSparsityPercentile);
        }
    }

    public static ThresholdPrunerOptions defaults() {
        return new ThresholdPrunerOptions(DEFAULT_THRESHOLD, DEFAULT_MINIMUM_SPARSITY_PERCENTILE);
    }
}
