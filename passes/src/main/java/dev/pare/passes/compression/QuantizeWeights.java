package dev.pare.passes.compression;

import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.math.CompressionNotApplicableException;
import dev.pare.passes.compression.math.GptqQuantizer;
import dev.pare.passes.compression.math.HalfLinearQuantizer;
import dev.pare.passes.compression.math.ObsFactor;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.WeightOperand;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code quantize_weights}: linear weight quantization, Core ML Tools' {@code linear_quantize_weights}
 * (ir/PARE_DIALECT.md, Compression math): integer codes plus per-tensor, per-output-channel or per-block scales (and zero
 * points for {@code linear} and unsigned symmetric), as {@code pare.affine_dequantize(data, scale
 * [, zero_point])}. Scales have the weight's float type. A weight pruned by {@code prune} has only
 * its kept values quantized and stays sparse: {@code pare.sparse_to_dense(mask, affine_dequantize(...))}.
 * Per-channel needs the consuming op's output axis, per-block also its input axis (op traits); a
 * block size the contract cannot express (the last block shorter than another split would give)
 * leaves the weight dense with a note. Every selected weight is checked before any is compressed: a
 * block_size larger than the weight's input axis, or a granularity whose axes the consumers do not
 * give, fails the pass with {@code CW012} naming the weight and its node; with
 * {@code skip_inapplicable=true} (set by the built-in QUANTIZE_* pipelines, so that for example a
 * depthwise convolution's single input channel does not stop per-block quantization of a model)
 * such a weight stays dense with a note, as Core ML Tools skips it. Common behaviour:
 * {@link WeightCompressionPass}.
 */
public final class QuantizeWeights implements PassProvider<QuantizeWeights.Options> {

    public enum Mode { LINEAR, LINEAR_SYMMETRIC }

    public enum Dtype { INT8, UINT8, INT4, UINT4 }

    public enum Granularity { PER_TENSOR, PER_CHANNEL, PER_BLOCK }

    /** rtn rounds each weight to its nearest code; gptq chooses codes column by column with error compensation (needs calibration data). */
    public enum Algorithm { RTN, GPTQ }

    /** The pass options; see each component's help. */
    public record Options(
            @Option(help = "linear_symmetric (no zero point for signed types, range [-m, m]) or linear (affine, range widened to include 0).")
            Mode mode,
            @Option(help = "Code type: int8, uint8, int4 or uint4.")
            Dtype dtype,
            @Option(help = "One scale per tensor, per output channel, or per output channel and block_size inputs.")
            Granularity granularity,
            @Option(help = "Inputs per block with per_block; 0 = the whole input axis.", min = 0)
            int blockSize,
            @Option(help = "Only weights with more elements than this are compressed (Core ML Tools' default 2048).", min = 0)
            long weightThreshold,
            @Option(help = "Leave a weight the options cannot be applied to (a block_size larger than its input axis, per_channel or per_block without the op's axes) dense with a note instead of failing the pass.")
            boolean skipInapplicable,
            @Option(help = DataAware.CALIBRATION_HELP)
            Calibration calibration,
            @Option(help = DataAware.BIAS_CORRECTION_HELP)
            BiasCorrection biasCorrection,
            @Option(help = "rtn: nearest code per weight; gptq: codes chosen input by input, each error compensated by the inputs "
                    + "not yet quantized, from calibration data (--calibration-data); same encoding.")
            Algorithm algorithm,
            @Option(help = DataAware.DAMP_HELP, min = 0)
            double damp,
            @Option(help = "gptq: quantize the inputs in order of decreasing mean square instead of in order.")
            boolean actOrder,
            @Option(help = DataAware.COLUMN_BLOCK_HELP, min = 1)
            int columnBlock,
            @Option(help = "8-bit codes use 7 bits (int8 -63..63 symmetric, -64..63 linear; uint8 0..127), as ONNX Runtime's "
                    + "reduce_range: its u8 x s8 kernels on x86 CPUs without VNNI cannot saturate then (W8A8 sets it).")
            boolean reduceRange) {

        /** Options that fail on weights they cannot be applied to. */
        public Options(Mode mode, Dtype dtype, Granularity granularity, int blockSize, long weightThreshold) {
            this(mode, dtype, granularity, blockSize, weightThreshold, false);
        }

        /** Options without calibration data (round-to-nearest, no bias correction) and the full 8-bit code range. */
        public Options(Mode mode, Dtype dtype, Granularity granularity, int blockSize, long weightThreshold, boolean skipInapplicable) {
            this(mode, dtype, granularity, blockSize, weightThreshold, skipInapplicable, false);
        }

        /** Options without calibration data (round-to-nearest, no bias correction). */
        public Options(Mode mode, Dtype dtype, Granularity granularity, int blockSize, long weightThreshold, boolean skipInapplicable,
                       boolean reduceRange) {
            this(mode, dtype, granularity, blockSize, weightThreshold, skipInapplicable, Calibration.ONE_SHOT, BiasCorrection.NONE,
                    Algorithm.RTN, ObsFactor.DEFAULT_DAMP, false, DataAware.DEFAULT_COLUMN_BLOCK, reduceRange);
        }

        /** Options with the full 8-bit code range. */
        public Options(Mode mode, Dtype dtype, Granularity granularity, int blockSize, long weightThreshold, boolean skipInapplicable,
                       Calibration calibration, BiasCorrection biasCorrection, Algorithm algorithm, double damp, boolean actOrder,
                       int columnBlock) {
            this(mode, dtype, granularity, blockSize, weightThreshold, skipInapplicable, calibration, biasCorrection, algorithm, damp,
                    actOrder, columnBlock, false);
        }

        public Options {
            DataAware.checkOptions(calibration, biasCorrection, damp, columnBlock);
            if (mode == null || dtype == null || granularity == null || algorithm == null) {
                throw new IllegalArgumentException("quantize_weights: mode, dtype, granularity and algorithm are required");
            }
            if (blockSize < 0) throw new IllegalArgumentException("quantize_weights: block_size must be >= 0, got " + blockSize);
            if (weightThreshold < 0) throw new IllegalArgumentException("quantize_weights: weight_threshold must be >= 0, got " + weightThreshold);
            if (reduceRange && (dtype == Dtype.INT4 || dtype == Dtype.UINT4)) {
                throw new IllegalArgumentException("quantize_weights: reduce_range needs dtype int8 or uint8, got "
                        + dtype.name().toLowerCase(java.util.Locale.ROOT));
            }
        }

        DType codeType() {
            return DType.valueOf(dtype.name());
        }
    }

    /** Dense float32 weights of more bytes than this are quantized a piece at a time (same result, less heap). */
    // 16 MiB, not only the weights too large for the heap: the streamed path reads float16 values
    // without a per-element check and float array of the whole weight, so it also takes less CPU
    // (all of a 7B model's 32 MiB attention weights go this way)
    static final long STREAM_ABOVE_BYTES = 16L << 20;

    /**
     * Dense float16 weights of more bytes than this are streamed: every one, since the float16
     * kernel ({@link HalfLinearQuantizer}) reads the stored bits once and packs its codes as it goes,
     * where the whole-weight path widens the weight to floats, checks each value, indexes each
     * value's block and packs int codes afterwards (same result, several times the CPU per value).
     */
    static final long HALF_STREAM_ABOVE_BYTES = 0;

    private final WeightTraits traits;
    private final long streamAboveBytes;
    private final long halfStreamAboveBytes;
    private final int piece;

    public QuantizeWeights() { this(WeightTraits.discover()); }

    public QuantizeWeights(WeightTraits traits) {
        this(traits, STREAM_ABOVE_BYTES, HALF_STREAM_ABOVE_BYTES, WeightCompressionPass.PIECE);
    }

    /** Tests lower {@code streamAboveBytes} and {@code piece} (elements read at once, a multiple of 8) to stream small weights in many pieces. */
    QuantizeWeights(WeightTraits traits, long streamAboveBytes, int piece) {
        this(traits, streamAboveBytes, streamAboveBytes, piece);
    }

    private QuantizeWeights(WeightTraits traits, long streamAboveBytes, long halfStreamAboveBytes, int piece) {
        if (piece <= 0 || piece % 8 != 0) throw new IllegalArgumentException("quantize_weights: piece must be a positive multiple of 8, got " + piece);
        this.traits = traits;
        this.streamAboveBytes = streamAboveBytes;
        this.halfStreamAboveBytes = halfStreamAboveBytes;
        this.piece = piece;
    }

    @Override public PassInfo info() {
        return PassInfo.required("quantize_weights", "Quantizes weights linearly to 8 or 4 bits with per-tensor, per-channel or per-block scales.");
    }

    @Override public Options defaults() {
        return new Options(Mode.LINEAR_SYMMETRIC, Dtype.INT8, Granularity.PER_CHANNEL, 32, 2048, false, false);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return new WeightCompressionPass<>("quantize_weights", options, traits) {
            @Override long weightThreshold(Options o) { return o.weightThreshold(); }

            @Override Calibration calibration(Options o) { return o.calibration(); }

            @Override BiasCorrection biasCorrection(Options o) { return o.biasCorrection(); }

            @Override boolean compressesPruned() { return true; }

            @Override boolean skipsInapplicable(Options o) { return o.skipInapplicable(); }

            @Override boolean checksValues(Options o, long bytes) { return false; } // the check needs only the shape

            @Override boolean streams(Options o, long bytes) { return bytes > streamAboveBytes; }

            @Override boolean streams(Options o, TensorData dense) {
                return dense.dtype() == DType.FLOAT16 && HalfLinearQuantizer.packs(o.codeType()) ? dense.byteSize() > halfStreamAboveBytes
                        : streams(o, dense.byteSize());
            }

            @Override StatisticsNeed statisticsNeed(Options o) {
                return o.algorithm() == Algorithm.GPTQ ? DataAware.SECOND_MOMENT : StatisticsNeed.NONE;
            }

            @Override void check(Job<Options> job) {
                Options o = job.options();
                granularity(o, job);
                if (o.granularity() == Granularity.PER_BLOCK && o.blockSize() > 0) {
                    long inputs = job.shape()[job.inputAxis()];
                    if (o.blockSize() > inputs) {
                        throw new CompressionNotApplicableException("quantize_weights: block_size " + o.blockSize() + " is larger than the "
                                + inputs + " inputs on axis " + job.inputAxis());
                    }
                }
            }

            @Override Emitter compress(Job<Options> job) {
                Options o = job.options();
                QuantGranularity granularity = granularity(o, job);
                LinearQuantizerOptions math = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.valueOf(o.mode().name()),
                        o.codeType(), granularity, o.reduceRange());
                if (job.weight() == null) return streamed(job, math, piece);
                LinearQuantization q;
                if (o.algorithm() == Algorithm.GPTQ && job.statistics().isPresent()) {
                    DataAware.Layer layer = DataAware.layer(job.statistics().get(), o.damp(), o.actOrder());
                    q = GptqQuantizer.quantize(job.weight(), layer.matrices(), layer.factors(), math, o.columnBlock(), job.keep());
                } else {
                    q = LinearQuantizer.quantize(job.weight(), math, job.keep());
                }
                return chain -> emit(chain, q, Tensors.ofInts(chain.store(), q.dtype(), q.shape(), q.quantized()));
            }
        };
    }

    /** Quantizes a weight read from the tensor a piece at a time, its codes written to the store as they come. */
    private static WeightCompressionPass.Emitter streamed(WeightCompressionPass.Job<Options> job, LinearQuantizerOptions math, int piece) {
        TensorData dense = job.dense();
        long[] shape = job.shape();
        TensorStore.Writer codes = job.store().writer(TensorType.of(math.dtype(), shape));
        if (dense.dtype() == DType.FLOAT16 && HalfLinearQuantizer.packs(math.dtype())) {
            // float16: the codes straight from the stored bits, packed as they come (same codes, less CPU)
            LinearQuantization result = HalfLinearQuantizer.quantize(shape, Tensors.halfSource(dense),
                    math, piece, (packed, count) -> codes.write(ByteBuffer.wrap(packed, 0, count)), job.split());
            TensorData data = codes.finish();
            return chain -> emit(chain, result, data);
        }
        LinearQuantization result = LinearQuantizer.quantize(shape, Precision.of(dense.dtype()),
                (first, into, count) -> Tensors.floats(dense, first, into, count), math, piece,
                (q, count) -> codes.write(ByteBuffer.wrap(Tensors.pack(math.dtype(), q, count))), job.split());
        TensorData data = codes.finish();
        return chain -> emit(chain, result, data);
    }

    private static QuantGranularity granularity(Options o, WeightCompressionPass.Job<Options> job) {
        switch (o.granularity()) {
            case PER_TENSOR:
                return new QuantGranularity.PerTensor();
            case PER_CHANNEL:
                if (job.outputAxis() == WeightOperand.NO_AXIS) {
                    throw new CompressionNotApplicableException("quantize_weights: per_channel needs an output-channel axis, and the consumers give none");
                }
                return new QuantGranularity.PerChannel(job.outputAxis());
            default:
                if (job.outputAxis() == WeightOperand.NO_AXIS || job.inputAxis() == WeightOperand.NO_AXIS) {
                    throw new CompressionNotApplicableException("quantize_weights: per_block needs output and input axes, and the consumers give none");
                }
                return o.blockSize() == 0 ? new QuantGranularity.PerChannel(job.outputAxis())
                        : new QuantGranularity.PerBlock(job.outputAxis(), job.inputAxis(), o.blockSize());
        }
    }

    /**
     * {@code block_sizes} only when a partial last block makes ceil(D/S) differ from the real block
     * length (e.g. 40 input channels in blocks of 16: 3 scales, but ceil(40/3) = 14).
     */
    static Attributes blockSizesIfNeeded(LinearQuantization q) {
        long[] shape = q.shape();
        long[] scales = q.scaleShape();
        long[] blocks = new long[shape.length];
        boolean needed = false;
        for (int d = 0; d < shape.length; d++) {
            blocks[d] = shape[d] == 0 ? 1 : (shape[d] + scales[d] - 1) / scales[d];
            long real = q.blockLengths()[d];
            if (real != blocks[d]) {
                blocks[d] = real;
                needed = true;
            }
        }
        return needed ? Attributes.builder().put("block_sizes", Attribute.ofInts(blocks)).build() : Attributes.empty();
    }

    /** {@code affine_dequantize(data = codes, scale[, zero_point])}, then the existing sparsity mask. */
    static Value emit(DenseChain chain, LinearQuantization q, TensorData codes) {
        Value data = chain.constant("quantized", codes);
        Value scale = chain.constant("scale", Tensors.ofFloats(chain.store(), chain.dtype(), q.scaleShape(), q.scales()));
        List<Value> operands = new ArrayList<>(List.of(data, scale));
        if (q.hasZeroPoint()) operands.add(chain.constant("zero_point", Tensors.ofInts(chain.store(), q.dtype(), q.scaleShape(), q.zeroPoints())));
        Value dense = chain.op(PareDialectEvaluator.AFFINE_DEQUANTIZE, "dequantized", operands, blockSizesIfNeeded(q));
        if (chain.existingMask() != null) {
            dense = chain.op(PareDialectEvaluator.SPARSE_TO_DENSE, "sparse", List.of(chain.existingMask(), dense), Attributes.empty());
        }
        return dense;
    }
}
