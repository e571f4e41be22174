package dev.pare.passes.compression.math;

/** Small row-major shape helpers. */
final class Shapes {

    private Shapes() {}

    static int axis(int axis, int rank, String what) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException(what + " " + axis + " is out of range for a rank-" + rank + " weight");
        }
        return axis < 0 ? axis + rank : axis;
    }

    /** Product of the dimensions before {@code axis}. */
    static int outer(long[] shape, int axis) {
        long n = 1;
        for (int i = 0; i < axis; i++) n *= shape[i];
        return Math.toIntExact(n);
    }

    /** Product of the dimensions after {@code axis}. */
    static int inner(long[] shape, int axis) {
        long n = 1;
        for (int i = axis + 1; i < shape.length; i++) n *= shape[i];
        return Math.toIntExact(n);
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    static int count(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return Math.toIntExact(n);
    }
}
