package dev.pare.passes.compression.math;

import dev.pare.ir.DType;
import dev.pare.ir.LutBits;

/**
 * A palettized weight in the layout of the iOS18 {@code constexpr_lut_to_dense} op, optionally
 * followed by a per-channel scale ({@code constexpr_blockwise_shift_scale} with no offset) and a
 * sparsity mask ({@code constexpr_lut_to_sparse} + {@code constexpr_sparse_to_dense}); all in
 * ir/MIL_DIALECT.md, Constexpr ops. Arrays are shared, not copied: do not modify them.
 *
 * @param shape       the dense weight shape
 * @param precision   the precision of LUT entries, scales and the reconstructed weight
 * @param nbits       index width; each LUT has {@code 2^nbits} entries
 * @param clusterDim  values per LUT entry (vector size)
 * @param axis        the channel axis that LUTs are grouped along and vectors lie along, or −1
 *                    for a scalar per-tensor LUT
 * @param groupSize   channels per LUT along {@code axis} (the whole axis when there is one LUT)
 * @param luts        {@code [numLuts][2^nbits][clusterDim]}, row-major, already in {@code precision}
 * @param indices     one index per position of {@link #indicesShape()} (the weight shape with
 *                    {@code shape[axis] / clusterDim}), row-major; indices at pruned positions
 *                    are 0 and are not emitted by sparse formats
 * @param scales      per-channel scales in {@code precision}, or null
 * @param scaleShape  shape of {@code scales}, the weight's rank with 1 on broadcast axes, or null
 * @param keep        sparsity mask over {@link #indicesShape()} positions (true = kept), or null
 */
public record Palettization(
        long[] shape,
        Precision precision,
        int nbits,
        int clusterDim,
        int axis,
        int groupSize,
        float[] luts,
        int[] indices,
        float[] scales,
        long[] scaleShape,
        boolean[] keep) {

    public int paletteSize() {
        return 1 << nbits;
    }

    public int numLuts() {
        return luts.length / (paletteSize() * clusterDim);
    }

    /** The iOS18 LUT shape: rank+2, the LUT count on {@code axis}, then {@code [2^nbits, clusterDim]}. */
    public long[] lutShape() {
        long[] s = new long[shape.length + 2];
        java.util.Arrays.fill(s, 1);
        if (axis >= 0) s[axis] = numLuts();
        s[shape.length] = paletteSize();
        s[shape.length + 1] = clusterDim;
        return s;
    }

    /** Shape of the index tensor: the weight shape with {@code shape[axis] / clusterDim}. */
    public long[] indicesShape() {
        long[] s = shape.clone();
        if (clusterDim > 1) s[axis] /= clusterDim;
        return s;
    }

    /** Core ML index element type ({@code uint1} … {@code uint8}). */
    public DType indexType() {
        return LutBits.indexTypeOf(nbits).orElseThrow(() -> new IllegalStateException("palettize: no index type for nbits " + nbits));
    }

    /** LUT {@code g}: {@code 2^nbits × clusterDim} values. */
    public float[] lut(int g) {
        int size = paletteSize() * clusterDim;
        return java.util.Arrays.copyOfRange(luts, g * size, (g + 1) * size);
    }

    /** Indices at kept positions only, in row-major order ({@code indices_nonzero_data}). */
    public int[] keptIndices() {
        if (keep == null) return indices.clone();
        int n = 0;
        for (boolean b : keep) if (b) n++;
        int[] out = new int[n];
        int t = 0;
        for (int p = 0; p < indices.length; p++) if (keep[p]) out[t++] = indices[p];
        return out;
    }

    /**
     * The dense weight exactly as the ops compute it: {@code lut[group][index][component]}
     * (lut_to_dense), times the broadcast scale and rounded to {@code precision}
     * (blockwise_shift_scale), and 0 where the mask is clear (sparse_to_dense).
     */
    public float[] decompress() {
        int n = Shapes.count(shape);
        float[] out = new float[n];
        int rank = shape.length;
        int ax = axis < 0 ? 0 : axis;
        int outer = rank == 0 ? 1 : Shapes.outer(shape, ax);
        int channels = rank == 0 ? 1 : (int) shape[ax];
        int inner = rank == 0 ? 1 : Shapes.inner(shape, ax);
        int palette = paletteSize();
        int vectorsPerChannelRow = channels / clusterDim;
        long[] scaleStrides = scales == null ? null : Shapes.strides(scaleShape);
        long[] strides = Shapes.strides(shape);
        for (int o = 0; o < outer; o++) {
            for (int a = 0; a < channels; a++) {
                int group = axis < 0 ? 0 : a / groupSize;
                int vector = a / clusterDim;
                int component = a % clusterDim;
                for (int i = 0; i < inner; i++) {
                    int e = (o * channels + a) * inner + i;
                    int p = (o * vectorsPerChannelRow + vector) * inner + i;
                    if (keep != null && !keep[p]) {
                        out[e] = 0f;
                        continue;
                    }
                    float v = luts[(group * palette + indices[p]) * clusterDim + component];
                    if (scales != null) v = precision.round(v * scales[scaleIndex(e, strides, scaleStrides)]);
                    out[e] = v;
                }
            }
        }
        return out;
    }

    private int scaleIndex(int e, long[] strides, long[] scaleStrides) {
        long idx = 0;
        long rest = e;
        for (int d = 0; d < shape.length; d++) {
            long c = rest / strides[d];
            rest %= strides[d];
            if (scaleShape[d] != 1) idx += c * scaleStrides[d];
        }
        return (int) idx;
    }
}
