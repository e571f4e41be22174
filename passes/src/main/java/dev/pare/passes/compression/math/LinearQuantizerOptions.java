package dev.pare.passes.compression.math;

import dev.pare.ir.DType;

/**
 * Options of {@link LinearQuantizer}, mirroring Core ML Tools' {@code OpLinearQuantizerConfig}
 * (ir/PARE_DIALECT.md, Compression math) minus the pass-level {@code weight_threshold}.
 *
 * @param mode        affine with a zero point, or symmetric
 * @param dtype       {@code INT8}, {@code UINT8}, {@code INT4} or {@code UINT4}
 * @param granularity per tensor, per channel, or per block
 * @param reduceRange 8-bit codes use 7 bits (int8 [-64, 63], uint8 [0, 127]), so that ONNX Runtime's
 *                    u8 x s8 kernels on CPUs without VNNI cannot saturate their int16 pair sums
 */
public record LinearQuantizerOptions(Mode mode, DType dtype, QuantGranularity granularity, boolean reduceRange) {

    public enum Mode { LINEAR, LINEAR_SYMMETRIC }

    /** Options with the full code range. */
    public LinearQuantizerOptions(Mode mode, DType dtype, QuantGranularity granularity) {
        this(mode, dtype, granularity, false);
    }

    public LinearQuantizerOptions {
        if (mode == null) mode = Mode.LINEAR_SYMMETRIC;
        if (dtype == null) dtype = DType.INT8;
        if (granularity == null) throw new IllegalArgumentException("linear_quantize: granularity is required");
        if (dtype != DType.INT8 && dtype != DType.UINT8 && dtype != DType.INT4 && dtype != DType.UINT4) {
            throw new IllegalArgumentException("linear_quantize: dtype must be int8, uint8, int4 or uint4, got " + dtype.shortName());
        }
        if (reduceRange && dtype.bits() != 8) {
            throw new IllegalArgumentException("linear_quantize: reduce_range needs an 8-bit dtype, got " + dtype.shortName());
        }
    }

    public boolean signed() {
        return dtype == DType.INT8 || dtype == DType.INT4;
    }

    public int bits() {
        return dtype.bits();
    }

    /** Bits the codes use: {@link #bits()}, one less with {@code reduceRange}. */
    private int codeBits() {
        return reduceRange ? bits() - 1 : bits();
    }

    /** Smallest code: {@code -2^(b-1)} signed (+1 when symmetric), 0 unsigned (ir/PARE_DIALECT.md, Compression math). */
    public int qmin() {
        if (!signed()) return 0;
        int q = -(1 << (codeBits() - 1));
        return mode == Mode.LINEAR_SYMMETRIC ? q + 1 : q;
    }

    /** Largest code: {@code 2^(b-1)-1} signed, {@code 2^b-1} unsigned (−1 when symmetric). */
    public int qmax() {
        if (signed()) return (1 << (codeBits() - 1)) - 1;
        int q = (1 << codeBits()) - 1;
        return mode == Mode.LINEAR_SYMMETRIC ? q - 1 : q;
    }
}
