package dev.pare.ir;

/**
 * What a compression pass records about a weight's past on the value that now holds it, so
 * writers and {@code pare inspect} can tell users (value metadata; see ir/PARE_DIALECT.md).
 */
public final class WeightHistory {

    private WeightHistory() {}

    /**
     * Value metadata on a weight that was stored compressed (by Core ML {@code mil.constexpr_*}
     * ops) and was decompressed before a pass compressed it again: how it was stored, e.g.
     * {@code int8-quantized (constexpr_affine_dequantize)}.
     */
    public static final String DECOMPRESSED_FROM = "pare.decompressedFrom";
}
