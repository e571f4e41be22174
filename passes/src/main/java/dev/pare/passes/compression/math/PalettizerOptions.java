package dev.pare.passes.compression.math;

import dev.pare.ir.LutBits;
import dev.pare.spi.OptionValueException;

/**
 * Options of {@link Palettizer}, mirroring Core ML Tools' {@code OpPalettizerConfig}
 * (ir/PARE_DIALECT.md, Compression math) minus the pass-level {@code weight_threshold} and worker count.
 *
 * @param mode                  how the LUT is built
 * @param nbits                 LUT index width, one of {@link LutBits}; required for kmeans and
 *                              uniform; optional for unique (smallest that fits is picked) and
 *                              custom (derived from the LUT size)
 * @param granularity           one LUT for the tensor, or one per group of channels
 * @param groupSize             channels per LUT for {@code PER_GROUPED_CHANNEL}
 * @param channelAxis           axis of the (output) channels; required for grouped LUTs, vector
 *                              palettization and per-channel scales; may be negative
 * @param clusterDim            1 for scalar LUTs; greater than 1 for vector LUTs whose entries hold
 *                              {@code clusterDim} consecutive values along {@code channelAxis}
 * @param perChannelScale       whether and how weights are normalised by max |w| before clustering
 * @param customLut             the user LUT for custom mode ({@code entries × clusterDim} values)
 * @param maxIterations         Lloyd iteration cap for vector k-means
 */
public record PalettizerOptions(
        Mode mode,
        Integer nbits,
        Granularity granularity,
        int groupSize,
        Integer channelAxis,
        int clusterDim,
        PerChannelScale perChannelScale,
        float[] customLut,
        int maxIterations) {

    public enum Mode { KMEANS, UNIFORM, UNIQUE, CUSTOM }

    public enum Granularity { PER_TENSOR, PER_GROUPED_CHANNEL }

    /**
     * Per-channel scale layouts. {@code OUTPUT_CHANNEL} keeps one scale per channel along the
     * channel axis (max |w| over all other axes), what {@code enable_per_channel_scale} describes.
     * {@code REDUCE_CHANNEL_AXIS} is what Core ML Tools 9.0 actually computes
     * ({@code max(|w|, axis=channel_axis, keepdims=True)}, ir/MIL_DIALECT.md, Constexpr ops): one scale per position
     * of the other axes, e.g. {@code [1, C_in]} for a linear weight.
     */
    public enum PerChannelScale { NONE, OUTPUT_CHANNEL, REDUCE_CHANNEL_AXIS }

    public static final int DEFAULT_GROUP_SIZE = 32;
    public static final int DEFAULT_MAX_ITERATIONS = 100;

    public PalettizerOptions {
        if (mode == null) throw new IllegalArgumentException("palettize: mode is required");
        if (granularity == null) granularity = Granularity.PER_TENSOR;
        if (perChannelScale == null) perChannelScale = PerChannelScale.NONE;
        if (nbits != null && !LutBits.isValid(nbits)) {
            // the one check of nbits: the pass's options build this record, so a pipeline gets this message at the value
            throw new OptionValueException("nbits", "must be one of " + LutBits.describe() + ", got " + nbits);
        }
        if (nbits == null && (mode == Mode.KMEANS || mode == Mode.UNIFORM)) {
            throw new IllegalArgumentException("palettize: nbits is required for " + name(mode) + " mode");
        }
        if (groupSize <= 0) throw new IllegalArgumentException("palettize: group_size must be positive, got " + groupSize);
        if (clusterDim < 1) throw new IllegalArgumentException("palettize: cluster_dim must be at least 1, got " + clusterDim);
        if (clusterDim > 1 && mode == Mode.UNIFORM) {
            throw new IllegalArgumentException("palettize: uniform mode does not support cluster_dim > 1");
        }
        if (maxIterations < 1) throw new IllegalArgumentException("palettize: max_iterations must be at least 1, got " + maxIterations);
        if (mode == Mode.CUSTOM) {
            if (customLut == null || customLut.length == 0) throw new IllegalArgumentException("palettize: custom mode needs a LUT");
            if (customLut.length % clusterDim != 0) {
                throw new IllegalArgumentException("palettize: the custom LUT holds " + customLut.length
                        + " values, not a multiple of cluster_dim " + clusterDim);
            }
            int entries = customLut.length / clusterDim;
            int most = 1 << LutBits.max();
            if (entries > most) throw new IllegalArgumentException("palettize: the custom LUT has " + entries + " entries, more than " + most);
            if (nbits != null && entries > (1 << nbits)) {
                throw new IllegalArgumentException("palettize: the custom LUT has " + entries + " entries, more than 2^" + nbits);
            }
            for (int i = 0; i < customLut.length; i++) {
                if (!Float.isFinite(customLut[i])) throw new IllegalArgumentException("palettize: custom LUT value " + i + " is not finite");
            }
        } else if (customLut != null) {
            throw new IllegalArgumentException("palettize: a LUT is only allowed in custom mode");
        }
    }

    public static PalettizerOptions kmeans(int nbits) {
        return new PalettizerOptions(Mode.KMEANS, nbits, Granularity.PER_TENSOR, DEFAULT_GROUP_SIZE, null, 1,
                PerChannelScale.NONE, null, DEFAULT_MAX_ITERATIONS);
    }

    public static PalettizerOptions uniform(int nbits) {
        return new PalettizerOptions(Mode.UNIFORM, nbits, Granularity.PER_TENSOR, DEFAULT_GROUP_SIZE, null, 1,
                PerChannelScale.NONE, null, DEFAULT_MAX_ITERATIONS);
    }

    /** Unique mode with the smallest fitting nbits. */
    public static PalettizerOptions unique() {
        return new PalettizerOptions(Mode.UNIQUE, null, Granularity.PER_TENSOR, DEFAULT_GROUP_SIZE, null, 1,
                PerChannelScale.NONE, null, DEFAULT_MAX_ITERATIONS);
    }

    /** Custom mode: indices select the nearest entry of {@code lut}. */
    public static PalettizerOptions custom(float[] lut) {
        return new PalettizerOptions(Mode.CUSTOM, null, Granularity.PER_TENSOR, DEFAULT_GROUP_SIZE, null, 1,
                PerChannelScale.NONE, lut, DEFAULT_MAX_ITERATIONS);
    }

    public PalettizerOptions withNbits(Integer n) {
        return new PalettizerOptions(mode, n, granularity, groupSize, channelAxis, clusterDim, perChannelScale, customLut, maxIterations);
    }

    /** Per-grouped-channel LUTs of {@code size} channels along {@code axis}. */
    public PalettizerOptions withGroups(int size, int axis) {
        return new PalettizerOptions(mode, nbits, Granularity.PER_GROUPED_CHANNEL, size, axis, clusterDim, perChannelScale, customLut, maxIterations);
    }

    public PalettizerOptions withChannelAxis(Integer axis) {
        return new PalettizerOptions(mode, nbits, granularity, groupSize, axis, clusterDim, perChannelScale, customLut, maxIterations);
    }

    public PalettizerOptions withClusterDim(int dim) {
        return new PalettizerOptions(mode, nbits, granularity, groupSize, channelAxis, dim, perChannelScale, customLut, maxIterations);
    }

    public PalettizerOptions withPerChannelScale(PerChannelScale layout) {
        return new PalettizerOptions(mode, nbits, granularity, groupSize, channelAxis, clusterDim, layout, customLut, maxIterations);
    }

    public PalettizerOptions withMaxIterations(int iterations) {
        return new PalettizerOptions(mode, nbits, granularity, groupSize, channelAxis, clusterDim, perChannelScale, customLut, iterations);
    }

    static String name(Mode mode) {
        return mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
