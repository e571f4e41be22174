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
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("weight: element " + i + " is not finite (" + v + ")");
            }
            if (!precision.represents(v)) {
                throw new IllegalArgumentException("weight: element " + i + " (" + v + ") is not an fp16 value");
            }
        }
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
