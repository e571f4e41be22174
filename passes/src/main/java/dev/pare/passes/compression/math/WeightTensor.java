package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * A dense float weight in row-major (C) order, with the precision it is stored in. The values of
 * an fp16 weight are the float32 widenings of its fp16 elements. Arrays are shared, not copied:
 * callers must not modify them after construction.
 */
public record WeightTensor(float[] values, long[] shape, Precision precision) {

    public WeightTensor {
        if (values == null || shape == null || precision == null) {
            throw new IllegalArgumentException("weight: values, shape and precision are required");
        }
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("weight: dimension " + i + " is negative (" + shape[i] + ")");
            }
            n = Math.multiplyExact(n, shape[i]);
        }
        if (n != values.length) {
            throw new IllegalArgumentException("weight: shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but " + values.length + " values were given");
        }
        int bad = firstNotFinite(values, values.length);
        if (bad >= 0) throw new IllegalArgumentException("weight: element " + bad + " is not finite (" + values[bad] + ")");
        if (precision != Precision.FLOAT32) {
            for (int i = 0; i < values.length; i++) {
                if (!precision.represents(values[i])) {
                    throw new IllegalArgumentException("weight: element " + i + " (" + values[i] + ") is not an fp16 value");
                }
            }
        }
    }

    /**
     * The index of the first infinite or NaN value in {@code values[0, n)}, or −1. Runs for every
     * element of every weight, so the common all-finite case is one branch-free pass (an OR of
     * "exponent all ones" flags, which the JIT vectorises) and only a bad tensor is searched.
     */
    public static int firstNotFinite(float[] values, int n) {
        int allOnes = 0;
        for (int i = 0; i < n; i++) allOnes |= (Float.floatToRawIntBits(values[i]) & 0x7F800000) == 0x7F800000 ? 1 : 0;
        if (allOnes == 0) return -1;
        for (int i = 0; i < n; i++) if (!Float.isFinite(values[i])) return i;
        return -1;
    }

    public static WeightTensor of(float[] values, long[] shape, Precision precision) {
        return new WeightTensor(values, shape, precision);
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return values.length;
    }

    /** Normalises a possibly negative axis; {@code what} names the option in the error. */
    public int axis(int axis, String what) {
        return Shapes.axis(axis, shape.length, what);
    }
}
