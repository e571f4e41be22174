package dev.pare.passes.compression;

import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.CompressionNotApplicableException;
import dev.pare.passes.compression.math.GptqPalettizer;
import dev.pare.passes.compression.math.ObsFactor;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.SensitivityWeightedLut;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.PalettizerOptions.PerChannelScale;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.StreamedChannelScale;
import dev.pare.passes.compression.math.StreamedGroupPalettizer;
import dev.pare.passes.compression.math.StreamedPalettizer;
import dev.pare.passes.compression.math.WeightTensor;
import dev.pare.spi.Option;
import dev.pare.spi.OptionValueException;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.WeightOperand;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;

/**
 * {@code palettize}: replaces each weight by a look-up table and per-element indices
 * ({@code pare.lut_to_dense}), Core ML Tools' {@code palettize_weights} (ir/PARE_DIALECT.md, Compression math). With a
 * per-channel scale the LUT output is multiplied by {@code pare.affine_dequantize(lut_out, scale)};
 * a weight already pruned by {@code prune} has only its kept values palettized and stays sparse:
 * {@code pare.sparse_to_dense(mask, pare.lut_to_dense(...))}. The LUT and scales have the weight's
 * float type. Every selected weight is checked before any is compressed: one the options cannot be
 * applied to (unique mode with more distinct values than the LUT holds, a group_size or cluster_dim
 * that does not divide its channels, a grouped LUT without a channel axis) fails the pass with
 * {@code CW012} naming the weight and its node, and no weight is changed. With
 * {@code skip_inapplicable=true} such weights stay dense with a note instead, as Core ML Tools skips
 * them with a warning; {@code DEFAULT_PALETTIZATION} (unique mode for weights palettized in
 * training) sets it, so weights that were not palettized in training are left alone. Common
 * behaviour: {@link WeightCompressionPass}.
 */
public final class Palettize implements PassProvider<Palettize.Options> {

    public enum Mode { KMEANS, UNIFORM, UNIQUE, CUSTOM }

    public enum Granularity { PER_TENSOR, PER_GROUPED_CHANNEL }

    /** rtn gives each weight its nearest entry; gptq chooses entries column by column with error compensation (needs calibration data). */
    public enum Algorithm { RTN, GPTQ }

    /** none: k-means counts every weight alike; hessian: each weight counts by the mean square of its input (needs calibration data). */
    public enum Sensitivity { NONE, HESSIAN }

    /** The pass options; see each component's help. */
    public record Options(
            @Option(help = "How the LUT is built: kmeans (optimal 1-D k-means, k-means++ for vectors), uniform (evenly spaced "
                    + "between min and max), unique (the weight's own distinct values), custom (the lut option).")
            Mode mode,
            @Option(help = "Index bits, a width pare.lut_to_dense takes (a wrong value is reported with the list); not set: "
                    + "4 for kmeans and uniform, the smallest that fits for unique, from the LUT size for custom.")
            Optional<Integer> nbits,
            @Option(help = "One LUT for the whole weight, or one per group_size channels along channel_axis.")
            Granularity granularity,
            @Option(help = "Channels per LUT with per_grouped_channel; must divide the channel count.", min = 1)
            int groupSize,
            @Option(help = "Weight axis of the channels that LUT groups, vectors and per-channel scales run along; "
                    + "not set: the consuming op's output-channel axis.", min = 0)
            Optional<Integer> channelAxis,
            @Option(help = "Divide each channel by its max |w| before palettizing and multiply it back with a per-channel scale.")
            boolean enablePerChannelScale,
            @Option(help = "Values per LUT entry; more than 1 clusters vectors of that many consecutive channels.", min = 1)
            int clusterDim,
            @Option(help = "The LUT for custom mode: entries times cluster_dim values; indices pick the nearest entry.")
            List<Float> lut,
            @Option(help = "Only weights with more elements than this are compressed (Core ML Tools' default 2048).", min = 0)
            long weightThreshold,
            @Option(help = "Leave a weight the options cannot be applied to (unique mode with more distinct values than the LUT "
                    + "holds, a group_size or cluster_dim that does not divide its channels) dense with a note instead of failing.")
            boolean skipInapplicable,
            @Option(help = DataAware.CALIBRATION_HELP)
            Calibration calibration,
            @Option(help = DataAware.BIAS_CORRECTION_HELP)
            BiasCorrection biasCorrection,
            @Option(help = "rtn: nearest LUT entry per weight; gptq: entries chosen input by input, each error compensated by the inputs "
                    + "not yet assigned, from calibration data (--calibration-data); same LUT and encoding.")
            Algorithm algorithm,
            @Option(help = "kmeans mode: none, or hessian to weight each value in the k-means by its input's mean square "
                    + "(diag H, from calibration data).")
            Sensitivity sensitivity,
            @Option(help = DataAware.DAMP_HELP, min = 0)
            double damp,
            @Option(help = "gptq: assign the inputs in order of decreasing mean square instead of in order.")
            boolean actOrder,
            @Option(help = DataAware.COLUMN_BLOCK_HELP, min = 1)
            int columnBlock) {

        public Options {
            DataAware.checkOptions(calibration, biasCorrection, damp, columnBlock);
            if (mode == null || nbits == null || granularity == null || channelAxis == null || lut == null || algorithm == null
                    || sensitivity == null) {
                throw new IllegalArgumentException("mode, nbits, granularity, channel_axis, lut, algorithm and sensitivity are required");
            }
            if (sensitivity == Sensitivity.HESSIAN && mode != Mode.KMEANS) {
                throw new IllegalArgumentException("sensitivity=hessian needs mode=kmeans, got mode=" + mode.name().toLowerCase(java.util.Locale.ROOT));
            }
            lut = List.copyOf(lut);
            if (channelAxis.isPresent() && channelAxis.get() < 0) {
                throw new OptionValueException("channelAxis", "must be >= 0, got " + channelAxis.get());
            }
            if (weightThreshold < 0) throw new IllegalArgumentException("weight_threshold must be >= 0, got " + weightThreshold);
            // every rule of nbits, mode, granularity, group_size, cluster_dim and lut is PalettizerOptions': building it is the check
            try {
                toMath(mode, nbits, granularity, groupSize, enablePerChannelScale, clusterDim, lut, 0);
            } catch (OptionValueException e) {
                throw e; // names one option; the pipeline reports it at the value
            } catch (IllegalArgumentException e) {
                String m = e.getMessage();
                throw new IllegalArgumentException(m.startsWith("palettize: ") ? m.substring("palettize: ".length()) : m, e);
            }
        }

        /** Options that fail on weights they cannot be applied to. */
        public Options(Mode mode, Optional<Integer> nbits, Granularity granularity, int groupSize, Optional<Integer> channelAxis, boolean enablePerChannelScale,
                       int clusterDim, List<Float> lut, long weightThreshold) {
            this(mode, nbits, granularity, groupSize, channelAxis, enablePerChannelScale, clusterDim, lut, weightThreshold, false);
        }

        /** Round-to-nearest options with unweighted k-means. */
        public Options(Mode mode, Optional<Integer> nbits, Granularity granularity, int groupSize, Optional<Integer> channelAxis, boolean enablePerChannelScale,
                       int clusterDim, List<Float> lut, long weightThreshold, boolean skipInapplicable) {
            this(mode, nbits, granularity, groupSize, channelAxis, enablePerChannelScale, clusterDim, lut, weightThreshold, skipInapplicable,
                    Calibration.ONE_SHOT, BiasCorrection.NONE, Algorithm.RTN, Sensitivity.NONE, ObsFactor.DEFAULT_DAMP, false, DataAware.DEFAULT_COLUMN_BLOCK);
        }

        /** Round-to-nearest options with calibration and bias correction (the stats-only form). */
        public Options(Mode mode, Optional<Integer> nbits, Granularity granularity, int groupSize, Optional<Integer> channelAxis, boolean enablePerChannelScale,
                       int clusterDim, List<Float> lut, long weightThreshold, boolean skipInapplicable, Calibration calibration,
                       BiasCorrection biasCorrection) {
            this(mode, nbits, granularity, groupSize, channelAxis, enablePerChannelScale, clusterDim, lut, weightThreshold, skipInapplicable,
                    calibration, biasCorrection, Algorithm.RTN, Sensitivity.NONE, ObsFactor.DEFAULT_DAMP, false, DataAware.DEFAULT_COLUMN_BLOCK);
        }

        boolean dataAware() {
            return algorithm == Algorithm.GPTQ || sensitivity == Sensitivity.HESSIAN;
        }

        /** The math options for a weight whose channel axis is {@code axis} (null if unknown). */
        PalettizerOptions toMath(Integer axis) {
            return toMath(mode, nbits, granularity, groupSize, enablePerChannelScale, clusterDim, lut, axis);
        }

        private static PalettizerOptions toMath(Mode mode, Optional<Integer> nbits, Granularity granularity, int groupSize,
                                                boolean enablePerChannelScale, int clusterDim, List<Float> lut, Integer axis) {
            // not set: 4 for kmeans and uniform; null lets unique and custom take theirs from the weight or the LUT
            Integer mathNbits = nbits.orElse(mode == Mode.KMEANS || mode == Mode.UNIFORM ? Integer.valueOf(4) : null);
            float[] custom = null;
            if (!lut.isEmpty()) {
                custom = new float[lut.size()];
                for (int i = 0; i < custom.length; i++) custom[i] = lut.get(i);
            }
            return new PalettizerOptions(PalettizerOptions.Mode.valueOf(mode.name()), mathNbits,
                    PalettizerOptions.Granularity.valueOf(granularity.name()), groupSize, axis, clusterDim,
                    enablePerChannelScale ? PerChannelScale.OUTPUT_CHANNEL : PerChannelScale.NONE, custom,
                    PalettizerOptions.DEFAULT_MAX_ITERATIONS);
        }
    }

    /** Dense weights of more bytes than this are palettized a piece at a time where the options allow (same result, less heap). */
    // 16 MiB, not only the weights too large for the heap: the streamed path reads float16 values
    // without a per-element check and float array of the whole weight, so it also takes less CPU
    // (all of a 7B model's 32 MiB attention weights go this way)
    static final long STREAM_ABOVE_BYTES = 16L << 20;

    private final WeightTraits traits;
    private final long streamAboveBytes;
    private final int piece;

    public Palettize() { this(WeightTraits.discover()); }

    public Palettize(WeightTraits traits) { this(traits, STREAM_ABOVE_BYTES, WeightCompressionPass.PIECE); }

    /** Tests lower {@code streamAboveBytes} and {@code piece} (elements read at once, a multiple of 8) to stream small weights in many pieces. */
    Palettize(WeightTraits traits, long streamAboveBytes, int piece) {
        if (piece <= 0 || piece % 8 != 0) throw new IllegalArgumentException("palettize: piece must be a positive multiple of 8, got " + piece);
        this.traits = traits;
        this.streamAboveBytes = streamAboveBytes;
        this.piece = piece;
    }

    /** Per-tensor scalar k-means: what {@link StreamedPalettizer} does a piece at a time (also the kept values of a pruned weight). */
    private static boolean streamable(Options o) {
        return o.mode() == Mode.KMEANS && o.granularity() == Granularity.PER_TENSOR && o.clusterDim() == 1
                && !o.enablePerChannelScale() && o.lut().isEmpty();
    }

    /** Grouped or per-channel scalar LUTs of a dense weight: what {@link StreamedGroupPalettizer} does a band of groups at a time. */
    private static boolean streamableGrouped(Options o) {
        return o.granularity() == Granularity.PER_GROUPED_CHANNEL && o.clusterDim() == 1 && !o.enablePerChannelScale()
                && o.mode() != Mode.UNIQUE;
    }

    /** A per-channel scale with per-tensor k-means or grouped LUTs: its scales in one pass, then as above on the scaled values. */
    private static boolean streamableScaled(Options o) {
        if (!o.enablePerChannelScale() || o.clusterDim() != 1) return false;
        return o.granularity() == Granularity.PER_TENSOR ? o.mode() == Mode.KMEANS && o.lut().isEmpty() : o.mode() != Mode.UNIQUE;
    }

    @Override public PassInfo info() {
        return PassInfo.required("palettize", "Replaces weights by a look-up table and indices (k-means, uniform, unique or custom).");
    }

    @Override public Options defaults() {
        return new Options(Mode.KMEANS, Optional.empty(), Granularity.PER_TENSOR, 32, Optional.empty(), false, 1, List.of(), 2048, false);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return new WeightCompressionPass<>("palettize", options, traits) {
            @Override long weightThreshold(Options o) { return o.weightThreshold(); }

            @Override Calibration calibration(Options o) { return o.calibration(); }

            @Override BiasCorrection biasCorrection(Options o) { return o.biasCorrection(); }

            @Override boolean compressesPruned() { return true; }

            @Override boolean skipsInapplicable(Options o) { return o.skipInapplicable(); }

            @Override boolean streams(Options o, long bytes) {
                return bytes > streamAboveBytes && (streamable(o) || streamableGrouped(o) || streamableScaled(o));
            }

            @Override boolean streamsPruned(Options o, long bytes) { return bytes > streamAboveBytes && streamable(o); }

            // unique mode counts the distinct values a piece at a time (a weight not palettized in training
            // has more than the LUT holds and is never loaded whole); compressing one that fits still loads it
            @Override boolean checksValues(Options o, long bytes) {
                return !streams(o, bytes) && !(bytes > streamAboveBytes && uniqueCheckStreams(o));
            }

            @Override StatisticsNeed statisticsNeed(Options o) {
                return o.dataAware() ? DataAware.SECOND_MOMENT : StatisticsNeed.NONE;
            }

            @Override void check(Job<Options> job) {
                if (job.weight() == null && uniqueCheckStreams(job.options())) checkUnique(job, job.options().toMath(axis(job)), piece);
                else if (job.weight() == null) Palettizer.checkApplicable(job.shape(), job.options().toMath(axis(job)));
                else Palettizer.checkApplicable(job.weight(), job.options().toMath(axis(job)), job.keep());
            }

            @Override Emitter compress(Job<Options> job) {
                if (job.mask() != null) return streamedKept(job, job.options().toMath(axis(job)), piece);
                if (job.weight() == null && streamableScaled(job.options())) return streamedScaled(job, job.options().toMath(axis(job)), piece);
                if (job.weight() == null && streamableGrouped(job.options())) return streamedGroups(job, job.options().toMath(axis(job)), piece, executor());
                if (job.weight() == null) return streamed(job, job.options().toMath(axis(job)), piece);
                Options o = job.options();
                Palettization fitted = new Palettizer(null).palettize(job.weight(), o.toMath(axis(job)),
                        new SplittableRandom(job.seed()), job.keep());
                Palettization p = job.statistics().isPresent() ? dataAware(job, fitted) : fitted;
                return chain -> emit(chain, p, Tensors.ofInts(chain.store(), p.indexType(), p.indicesShape(), p.indices()));
            }
        };
    }

    private static Integer axis(WeightCompressionPass.Job<Options> job) {
        Options o = job.options();
        return o.channelAxis().orElse(job.outputAxis() == WeightOperand.NO_AXIS ? null : Integer.valueOf(job.outputAxis()));
    }

    /** The fitted palettization with a hessian-weighted LUT and/or GPTQ indices, as the options ask. */
    private static Palettization dataAware(WeightCompressionPass.Job<Options> job, Palettization fitted) {
        Options o = job.options();
        LayerStatistics statistics = job.statistics().get();
        Palettization p = fitted;
        if (o.sensitivity() == Sensitivity.HESSIAN) {
            // a stream of its own, so the LUT does not depend on how much randomness k-means drew
            p = SensitivityWeightedLut.refit(job.weight(), p, DataAware.sensitivity(statistics), new SplittableRandom(job.seed()).split());
        }
        if (o.algorithm() == Algorithm.GPTQ) {
            DataAware.Layer layer = DataAware.layer(statistics, o.damp(), o.actOrder());
            try {
                p = GptqPalettizer.assign(job.weight(), p, layer.matrices(), layer.factors(), o.columnBlock());
            } catch (IllegalArgumentException e) {
                throw new CompressionNotApplicableException(e.getMessage());
            }
        }
        return p;
    }

    /** Palettizes a weight read from the tensor a piece at a time, its indices written to the store as they come. */
    private static WeightCompressionPass.Emitter streamed(WeightCompressionPass.Job<Options> job, PalettizerOptions math, int piece) {
        TensorData dense = job.dense();
        long[] shape = job.shape();
        DType indexType = DType.valueOf("UINT" + math.nbits());
        TensorStore.Writer indices = job.store().writer(TensorType.of(indexType, shape));
        LinearQuantizer.CodeSink sink = (labels, count) -> indices.write(ByteBuffer.wrap(Tensors.pack(indexType, labels, count)));
        Palettization result = dense.dtype() == DType.FLOAT16
                ? StreamedPalettizer.palettizeHalf(shape, (first, into, count) ->
                        dense.slice(first * 2, Math.multiplyExact(count, 2)).asShortBuffer().get(into, 0, count), math, piece, sink)
                : StreamedPalettizer.palettize(shape, Precision.of(dense.dtype()),
                        (first, into, count) -> Tensors.floats(dense, first, into, count), math, piece, sink, job.split());
        TensorData data = indices.finish();
        return chain -> emit(chain, result, data);
    }

    /** Per-tensor scalar unique mode: its check counts distinct values a piece at a time. */
    private static boolean uniqueCheckStreams(Options o) {
        return o.mode() == Mode.UNIQUE && o.granularity() == Granularity.PER_TENSOR && o.clusterDim() == 1 && !o.enablePerChannelScale();
    }

    /** Checks unique mode on a dense weight a piece at a time; a pruned or decoded weight (with a mask) is checked on its kept values whole. */
    private static void checkUnique(WeightCompressionPass.Job<Options> job, PalettizerOptions math, int piece) {
        TensorData dense = job.dense();
        if (job.keep() != null) {
            Palettizer.checkApplicable(WeightTensor.of(Tensors.floats(dense), job.shape(), Precision.of(dense.dtype())), math, job.keep());
            return;
        }
        Palettizer.checkUniqueApplicable(job.shape(), (first, into, count) -> Tensors.floats(dense, first, into, count), math, piece);
    }

    /**
     * Palettizes a weight read a band of LUT groups ({@code band} elements, or one group) at a time,
     * the groups of a band over the pass's pool; its packed indices go to the store.
     */
    private static WeightCompressionPass.Emitter streamedGroups(WeightCompressionPass.Job<Options> job, PalettizerOptions math, int band,
                                                                 ExecutorService pool) {
        TensorData dense = job.dense();
        int threads = pool == null ? 1 : WeightCompressionPass.parallelism(pool);
        StreamedGroupPalettizer.Result r = StreamedGroupPalettizer.palettize(job.shape(), Precision.of(dense.dtype()),
                (first, into, count) -> Tensors.floats(dense, first, into, count), math, band, pool, threads);
        Palettization p = r.palettization();
        TensorData data = job.store().put(TensorType.of(p.indexType(), p.indicesShape()), ByteBuffer.wrap(r.packedIndices()));
        return chain -> emit(chain, p, data);
    }

    /**
     * Palettizes a weight with a per-channel scale a piece (per tensor) or a band of groups at a
     * time: one pass for the scales, then the scaled values as {@link #streamed} or {@link #streamedGroups}.
     */
    private static WeightCompressionPass.Emitter streamedScaled(WeightCompressionPass.Job<Options> job, PalettizerOptions math, int piece) {
        TensorData dense = job.dense();
        long[] shape = job.shape();
        Precision precision = Precision.of(dense.dtype());
        StreamedChannelScale.Scaled scaled = StreamedChannelScale.of(shape, precision,
                (first, into, count) -> Tensors.floats(dense, first, into, count), math, piece);
        PalettizerOptions plain = StreamedChannelScale.unscaled(math);
        if (plain.granularity() == PalettizerOptions.Granularity.PER_GROUPED_CHANNEL) {
            StreamedGroupPalettizer.Result r = StreamedGroupPalettizer.palettize(shape, precision, scaled.normalized(), plain, piece);
            Palettization p = scaled.attach(r.palettization());
            TensorData data = job.store().put(TensorType.of(p.indexType(), p.indicesShape()), ByteBuffer.wrap(r.packedIndices()));
            return chain -> emit(chain, p, data);
        }
        DType indexType = DType.valueOf("UINT" + math.nbits());
        TensorStore.Writer indices = job.store().writer(TensorType.of(indexType, shape));
        Palettization p = scaled.attach(StreamedPalettizer.palettize(shape, precision, scaled.normalized(), plain, piece,
                (labels, count) -> indices.write(ByteBuffer.wrap(Tensors.pack(indexType, labels, count)))));
        TensorData data = indices.finish();
        return chain -> emit(chain, p, data);
    }

    /** Palettizes the kept values of a pruned weight read a piece at a time, its indices (0 where pruned) written to the store as they come. */
    private static WeightCompressionPass.Emitter streamedKept(WeightCompressionPass.Job<Options> job, PalettizerOptions math, int piece) {
        TensorData kept = job.kept();
        TensorData mask = job.mask();
        long[] shape = job.shape();
        DType indexType = DType.valueOf("UINT" + math.nbits());
        TensorStore.Writer indices = job.store().writer(TensorType.of(indexType, shape));
        Palettization result = StreamedPalettizer.palettizeKept(shape, Precision.of(kept.dtype()), kept.elementCount(),
                (first, into, count) -> Tensors.floats(kept, first, into, count),
                (first, into, count) -> mask.slice(first / 8, (count + 7) / 8).get(into, 0, (count + 7) / 8),
                math, piece, (labels, count) -> indices.write(ByteBuffer.wrap(Tensors.pack(indexType, labels, count))));
        TensorData data = indices.finish();
        return chain -> emit(chain, result, data);
    }

    /** {@code lut_to_dense(indices, lut)} ({@code indices} as stored), then the per-channel scale, then the existing sparsity mask. */
    static Value emit(DenseChain chain, Palettization p, TensorData indexData) {
        Value indices = chain.constant("indices", indexData);
        Value lut = chain.constant("lut", Tensors.ofFloats(chain.store(), chain.dtype(), p.lutShape(), p.luts()));
        Attributes attributes = p.clusterDim() > 1 ? Attributes.of(java.util.Map.of("vector_axis", Attribute.of((long) p.axis())))
                : Attributes.empty();
        Value dense = chain.op(PareDialectEvaluator.LUT_TO_DENSE, "palettized", List.of(indices, lut), attributes);
        if (p.scales() != null) {
            Value scale = chain.constant("scale", Tensors.ofFloats(chain.store(), chain.dtype(), p.scaleShape(), p.scales()));
            List<Value> operands = new ArrayList<>(List.of(dense, scale));
            dense = chain.op(PareDialectEvaluator.AFFINE_DEQUANTIZE, "scaled", operands, Attributes.empty());
        }
        if (chain.existingMask() != null) {
            dense = chain.op(PareDialectEvaluator.SPARSE_TO_DENSE, "sparse", List.of(chain.existingMask(), dense), Attributes.empty());
        }
        return dense;
    }
}
