package dev.pare.passes.compression.math;

import dev.pare.ir.DType;

/**
 * A linearly quantized weight: integer codes plus per-block scales and zero points, in the layout
 * shared by Core ML's {@code constexpr_blockwise_shift_scale} (scale/offset of the data's rank),
 * {@code constexpr_affine_dequantize} (vector along one axis; both in ir/MIL_DIALECT.md, Constexpr
 * ops) and ONNX {@code DequantizeLinear} (scalar, per-axis or blocked). Arrays are shared, not
 * copied: do not modify them.
 *
 * @param shape        the weight shape
 * @param precision    precision of the scales and of the reconstructed weight
 * @param dtype        code type: INT8, UINT8, INT4 or UINT4
 * @param mode         the mode that produced the codes
 * @param blockLengths elements per block along each axis (the whole axis when not blocked)
 * @param scaleShape   {@code ceil(shape[i] / blockLengths[i])} per axis
 * @param quantized    one code per weight element, row-major
 * @param scales       one scale per block, row-major over {@code scaleShape}, in {@code precision}
 * @param zeroPoints   one zero point per block, or null when there is none (signed symmetric)
 * @param keep         sparsity mask (true = kept) for joint pruning, or null
 */
public record LinearQuantization(
        long[] shape,
        Precision precision,
        DType dtype,
        LinearQuantizerOptions.Mode mode,
        int[] blockLengths,
        long[] scaleShape,
        int[] quantized,
        float[] scales,
        int[] zeroPoints,
        boolean[] keep) {

    public boolean hasZeroPoint() {
        return zeroPoints != null;
    }

    /** Whether every block length divides its dimension (Core ML blockwise ops require it). */
    public boolean evenBlocks() {
        for (int i = 0; i < shape.length; i++) if (shape[i] % blockLengths[i] != 0) return false;
        return true;
    }

    /**
     * The single axis along which parameters vary (per-channel form for
     * {@code constexpr_affine_dequantize} / per-axis DequantizeLinear), −1 for per-tensor, or −2
     * when parameters vary along more than one axis.
     */
    public int parameterAxis() {
        int found = -1;
        for (int i = 0; i < scaleShape.length; i++) {
            if (scaleShape[i] != 1) {
                if (found >= 0) return -2;
                found = i;
            }
        }
        return found;
    }

    /** Codes at kept positions only, row-major ({@code nonzero_data} of the sparse ops). */
    public int[] keptQuantized() {
        if (keep == null) return quantized.clone();
        int n = 0;
        for (boolean b : keep) if (b) n++;
        int[] out = new int[n];
        int t = 0;
        for (int e = 0; e < quantized.length; e++) if (keep[e]) out[t++] = quantized[e];
        return out;
    }

    /**
     * The dense weight as the dequantize ops compute it: {@code (q - zp) * scale} in float32 (the
     * integer difference is exact), rounded to {@code precision} (an fp16 product of an integer of
     * at most 9 bits and an fp16 scale is exact in float32, so this equals an fp16 operation), and
     * 0 where the mask is clear.
     */
    public float[] decompress() {
        int n = quantized.length;
        float[] out = new float[n];
        int[] blockOf = blockIndices(shape, blockLengths, scaleShape);
        for (int e = 0; e < n; e++) {
            if (keep != null && !keep[e]) continue;
            int b = blockOf[e];
            int zp = zeroPoints == null ? 0 : zeroPoints[b];
            out[e] = precision.round((float) (quantized[e] - zp) * scales[b]);
        }
        return out;
    }

    /** Index into {@code scales}/{@code zeroPoints} of element {@code e}. */
    public int blockOf(int e) {
        return blockIndex(e, shape.length, Shapes.strides(shape), Shapes.strides(scaleShape));
    }

    /**
     * The block of every element, in element order: the same as {@link #blockOf} for each, but
     * walked row by row (a division per row, not several per element; those divisions were most
     * of int8 per-channel quantization).
     */
    static int[] blockIndices(long[] shape, int[] blockLengths, long[] scaleShape) {
        int n = Shapes.count(shape);
        int[] out = new int[n];
        int rank = shape.length;
        if (rank == 0 || n == 0) return out;
        long[] sStrides = Shapes.strides(scaleShape);
        int last = rank - 1;
        int inner = (int) shape[last];
        int innerBlock = blockLengths[last];
        int innerStride = (int) sStrides[last];
        int[] idx = new int[last]; // position of the current row in the outer dimensions
        for (int e = 0; e < n; ) {
            int b = 0;
            for (int d = 0; d < last; d++) b += (idx[d] / blockLengths[d]) * (int) sStrides[d];
            for (int i = 0, k = 0; i < inner; i++) {
                out[e++] = b;
                if (++k == innerBlock) {
                    k = 0;
                    b += innerStride;
                }
            }
            for (int d = last - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return out;
    }

    int blockIndex(int e, int rank, long[] strides, long[] sStrides) {
        long idx = 0;
        long rest = e;
        for (int d = 0; d < rank; d++) {
            long c = rest / strides[d];
            rest %= strides[d];
            idx += (c / blockLengths[d]) * sStrides[d];
        }
        return (int) idx;
    }
}
