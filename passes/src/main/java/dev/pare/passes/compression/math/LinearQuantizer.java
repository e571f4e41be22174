package dev.pare.passes.compression.math;

import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;

/**
 * Linear weight quantization, following Core ML Tools {@code quantize_weight_by_dtype} and
 * {@code compute_qparams_by_dtype} (ir/PARE_DIALECT.md, Compression math) per block:
 * <ul>
 *   <li>range: [qmin, qmax] = [-2^(b-1), 2^(b-1)-1] signed or [0, 2^b-1] unsigned; symmetric mode
 *       drops one code (int8 → [-127, 127], uint8 → [0, 254], int4 → [-7, 7], uint4 → [0, 14]).</li>
 *   <li>symmetric: {@code m = max(|min|, |max|)}, {@code scale = 2m / (qmax - qmin)},
 *       {@code q = round(w / scale)}; unsigned adds the zero point {@code qmax / 2} (127, 7);
 *       signed has no zero point.</li>
 *   <li>linear (affine): {@code min = min(0, min)}, {@code max = max(0, max)},
 *       {@code scale = (max - min) / (qmax - qmin)},
 *       {@code zp = clip(round((qmin·max − qmax·min) / (max − min)))},
 *       {@code q = clip(round(w / scale) + zp)}.</li>
 * </ul>
 * Arithmetic is done in the weight's precision (numpy evaluates fp16 arrays in fp16), and the scale
 * is stored in that precision. {@code round} is round-half-even, both in numpy and in ONNX
 * QuantizeLinear ({@code saturate(round_half_even(x / scale) + zp)}, ONNX QuantizeLinear/DequantizeLinear), so the two
 * agree given the same scale and zero point; ONNX Runtime's own quantizer chooses its scales
 * differently, which does not matter here because only DequantizeLinear runs on our output.
 *
 * <p>Choices where Core ML Tools would produce NaN: a block whose range is 0 (all zeros) gets
 * scale 1 and zero point 0 (unsigned symmetric: {@code qmax / 2}); a scale that rounds to 0 in
 * fp16 becomes the smallest positive fp16 (codes then saturate). A partial last block is allowed
 * (ONNX blocked quantization); Core ML Tools would skip such a weight, see
 * {@link LinearQuantization#evenBlocks()}. With a keep-mask, pruned elements count as 0 (which
 * leaves the parameters unchanged, since every range already contains 0), get the zero point as
 * their code and decompress to exactly 0.
 */
public final class LinearQuantizer {

    private LinearQuantizer() {}

    public static LinearQuantization quantize(WeightTensor weight, LinearQuantizerOptions options) {
        return quantize(weight, options, null);
    }

    public static LinearQuantization quantize(WeightTensor weight, LinearQuantizerOptions options, boolean[] keep) {
        if (keep != null && keep.length != weight.size()) {
            throw new IllegalArgumentException("linear_quantize: the mask has " + keep.length + " entries but the weight has " + weight.size());
        }
        long[] shape = weight.shape();
        int rank = shape.length;
        int[] blockLengths = options.granularity().blockLengths(shape);
        long[] scaleShape = new long[rank];
        for (int d = 0; d < rank; d++) scaleShape[d] = Math.max(1, (shape[d] + blockLengths[d] - 1) / blockLengths[d]);
        int blocks = Shapes.count(scaleShape);
        float[] w = weight.values();
        Precision p = weight.precision();

        // per-block min and max (pruned values count as 0)
        float[] lo = new float[blocks];
        float[] hi = new float[blocks];
        java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
        int[] blockOf = LinearQuantization.blockIndices(shape, blockLengths, scaleShape);
        for (int e = 0; e < w.length; e++) {
            int b = blockOf[e];
            float v = keep == null || keep[e] ? w[e] : 0f;
            if (v < lo[b]) lo[b] = v;
            if (v > hi[b]) hi[b] = v;
        }

        int qmin = options.qmin();
        int qmax = options.qmax();
        boolean symmetric = options.mode() == Mode.LINEAR_SYMMETRIC;
        boolean hasZeroPoint = !(symmetric && options.signed());
        float[] scales = new float[blocks];
        int[] zeroPoints = hasZeroPoint ? new int[blocks] : null;
        for (int b = 0; b < blocks; b++) {
            float min = lo[b];
            float max = hi[b];
            if (symmetric) {
                float m = Math.max(Math.abs(min), Math.abs(max));
                min = -m;
                max = m;
            } else {
                min = Math.min(0f, min);
                max = Math.max(0f, max);
            }
            float range = p.round(max - min);
            if (!Float.isFinite(range)) range = max - min; // fp16 overflow near ±65504: keep the float32 range
            int zp = 0;
            float scale;
            if (range == 0f) {
                scale = 1f;
                if (symmetric && !options.signed()) zp = qmax / 2;
            } else {
                scale = p.round(range / (float) (qmax - qmin));
                if (scale == 0f) scale = p.smallestPositive();
                if (symmetric) {
                    zp = options.signed() ? 0 : qmax / 2;
                } else {
                    float zf = p.round(p.round(p.round(qmin * max) - p.round(qmax * min)) / range);
                    double z = Float.isFinite(zf) ? zf : ((double) qmin * max - (double) qmax * min) / ((double) max - min);
                    zp = (int) Math.max(qmin, Math.min(qmax, Math.rint(z)));
                }
            }
            scales[b] = scale;
            if (zeroPoints != null) zeroPoints[b] = zp;
        }

        int[] q = new int[w.length];
        for (int e = 0; e < w.length; e++) {
            int b = blockOf[e];
            float v = keep == null || keep[e] ? w[e] : 0f;
            double r = Math.rint(p.round(v / scales[b])) + (zeroPoints == null ? 0 : zeroPoints[b]);
            q[e] = (int) Math.max(qmin, Math.min(qmax, r));
        }
        return new LinearQuantization(shape.clone(), p, options.dtype(), options.mode(), blockLengths, scaleShape, q,
                scales, zeroPoints, keep == null ? null : keep.clone());
    }
}
