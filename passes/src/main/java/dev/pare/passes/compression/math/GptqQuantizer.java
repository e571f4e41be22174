package dev.pare.passes.compression.math;

import java.util.Arrays;

/**
 * GPTQ linear quantization (Frantar et al., arXiv 2210.17323): the codes, scales and zero points of
 * {@link LinearQuantizer}'s encoding (same modes, types, granularities and keep-mask rules, so the
 * result decodes bit-exactly through the same lowering), but each column's codes are chosen after
 * the errors of the columns fixed before it were compensated ({@link ObsSweep}), which minimises
 * the layer's output error on the calibration inputs instead of each weight's own error.
 *
 * <p>A block of parameters (the tensor, an output channel, or an output channel's block of inputs)
 * gets its scale and zero point when its first column is reached, from the block's weights as
 * they are then, with the compensation so far; per-tensor and per-channel parameters therefore
 * come from the original weights, as round-to-nearest's do.
 */
public final class GptqQuantizer {

    private GptqQuantizer() {}

    /**
     * @param weight    the weight tensor
     * @param matrix    how the tensor reads as {@code W[out, in]} in {@code factor}'s column order
     * @param options   mode, code type and granularity, as for {@link LinearQuantizer}
     * @param factor    the layer's inverse-Hessian factor
     * @param lazyBatch columns updated together (GPTQ's block size; the result does not depend on it)
     * @param keep      sparsity mask in tensor order (pruned weights are held at 0), or null
     */
    public static LinearQuantization quantize(WeightTensor weight, WeightMatrix matrix, LinearQuantizerOptions options,
                                              ObsFactor factor, int lazyBatch, boolean[] keep) {
        return quantize(weight, new WeightMatrix[] {matrix}, new ObsFactor[] {factor}, options, lazyBatch, keep);
    }

    /**
     * As above for a layer of several groups (a grouped or depthwise convolution): group {@code g}
     * is {@code matrices[g]} with its own {@code factors[g]}, swept in group order. A block of
     * parameters shared by several groups (per-tensor) gets them from the original weights.
     */
    public static LinearQuantization quantize(WeightTensor weight, WeightMatrix[] matrices, ObsFactor[] factors,
                                              LinearQuantizerOptions options, int lazyBatch, boolean[] keep) {
        long[] shape = weight.shape();
        int n = weight.size();
        if (keep != null && keep.length != n) {
            throw new IllegalArgumentException("gptq: the mask has " + keep.length + " entries but the weight has " + n);
        }
        int[] matrixOf = ObsSweep.coverage(matrices, factors, n);
        int rank = shape.length;
        int[] blockLengths = options.granularity().blockLengths(shape);
        long[] scaleShape = new long[rank];
        for (int d = 0; d < rank; d++) scaleShape[d] = Math.max(1, (shape[d] + blockLengths[d] - 1) / blockLengths[d]);
        int blocks = Shapes.count(scaleShape);
        int[] blockOf = LinearQuantization.blockIndices(shape, blockLengths, scaleShape);
        // the matrix element of each tensor element, and the members of each block (tensor elements, CSR)
        int[] elementOf = new int[n];
        for (WeightMatrix m : matrices) for (int k = 0; k < m.size(); k++) elementOf[m.tensorIndex(k)] = k;
        int[] start = new int[blocks + 1];
        for (int e = 0; e < n; e++) start[blockOf[e] + 1]++;
        for (int b = 0; b < blocks; b++) start[b + 1] += start[b];
        int[] members = new int[n];
        int[] fill = Arrays.copyOf(start, blocks);
        for (int e = 0; e < n; e++) members[fill[blockOf[e]]++] = e;

        Precision p = weight.precision();
        int qmin = options.qmin();
        int qmax = options.qmax();
        float[] scales = new float[blocks];
        int[] zeroPoints = LinearQuantizer.hasZeroPoint(options) ? new int[blocks] : null;
        boolean[] ready = new boolean[blocks];
        int[] codes = new int[n];
        float[] lo = new float[1];
        float[] hi = new float[1];
        float[] s1 = new float[1];
        int[] z1 = zeroPoints == null ? null : new int[1];
        float[] values = weight.values();
        for (int b = 0; b < blocks; b++) {
            boolean shared = false;
            for (int t = start[b]; t < start[b + 1] && !shared; t++) shared = matrixOf[members[t]] != matrixOf[members[start[b]]];
            if (!shared) continue;
            lo[0] = Float.POSITIVE_INFINITY;
            hi[0] = Float.NEGATIVE_INFINITY;
            for (int t = start[b]; t < start[b + 1]; t++) {
                float v = keep == null || keep[members[t]] ? values[members[t]] : 0f;
                lo[0] = Math.min(lo[0], v);
                hi[0] = Math.max(hi[0], v);
            }
            LinearQuantizer.parameters(lo, hi, options, p, s1, z1);
            scales[b] = s1[0];
            if (zeroPoints != null) zeroPoints[b] = z1[0];
            ready[b] = true;
        }

        for (int g = 0; g < matrices.length; g++) {
            WeightMatrix matrix = matrices[g];
            ObsFactor factor = factors[g];
            int rows = matrix.rows();
            int cols = matrix.cols();
            ObsSweep.run(matrix.gather(values), rows, cols, factor, lazyBatch, (position, current, chosen, sweep) -> {
                int column = factor.order()[position];
                for (int r = 0; r < rows; r++) {
                    int e = matrix.tensorIndex(r * cols + column);
                    int b = blockOf[e];
                    if (!ready[b]) {
                        lo[0] = Float.POSITIVE_INFINITY;
                        hi[0] = Float.NEGATIVE_INFINITY;
                        for (int t = start[b]; t < start[b + 1]; t++) {
                            int other = members[t];
                            int k = elementOf[other];
                            float v = keep == null || keep[other] ? (float) sweep.current(k / cols, factor.position()[k % cols]) : 0f;
                            lo[0] = Math.min(lo[0], v);
                            hi[0] = Math.max(hi[0], v);
                        }
                        LinearQuantizer.parameters(lo, hi, options, p, s1, z1);
                        scales[b] = s1[0];
                        if (zeroPoints != null) zeroPoints[b] = z1[0];
                        ready[b] = true;
                    }
                    int zp = zeroPoints == null ? 0 : zeroPoints[b];
                    if (keep != null && !keep[e]) {
                        codes[e] = zp;
                        chosen[r] = 0;
                        continue;
                    }
                    double q = Math.rint(p.round((float) current[r] / scales[b])) + zp;
                    int code = (int) Math.max(qmin, Math.min(qmax, q));
                    codes[e] = code;
                    chosen[r] = p.round((float) (code - zp) * scales[b]);
                }
            });
        }
        return new LinearQuantization(shape.clone(), p, options.dtype(), options.mode(), blockLengths, scaleShape, codes,
                scales, zeroPoints, keep == null ? null : keep.clone());
    }
}
