package dev.pare.passes.compression.math;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;

/**
 * The float precision a compressed weight is stored and reconstructed in. Core ML Tools does all
 * compression arithmetic in the weight's numpy dtype and casts LUTs and scales to it; this enum
 * emulates that: an fp16 operation is a float32 operation followed by {@link #round(float)}, which
 * is exactly how numpy evaluates float16 arithmetic (float32 has more than 2·11+2 significand bits,
 * so the double rounding is innocuous for +, −, ×, ÷).
 */
public enum Precision {
    FLOAT32,
    FLOAT16;

    /** Rounds {@code v} to this precision (round-half-even for fp16; identity for fp32). */
    public float round(float v) {
        return this == FLOAT16 ? roundToHalf(v) : v;
    }

    /**
     * {@code Float16.toFloat(Float16.fromFloat(v))} without the conversion's branches where the
     * result is an fp16 normal below 2^15: round-half-even of the 23-bit mantissa to 10 bits is an
     * add and a mask on the float's bits (a carry out of the mantissa raises the exponent, as it
     * should). This is the per-element step of linear quantization (round(w / scale)), where the
     * round trip through a short was a third of an int4 run's CPU. Other values take the round trip.
     */
    static float roundToHalf(float v) {
        int bits = Float.floatToRawIntBits(v);
        int exponent = (bits >>> 23) & 0xFF;
        if (exponent >= 113 && exponent <= 141) { // 2^-14 <= |v| < 2^15: the result stays an fp16 normal
            int lowestKept = (bits >>> 13) & 1;
            return Float.intBitsToFloat((bits + 0xFFF + lowestKept) & ~0x1FFF);
        }
        return Float16.toFloat(Float16.fromFloat(v));
    }

    /**
     * Rounds a double to this precision with a single correct rounding (as numpy's
     * {@code astype}). For fp16 the double is first rounded to float32 with round-to-odd, which
     * keeps the second rounding exact because float32 has more than 11+2 significand bits.
     */
    public float round(double v) {
        float f = (float) v;
        if (this == FLOAT32 || (double) f == v || !Float.isFinite(f)) return round(f);
        // round-to-odd: if the float rounding was inexact, force the last bit to 1
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 1) == 0) {
            float toward = Math.abs((double) f) > Math.abs(v) ? Math.nextDown(Math.abs(f)) : Math.nextUp(Math.abs(f));
            int alt = Float.floatToRawIntBits(toward);
            if ((alt & 1) != 0) f = Math.copySign(toward, f);
        }
        return round(f);
    }

    /** Smallest positive value of this precision (fp16 subnormal 2^-24, or Float.MIN_VALUE). */
    public float smallestPositive() {
        return this == FLOAT16 ? 0x1p-24f : Float.MIN_VALUE;
    }

    /** Whether {@code v} is exactly representable in this precision. */
    public boolean represents(float v) {
        if (this == FLOAT32) return true; // every float, NaN included; this runs for every weight element
        // fp16's normal range: the low 13 mantissa bits must be 0 (no round trip: checked per weight element)
        int bits = Float.floatToRawIntBits(v);
        int exponent = (bits >>> 23) & 0xFF;
        if (exponent >= 113 && exponent <= 142) return (bits & 0x1FFF) == 0;
        return Float.compare(round(v), v) == 0 || (v == 0f);
    }

    /** The IR element type of this precision. */
    public DType dtype() {
        return this == FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
    }

    /** The precision for a float weight type; other types are rejected. */
    public static Precision of(DType dtype) {
        if (dtype == DType.FLOAT16) return FLOAT16;
        if (dtype == DType.FLOAT32) return FLOAT32;
        throw new IllegalArgumentException("weight type must be f32 or f16, got " + dtype.shortName());
    }
}
