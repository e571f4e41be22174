package dev.pare.passes.compression.math;

/**
 * A pruned weight as the sparse ops store it (ir/MIL_DIALECT.md, Constexpr ops): a mask of the non-zero positions
 * and their values in row-major order. As in Core ML Tools, the mask is {@code pruned value != 0},
 * so values that were already 0 are not kept either. Arrays are shared: do not modify them.
 */
public record PruningResult(long[] shape, Precision precision, boolean[] keep, float[] keptValues) {

    public int keptCount() {
        return keptValues.length;
    }

    /** Fraction of zeros after pruning. */
    public double sparsity() {
        return keep.length == 0 ? 0 : 1.0 - (double) keptValues.length / keep.length;
    }

    /** The mask packed one bit per element, LSB first (iOS16 {@code mask}, {@code np.packbits(..., "little")}). */
    public byte[] packedMask() {
        byte[] out = new byte[(keep.length + 7) / 8];
        for (int i = 0; i < keep.length; i++) if (keep[i]) out[i >>> 3] |= (byte) (1 << (i & 7));
        return out;
    }

    /** {@code sparse_to_dense}: zeros with the kept values scattered in row-major order. */
    public float[] decompress() {
        float[] out = new float[keep.length];
        int t = 0;
        for (int e = 0; e < keep.length; e++) if (keep[e]) out[e] = keptValues[t++];
        return out;
    }
}
