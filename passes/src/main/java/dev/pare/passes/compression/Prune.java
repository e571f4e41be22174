package dev.pare.passes.compression;

import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Attributes;
import dev.pare.ir.Value;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.passes.compression.math.CompressionNotApplicableException;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.StreamedPruner;
import dev.pare.passes.compression.math.MagnitudePrunerOptions;
import dev.pare.passes.compression.math.ObsFactor;
import dev.pare.passes.compression.math.OutputError;
import dev.pare.passes.compression.math.SparseGpt;
import dev.pare.passes.compression.math.SparsityAllocation;
import dev.pare.passes.compression.math.SparsityPattern;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.math.Pruner;
import dev.pare.passes.compression.math.PruningResult;
import dev.pare.passes.compression.math.ThresholdPrunerOptions;
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
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code prune}: zeroes small weights and stores the rest sparsely as
 * {@code pare.sparse_to_dense(mask, values)} with the kept values in row-major order, Core ML
 * Tools' {@code prune_weights} (ir/PARE_DIALECT.md, Compression math). {@code mode=threshold} (the default, Core ML
 * Tools' DEFAULT_PRUNING config) zeroes {@code |w| <= threshold} and leaves the weight dense with a
 * note if fewer than {@code minimum_sparsity_percentile} of it would be zero. {@code mode=magnitude}
 * takes exactly one of {@code target_sparsity} (unstructured, or in blocks of {@code block_size}
 * channels by L2 norm) and {@code n_m_ratio} ("n:m": the n smallest of every m). Structured modes
 * run along {@code dim}: 0 is the consuming op's output-channel axis and 1 its input axis (Core
 * ML's weight dims 0 and 1 for conv and linear weights), so they need both axes from the op traits;
 * every selected weight is checked before any is pruned (missing axis, rank, block_size or m more
 * than half the channels fail the pass with {@code CW012}, or leave it dense with a note with
 * {@code skip_inapplicable=true}). A weight below
 * minimum_sparsity_percentile stays dense with a note (that is a property of its values, not a
 * misfit of the options). Common behaviour: {@link WeightCompressionPass}.
 */
public final class Prune implements PassProvider<Prune.Options> {

    public enum Mode { THRESHOLD, MAGNITUDE }

    /**
     * How mode=magnitude picks and treats the zeros: magnitude zeroes the smallest |w| and keeps
     * the rest as they are; sparsegpt zeroes the weights whose loss costs the layer output least
     * and updates the kept ones to compensate (needs calibration data).
     */
    public enum Algorithm { MAGNITUDE, SPARSEGPT }

    /**
     * How sparsegpt's target_sparsity is spread over the weights of one prune step: uniform (each
     * weight gets it) or output_error (the step's zeros go where they cost the least relative
     * layer output error, from each layer's measured error curve; {@link SparsityAllocation}).
     */
    public enum Allocation { UNIFORM, OUTPUT_ERROR }

    /** Sparsities at which output_error measures each layer's error curve. */
    static final double[] ALLOCATION_GRID = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95};

    private static final Pattern N_M = Pattern.compile("\\s*(\\d+)\\s*:\\s*(\\d+)\\s*");

    /** The pass options; see each component's help. */
    public record Options(
            @Option(help = "threshold: zero |w| <= threshold; magnitude: zero the smallest magnitudes (target_sparsity or n_m_ratio).")
            Mode mode,
            @Option(help = "threshold mode: values with |w| <= threshold become 0.", min = 0)
            double threshold,
            @Option(help = "threshold mode: leave a weight dense unless at least this fraction of it becomes 0.", min = 0, max = 1)
            double minimumSparsityPercentile,
            @Option(help = "magnitude mode: fraction of values (or blocks) to zero, in [0, 1); exactly one of it and n_m_ratio.")
            Optional<Double> targetSparsity,
            @Option(help = "magnitude mode: prune blocks of this many consecutive channels along dim by L2 norm; 0 = unstructured.", min = 0)
            int blockSize,
            @Option(help = "magnitude mode: \"n:m\" zeroes the n smallest of every m consecutive values along dim.")
            Optional<String> nMRatio,
            @Option(help = "Axis of block_size / n_m_ratio: 0 = the op's output channels, 1 = its inputs; not set: 0 for blocks, 1 for n:m.",
                    min = 0, max = 1)
            Optional<Integer> dim,
            @Option(help = "Only weights with more elements than this are compressed (Core ML Tools' default 2048).", min = 0)
            long weightThreshold,
            @Option(help = "Leave a weight the options cannot be applied to (block_size or m more than half its channels, block or n:m sparsity without the op's axes) dense with a note instead of failing the pass.")
            boolean skipInapplicable,
            @Option(help = DataAware.CALIBRATION_HELP)
            Calibration calibration,
            @Option(help = DataAware.BIAS_CORRECTION_HELP)
            BiasCorrection biasCorrection,
            @Option(help = "magnitude mode: magnitude (smallest |w|, the rest unchanged) or sparsegpt (smallest loss of the layer "
                    + "output on calibration data, --calibration-data, the kept weights updated to compensate).")
            Algorithm algorithm,
            @Option(help = "sparsegpt with target_sparsity: give every output channel that sparsity instead of choosing across channels.")
            boolean perChannelSparsity,
            @Option(help = "sparsegpt: added to H's diagonal, as a fraction of its mean, before inverting.", min = 0)
            double damp,
            @Option(help = "sparsegpt: process the inputs in order of decreasing mean square instead of in order.")
            boolean actOrder,
            @Option(help = "sparsegpt: inputs whose mask is chosen together and whose updates are applied together.", min = 1)
            int columnBlock,
            @Option(help = "sparsegpt with target_sparsity: uniform (every weight gets it) or output_error (the step's zeros, "
                    + "target_sparsity of all its weights, go where they cost the least relative layer output error on the "
                    + "calibration data; each weight's sparsity between 0 and 0.95).")
            Allocation sparsityAllocation) {

        /** Options that fail on weights they cannot be applied to. */
        public Options(Mode mode, double threshold, double minimumSparsityPercentile, Optional<Double> targetSparsity, int blockSize,
                       Optional<String> nMRatio, Optional<Integer> dim, long weightThreshold) {
            this(mode, threshold, minimumSparsityPercentile, targetSparsity, blockSize, nMRatio, dim, weightThreshold, false);
        }

        /** Magnitude options (no calibration data). */
        public Options(Mode mode, double threshold, double minimumSparsityPercentile, Optional<Double> targetSparsity, int blockSize,
                       Optional<String> nMRatio, Optional<Integer> dim, long weightThreshold, boolean skipInapplicable) {
            this(mode, threshold, minimumSparsityPercentile, targetSparsity, blockSize, nMRatio, dim, weightThreshold, skipInapplicable,
                    Calibration.ONE_SHOT, BiasCorrection.NONE, Algorithm.MAGNITUDE, false, ObsFactor.DEFAULT_DAMP, false, DataAware.DEFAULT_COLUMN_BLOCK,
                    Allocation.UNIFORM);
        }

        public Options {
            DataAware.checkOptions(calibration, biasCorrection, damp, columnBlock);
            try {
                validate(mode, threshold, minimumSparsityPercentile, targetSparsity, blockSize, nMRatio, dim, weightThreshold);
                if (algorithm == null) throw new IllegalArgumentException("prune: algorithm is required");
                if (algorithm == Algorithm.SPARSEGPT) {
                    if (mode != Mode.MAGNITUDE) throw new IllegalArgumentException("prune: algorithm=sparsegpt needs mode=magnitude");
                    if (blockSize != 0) throw new IllegalArgumentException("prune: algorithm=sparsegpt does not take block_size (use n_m_ratio or per_channel_sparsity)");
                }
                if (perChannelSparsity && (algorithm != Algorithm.SPARSEGPT || targetSparsity.isEmpty())) {
                    throw new IllegalArgumentException("prune: per_channel_sparsity needs algorithm=sparsegpt with target_sparsity");
                }
                if (sparsityAllocation == null) throw new IllegalArgumentException("prune: sparsity_allocation is required");
                if (sparsityAllocation == Allocation.OUTPUT_ERROR) {
                    if (algorithm != Algorithm.SPARSEGPT || targetSparsity.isEmpty() || perChannelSparsity) {
                        throw new IllegalArgumentException("prune: sparsity_allocation=output_error needs algorithm=sparsegpt with target_sparsity "
                                + "(not n_m_ratio or per_channel_sparsity)");
                    }
                    if (targetSparsity.get() > 0.95) {
                        throw new OptionValueException("targetSparsity", "must be at most 0.95 with sparsity_allocation=output_error, got "
                                + targetSparsity.get());
                    }
                }
            } catch (OptionValueException e) {
                throw e; // names one option; the pipeline reports it at the value
            } catch (IllegalArgumentException e) { // the pipeline error already names the pass
                String m = e.getMessage();
                throw new IllegalArgumentException(m.startsWith("prune: ") ? m.substring("prune: ".length()) : m, e);
            }
        }

        private static void validate(Mode mode, double threshold, double minimumSparsityPercentile, Optional<Double> targetSparsity,
                                     int blockSize, Optional<String> nMRatio, Optional<Integer> dim, long weightThreshold) {
            if (mode == null || targetSparsity == null || nMRatio == null || dim == null) {
                throw new IllegalArgumentException("prune: mode, target_sparsity, n_m_ratio and dim are required (Optional.empty() when not set)");
            }
            if (weightThreshold < 0) throw new IllegalArgumentException("prune: weight_threshold must be >= 0, got " + weightThreshold);
            if (mode == Mode.THRESHOLD) {
                if (targetSparsity.isPresent()) throw new IllegalArgumentException("prune: target_sparsity needs mode=magnitude");
                if (blockSize != 0) throw new IllegalArgumentException("prune: block_size needs mode=magnitude");
                if (nMRatio.isPresent()) throw new IllegalArgumentException("prune: n_m_ratio needs mode=magnitude");
                if (dim.isPresent()) throw new IllegalArgumentException("prune: dim needs mode=magnitude with block_size or n_m_ratio");
                new ThresholdPrunerOptions(threshold, minimumSparsityPercentile);
            } else {
                if (targetSparsity.isPresent() && !(targetSparsity.get() >= 0 && targetSparsity.get() < 1)) {
                    throw new OptionValueException("targetSparsity", "must be in [0, 1), got " + targetSparsity.get());
                }
                magnitudeOptions(targetSparsity, blockSize, nMRatio, dim.orElse(null));
            }
        }

        ThresholdPrunerOptions thresholdOptions() {
            return new ThresholdPrunerOptions(threshold, minimumSparsityPercentile);
        }

        /** The math options with the structured axis {@code axis} (null = the math default). */
        MagnitudePrunerOptions magnitudeOptions(Integer axis) {
            return magnitudeOptions(targetSparsity, blockSize, nMRatio, axis);
        }

        private static MagnitudePrunerOptions magnitudeOptions(Optional<Double> targetSparsity, int blockSize, Optional<String> nMRatio,
                                                               Integer axis) {
            int[] nm = null;
            if (nMRatio.isPresent()) {
                Matcher m = N_M.matcher(nMRatio.get());
                if (!m.matches()) throw new IllegalArgumentException("prune: n_m_ratio must look like \"2:4\", got \"" + nMRatio.get() + "\"");
                nm = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            }
            return new MagnitudePrunerOptions(targetSparsity.orElse(null), blockSize == 0 ? null : blockSize, nm, axis);
        }

        boolean structured() {
            return mode == Mode.MAGNITUDE && (blockSize != 0 || nMRatio.isPresent());
        }
    }

    /** Dense weights of more bytes than this are pruned a piece at a time where the options allow (same result, less heap). */
    // 16 MiB as palettize and quantize_weights: at 64 MiB a 7B model's 32 MiB attention weights were
    // pruned whole (float copy, magnitudes, mask, kept values: ~1 GiB of heap for the weights in flight)
    static final long STREAM_ABOVE_BYTES = 16L << 20;

    private final WeightTraits traits;
    private final long streamAboveBytes;
    private final int piece;

    public Prune() { this(WeightTraits.discover()); }

    public Prune(WeightTraits traits) { this(traits, STREAM_ABOVE_BYTES, WeightCompressionPass.PIECE); }

    /** Tests lower {@code streamAboveBytes} and {@code piece} (elements read at once, a multiple of 8) to stream small weights in many pieces. */
    Prune(WeightTraits traits, long streamAboveBytes, int piece) {
        if (piece <= 0 || piece % 8 != 0) throw new IllegalArgumentException("prune: piece must be a positive multiple of 8, got " + piece);
        this.traits = traits;
        this.streamAboveBytes = streamAboveBytes;
        this.piece = piece;
    }

    /** Threshold, unstructured and n:m magnitude pruning: what {@link StreamedPruner} does a piece (or band) at a time. */
    private static boolean streamable(Options o) {
        return !o.structured() || nOfM(o);
    }

    private static boolean nOfM(Options o) {
        return o.mode() == Mode.MAGNITUDE && o.nMRatio().isPresent();
    }

    @Override public PassInfo info() {
        return PassInfo.required("prune", "Zeroes small weights (threshold, magnitude, block or n:m) and stores them sparsely.");
    }

    @Override public Options defaults() {
        return new Options(Mode.THRESHOLD, ThresholdPrunerOptions.DEFAULT_THRESHOLD, ThresholdPrunerOptions.DEFAULT_MINIMUM_SPARSITY_PERCENTILE,
                Optional.empty(), 0, Optional.empty(), Optional.empty(), 2048, false);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return new WeightCompressionPass<>("prune", options, traits) {
            @Override long weightThreshold(Options o) { return o.weightThreshold(); }

            @Override Calibration calibration(Options o) { return o.calibration(); }

            @Override BiasCorrection biasCorrection(Options o) { return o.biasCorrection(); }

            @Override boolean compressesPruned() { return false; }

            @Override boolean skipsInapplicable(Options o) { return o.skipInapplicable(); }

            @Override boolean streams(Options o, long bytes) { return bytes > streamAboveBytes && streamable(o); }

            @Override boolean checksValues(Options o, long bytes) { return !streams(o, bytes); }

            @Override StatisticsNeed statisticsNeed(Options o) {
                return o.algorithm() == Algorithm.SPARSEGPT ? DataAware.SECOND_MOMENT : StatisticsNeed.NONE;
            }

            @Override boolean plansAcrossWeights(Options o) {
                return o.sparsityAllocation() == Allocation.OUTPUT_ERROR;
            }

            @Override List<Options> plan(List<Job<Options>> jobs) {
                return allocate(jobs);
            }

            @Override void check(Job<Options> job) {
                Options o = job.options();
                if (o.structured()) Pruner.checkApplicable(job.shape(), o.magnitudeOptions(structuredAxis(job)));
            }

            @Override Emitter compress(Job<Options> job) {
                Options o = job.options();
                if (job.weight() == null) return streamed(job, piece);
                PruningResult r;
                if (o.algorithm() == Algorithm.SPARSEGPT && job.statistics().isPresent()) {
                    Measured m = sparseGpt(job);
                    return new Reported(chain -> emit(chain, m.result()), m.report());
                } else if (o.mode() == Mode.THRESHOLD) {
                    r = Pruner.threshold(job.weight(), o.thresholdOptions());
                } else if (!o.structured()) {
                    r = Pruner.magnitude(job.weight(), o.magnitudeOptions(null));
                } else {
                    r = Pruner.magnitude(job.weight(), o.magnitudeOptions(structuredAxis(job)));
                }
                return chain -> emit(chain, r);
            }
        };
    }

    /** A pruned weight and the line that tells how far it moved its layer's output (note CW017). */
    private record Measured(PruningResult result, String report) {}

    /**
     * SparseGPT with the options' pattern over the layer's groups, measured against magnitude
     * pruning of the same pattern by the relative output error on the calibration inputs
     * ({@link OutputError}). The OBS update minimises exactly that error, so it should never lose;
     * if it does on some weight (a badly conditioned H), the magnitude result is kept and the note
     * says so, so sparsegpt is never worse than magnitude layer by layer.
     */
    private static Measured sparseGpt(WeightCompressionPass.Job<Options> job) {
        PruningResult r = sparseGptResult(job);
        Options o = job.options();
        LayerStatistics statistics = job.statistics().get();
        DataAware.Layer layer = DataAware.layer(statistics, o.damp(), o.actOrder());
        double[][] h = new double[statistics.layout().groups()][];
        for (int g = 0; g < h.length; g++) h[g] = statistics.secondMoment(g);
        float[] w = job.weight().values();
        double sparse = OutputError.relative(layer.matrices(), h, w, r.decompress());
        String at = String.format(Locale.ROOT, "sparsity %.3f", r.sparsity());
        if (o.perChannelSparsity()) { // magnitude pruning has no per-channel pattern to compare with
            return new Measured(r, String.format(Locale.ROOT, "sparsegpt output error %.4f, %s", sparse, at));
        }
        MagnitudePrunerOptions same = o.nMRatio().isEmpty() ? o.magnitudeOptions(null) : o.magnitudeOptions(structuredAxis(job));
        PruningResult m = Pruner.magnitude(job.weight(), same);
        double magnitude = OutputError.relative(layer.matrices(), h, w, m.decompress());
        if (magnitude < sparse) {
            return new Measured(m, String.format(Locale.ROOT, "sparsegpt output error %.4f above magnitude's %.4f, kept magnitude's, %s",
                    sparse, magnitude, at));
        }
        return new Measured(r, String.format(Locale.ROOT, "sparsegpt output error %.4f (magnitude %.4f), %s", sparse, magnitude, at));
    }

    /**
     * sparsity_allocation=output_error: measures each weight's SparseGPT output error at the
     * {@link #ALLOCATION_GRID} sparsities on the float model's statistics and spreads the zeros
     * the weights' own targets add up to by {@link SparsityAllocation}. A weight without statistics
     * (compressed round-to-nearest, CW008) keeps its target and is left out of the spreading.
     */
    private static List<Options> allocate(List<WeightCompressionPass.Job<Options>> jobs) {
        List<SparsityAllocation.Curve> curves = new ArrayList<>();
        List<Integer> measured = new ArrayList<>();
        long zeros = 0;
        for (int i = 0; i < jobs.size(); i++) {
            WeightCompressionPass.Job<Options> job = jobs.get(i);
            if (job.statistics().isEmpty() || job.weight() == null) continue;
            Options o = job.options();
            LayerStatistics statistics = job.statistics().get();
            DataAware.Layer layer = DataAware.layer(statistics, o.damp(), o.actOrder());
            double[][] h = new double[statistics.layout().groups()][];
            for (int g = 0; g < h.length; g++) h[g] = statistics.secondMoment(g);
            double[] error = new double[ALLOCATION_GRID.length];
            for (int k = 1; k < ALLOCATION_GRID.length; k++) {
                PruningResult r = SparseGpt.prune(job.weight(), layer.matrices(), layer.factors(),
                        new SparsityPattern.Unstructured(ALLOCATION_GRID[k]), o.columnBlock(), o.columnBlock());
                error[k] = OutputError.relative(layer.matrices(), h, job.weight().values(), r.decompress());
            }
            int n = job.weight().size();
            curves.add(new SparsityAllocation.Curve(n, ALLOCATION_GRID, error));
            measured.add(i);
            zeros += Math.round(o.targetSparsity().orElseThrow() * n);
        }
        long[] given = SparsityAllocation.allocate(curves, zeros);
        List<Options> out = new ArrayList<>();
        for (WeightCompressionPass.Job<Options> job : jobs) out.add(job.options());
        for (int t = 0; t < measured.size(); t++) {
            int i = measured.get(t);
            Options o = jobs.get(i).options();
            double target = (double) given[t] / jobs.get(i).weight().size();
            out.set(i, new Options(o.mode(), o.threshold(), o.minimumSparsityPercentile(), Optional.of(target), o.blockSize(), o.nMRatio(), o.dim(),
                    o.weightThreshold(), o.skipInapplicable(), o.calibration(), o.biasCorrection(), o.algorithm(), o.perChannelSparsity(),
                    o.damp(), o.actOrder(), o.columnBlock(), o.sparsityAllocation()));
        }
        return out;
    }

    /** SparseGPT with the options' pattern over the layer's groups. */
    private static PruningResult sparseGptResult(WeightCompressionPass.Job<Options> job) {
        Options o = job.options();
        SparsityPattern pattern;
        if (o.nMRatio().isPresent()) {
            int[] nm = o.magnitudeOptions(null).nmRatio();
            pattern = new SparsityPattern.NOfM(nm[0], nm[1], structuredAxis(job));
        } else if (o.perChannelSparsity()) {
            pattern = new SparsityPattern.PerChannel(o.targetSparsity().orElseThrow());
        } else {
            pattern = new SparsityPattern.Unstructured(o.targetSparsity().orElseThrow());
        }
        DataAware.Layer layer = DataAware.layer(job.statistics().get(), o.damp(), o.actOrder());
        return SparseGpt.prune(job.weight(), layer.matrices(), layer.factors(), pattern, o.columnBlock(), o.columnBlock());
    }

    /** The weight axis that block or n:m sparsity runs along. */
    private static int structuredAxis(WeightCompressionPass.Job<Options> job) {
        Options o = job.options();
        int dim = o.dim().orElse(o.blockSize() != 0 ? 0 : 1);
        int axis = dim == 0 ? job.outputAxis() : job.inputAxis();
        if (axis == WeightOperand.NO_AXIS) {
            throw new CompressionNotApplicableException("prune: block and n:m sparsity need the op's "
                    + (dim == 0 ? "output" : "input") + " axis, and the consumers give none");
        }
        if (axis > 1) {
            throw new CompressionNotApplicableException("prune: block and n:m sparsity run along weight axis 0 or 1, but dim "
                    + dim + " is axis " + axis + " here");
        }
        return axis;
    }

    static Value emit(DenseChain chain, PruningResult r) {
        return emit(chain, Tensors.ofMask(chain.store(), r.shape(), r.keep()),
                Tensors.ofFloats(chain.store(), chain.dtype(), new long[] {r.keptCount()}, r.keptValues()));
    }

    private static Value emit(DenseChain chain, TensorData maskData, TensorData valuesData) {
        Value mask = chain.constant("mask", maskData);
        Value values = chain.constant("values", valuesData);
        return chain.op(PareDialectEvaluator.SPARSE_TO_DENSE, "sparse", List.of(mask, values), Attributes.empty());
    }

    /** Prunes a weight read from the tensor a piece at a time, its mask and kept values written to the store as they come. */
    private static WeightCompressionPass.Emitter streamed(WeightCompressionPass.Job<Options> job, int piece) {
        Options o = job.options();
        TensorData dense = job.dense();
        long n = dense.elementCount();
        LinearQuantizer.ValueSource values = (first, into, count) -> Tensors.floats(dense, first, into, count);
        if (nOfM(o)) { // the mask first, a band across the channels at a time; then the kept values in element order
            MagnitudePrunerOptions math = o.magnitudeOptions(structuredAxis(job));
            byte[] bits = StreamedPruner.nOfMMask(job.shape(), math.nmRatio()[0], math.nmRatio()[1], math.dim(), values, piece);
            StoredSparse out = new StoredSparse(job, StreamedPruner.kept(bits));
            StreamedPruner.pruneByMask(n, bits, values, piece, out);
            return out.emitter();
        }
        StreamedPruner.Cut cut = o.mode() == Mode.THRESHOLD ? StreamedPruner.thresholdCut(n, o.thresholdOptions(), values, piece)
                : StreamedPruner.magnitudeCut(n, o.magnitudeOptions(null).targetSparsity(), values, piece);
        StoredSparse out = new StoredSparse(job, cut.kept());
        StreamedPruner.prune(n, cut, values, piece, out);
        return out.emitter();
    }

    /** A streamed weight's mask and kept values, each piece written to the tensor store as it comes. */
    private static final class StoredSparse implements StreamedPruner.PieceSink {
        private final DType dtype;
        private final TensorStore.Writer mask;
        private final TensorStore.Writer kept;

        StoredSparse(WeightCompressionPass.Job<Options> job, long keptCount) {
            dtype = job.dense().dtype();
            mask = job.store().writer(TensorType.of(DType.UINT1, job.shape()));
            kept = job.store().writer(TensorType.of(dtype, new long[] {keptCount}));
        }

        @Override public void accept(byte[] maskBits, int count, float[] keptValues, int keptCount) {
            mask.write(ByteBuffer.wrap(maskBits, 0, (count + 7) / 8));
            kept.write(Tensors.floatBytes(dtype, keptValues, keptCount));
        }

        /** Finishes both tensors; the emitter puts them into the graph. */
        WeightCompressionPass.Emitter emitter() {
            TensorData maskData = mask.finish();
            TensorData valuesData = kept.finish();
            return chain -> emit(chain, maskData, valuesData);
        }
    }
}
