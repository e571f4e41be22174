package dev.pare.compiler.coreml.lower;

import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;

import java.nio.ByteBuffer;

/**
 * A palettized weight with a scale on its decoded values ({@code pare.affine_dequantize} of a
 * {@code pare.lut_to_dense}), rewritten in the order Core ML wants below iOS26: the scale applied
 * to the LUT first, then the look-up (ir/MIL_DIALECT.md, Constexpr ops notes that the iOS26 runtime takes the LUT
 * first, and older ones the scaled LUT). The two orders give the same values bit for bit because
 * each dense element is {@code scale[block] * lut[group][index]} either way: the new LUT has one
 * entry per pair (LUT group, scale block), so every product is formed from the same two numbers.
 *
 * <p>Along each axis the new groups have length {@code gcd(lut group, scale block)}, so each lies
 * inside one LUT group and one scale block; the LUT entries and the scales are only copied.
 *
 * @param lut   the repeated LUT, shape {@code [N_0..N_{r-1}, palette, 1]}
 * @param scale the scales, one per new group, shape {@code [N_0..N_{r-1}, 1, 1]}
 */
record ScaledLut(TensorData lut, TensorData scale) {

    /**
     * The scaled-LUT form, or null when it does not exist exactly: a vector LUT, a LUT group or
     * scale block that does not divide its axis, or a LUT and scale of other float widths.
     *
     * @param shape      the dense weight's shape
     * @param lut        {@code [G_0..G_{r-1}, palette, vector]}
     * @param scale      {@code [S_0..S_{r-1}]}, blocks of {@code shape[d] / S_d}
     */
    static ScaledLut of(long[] shape, TensorData lut, TensorData scale) {
        int r = shape.length;
        long[] lShape = lut.type().shape();
        long[] sShape = scale.type().shape();
        if (lShape.length != r + 2 || sShape.length != r || lShape[r + 1] != 1) return null;
        if (lut.dtype() != scale.dtype() || lut.dtype().bits() < 8) return null;
        long[] lutGroup = new long[r];
        long[] block = new long[r];
        long[] fitted = new long[r];
        long[] groups = new long[r + 2];
        for (int d = 0; d < r; d++) {
            if (lShape[d] <= 0 || sShape[d] <= 0 || shape[d] % lShape[d] != 0 || shape[d] % sShape[d] != 0) return null;
            lutGroup[d] = shape[d] / lShape[d];
            block[d] = shape[d] / sShape[d];
            fitted[d] = gcd(lutGroup[d], block[d]);
            groups[d] = shape[d] / fitted[d];
        }
        groups[r] = lShape[r];
        groups[r + 1] = 1;
        long[] scaleShape = groups.clone();
        scaleShape[r] = 1;
        return new ScaledLut(repeat(lut, lShape, lutGroup, fitted, groups), repeat(scale, withOnes(sShape), block, fitted, scaleShape));
    }

    private static long[] withOnes(long[] shape) {
        long[] out = java.util.Arrays.copyOf(shape, shape.length + 2);
        out[shape.length] = 1;
        out[shape.length + 1] = 1;
        return out;
    }

    /**
     * {@code param} of shape {@code oldShape} (first r axes one entry per {@code from[d]}
     * elements, the last two copied as they are) spread to {@code newShape} (one entry per
     * {@code fitted[d]} elements).
     */
    private static TensorData repeat(TensorData param, long[] oldShape, long[] from, long[] fitted, long[] newShape) {
        int rank = newShape.length;
        int r = from.length;
        int width = param.dtype().bits() / 8;
        long count = 1;
        for (long n : newShape) count *= n;
        ByteBuffer src = param.bytes();
        byte[] out = new byte[Math.toIntExact(count * width)];
        long[] index = new long[rank];
        for (long k = 0; k < count; k++) {
            long rem = k;
            for (int d = rank - 1; d >= 0; d--) {
                index[d] = rem % newShape[d];
                rem /= newShape[d];
            }
            long old = 0;
            for (int d = 0; d < rank; d++) old = old * oldShape[d] + (d < r ? index[d] * fitted[d] / from[d] : index[d]);
            for (int b = 0; b < width; b++) out[(int) (k * width + b)] = src.get((int) (old * width + b));
        }
        return TensorData.of(TensorType.of(param.dtype(), newShape), out);
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
