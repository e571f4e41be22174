package dev.pare.compiler.coreml.lower;

import dev.pare.ir.DType;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;

/**
 * Makes per-block parameters (scale, zero point) fit Core ML's rule that blocks divide an axis
 * evenly, without changing any decompressed value. Pare's per-block quantization may end an axis
 * with a partial block (48 elements in blocks of 32 = 32 + 16); {@code constexpr_blockwise_shift_scale}
 * cannot say that. Re-blocking the axis with length {@code gcd(B, D)} (16 here: 3 blocks) gives
 * blocks that each lie inside one original block, so repeating each original parameter over its
 * new blocks is lossless; only the parameter tensor grows.
 */
final class BlockRefit {

    private BlockRefit() {}

    /** The block length per axis that divides the axis and nests in the given blocks. */
    static long[] fittedBlocks(long[] shape, long[] blocks) {
        long[] fitted = new long[shape.length];
        for (int d = 0; d < shape.length; d++) fitted[d] = gcd(blocks[d], shape[d]);
        return fitted;
    }

    static boolean needed(long[] shape, long[] blocks) {
        for (int d = 0; d < shape.length; d++) if (shape[d] % blocks[d] != 0) return true;
        return false;
    }

    /**
     * {@code param} (one value per original block, shape {@code ceil(D/B)} per axis) repeated so it
     * has one value per fitted block (shape {@code D / gcd(B, D)} per axis).
     */
    static TensorData expand(TensorData param, long[] shape, long[] blocks) {
        DType dtype = param.dtype();
        long[] fitted = fittedBlocks(shape, blocks);
        long[] oldShape = param.type().shape();
        int rank = shape.length;
        long[] newShape = new long[rank];
        long count = 1;
        for (int d = 0; d < rank; d++) {
            newShape[d] = shape[d] / fitted[d];
            count *= newShape[d];
        }
        ByteBuffer src = param.bytes();
        long[] values = new long[Math.toIntExact(count)];
        byte[] wide = dtype.bits() >= 8 ? new byte[Math.toIntExact(count * (dtype.bits() / 8))] : null;
        long[] index = new long[rank];
        for (long k = 0; k < count; k++) {
            long rem = k;
            for (int d = rank - 1; d >= 0; d--) {
                index[d] = rem % newShape[d];
                rem /= newShape[d];
            }
            long old = 0;
            for (int d = 0; d < rank; d++) old = old * oldShape[d] + index[d] * fitted[d] / blocks[d];
            if (wide != null) {
                int width = dtype.bits() / 8;
                for (int b = 0; b < width; b++) wide[(int) (k * width + b)] = src.get((int) (old * width + b));
            } else {
                values[(int) k] = SubByte.get(src, dtype, old);
            }
        }
        TensorType type = TensorType.of(dtype, newShape);
        return wide != null ? TensorData.of(type, wide) : TensorData.of(type, SubByte.pack(dtype, values));
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
