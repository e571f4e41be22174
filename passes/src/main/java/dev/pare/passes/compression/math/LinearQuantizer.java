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
        float[] scales = new float[blocks];
        int[] zeroPoints = hasZeroPoint(options) ? new int[blocks] : null;
        parameters(lo, hi, options, p, scales, zeroPoints);

        int[] q = new int[w.length];
        for (int e = 0; e < w.length; e++) {
            int b = blockOf[e];
            float v = keep == null || keep[e] ? w[e] : 0f;
            q[e] = code(p.round(v / scales[b]), zeroPoints == null ? 0 : zeroPoints[b], qmin, qmax);
        }
        return new LinearQuantization(shape.clone(), p, options.dtype(), options.mode(), blockLengths, scaleShape, q,
                scales, zeroPoints, keep == null ? null : keep.clone());
    }

    static boolean hasZeroPoint(LinearQuantizerOptions options) {
        return !(options.mode() == Mode.LINEAR_SYMMETRIC && options.signed());
    }

    /** Adding and then subtracting 1.5·2^23 rounds a float of magnitude at most 2^22 to an integer, half to even. */
    private static final float ROUNDER = 0x1.8p23f;
    private static final float ROUNDS_EXACTLY = 0x1p22f;

    /**
     * The code of a scaled value {@code x} (already in the weight's precision):
     * {@code clip(round_half_even(x) + zp, qmin, qmax)}, exactly what {@code (int) clip(Math.rint(x) + zp)}
     * gives (NaN included: code 0), without {@code rint}'s call and the double round trip, so that
     * the loop over a weight's elements stays in float registers. Clamping {@code x} to ±2^22 first
     * changes nothing after the final clip (codes and zero points are below 2^8) and keeps the
     * rounding by addition exact; {@code + zp} is exact because every value involved is an integer
     * below 2^24. {@code LinearQuantizerTest} checks it against the rint form on ties, ±0,
     * subnormals, huge values, infinities and NaN.
     */
    static int code(float x, int zeroPoint, int qmin, int qmax) {
        float c = Math.max(-ROUNDS_EXACTLY, Math.min(ROUNDS_EXACTLY, x));
        float r = (c + ROUNDER) - ROUNDER + zeroPoint;
        return (int) Math.max(qmin, Math.min(qmax, r));
    }

    /** Each block's scale and zero point from its min {@code lo} and max {@code hi}. */
    static void parameters(float[] lo, float[] hi, LinearQuantizerOptions options, Precision p, float[] scales, int[] zeroPoints) {
        int qmin = options.qmin();
        int qmax = options.qmax();
        boolean symmetric = options.mode() == Mode.LINEAR_SYMMETRIC;
        for (int b = 0; b < scales.length; b++) {
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
    }

    /** Reads the weight's elements {@code [first, first + count)}, row-major, into {@code into[0, count)}. */
    @FunctionalInterface
    public interface ValueSource {
        void read(long first, float[] into, int count);
    }

    /** Takes the next {@code count} codes, in element order. */
    @FunctionalInterface
    public interface CodeSink {
        void accept(int[] codes, int count);
    }

    /**
     * As {@link #quantize(WeightTensor, LinearQuantizerOptions)} (same parameters and codes), for a
     * weight of any size read in pieces of {@code piece} elements: a first pass over the pieces finds
     * each block's range, a second quantizes each piece and hands its codes to {@code codes}. Memory
     * is one piece plus the per-block parameters. The values must be finite and representable in
     * {@code precision}. The result has no {@link LinearQuantization#quantized()} codes (null).
     */
    public static LinearQuantization quantize(long[] shape, Precision precision, ValueSource values, LinearQuantizerOptions options,
                                              int piece, CodeSink codes) {
        return quantize(shape, precision, values, options, piece, codes, SplitWork.INLINE);
    }

    /**
     * As above; when blocks span more than a piece (per-channel scales of a MatMul weight), both
     * passes are split by element ranges over {@code split} ({@code values} is then read from
     * several threads at once): the ranges are merged in part order, so the parameters and codes
     * are the same for any split, and the codes still go to {@code codes} in order on this thread.
     */
    public static LinearQuantization quantize(long[] shape, Precision precision, ValueSource values, LinearQuantizerOptions options,
                                              int piece, CodeSink codes, SplitWork split) {
        if (piece <= 0) throw new IllegalArgumentException("linear_quantize: piece must be positive, got " + piece);
        int rank = shape.length;
        int[] blockLengths = options.granularity().blockLengths(shape);
        long[] scaleShape = new long[rank];
        for (int d = 0; d < rank; d++) scaleShape[d] = Math.max(1, (shape[d] + blockLengths[d] - 1) / blockLengths[d]);
        int blocks = Shapes.count(scaleShape);
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        long[] strides = Shapes.strides(shape);
        long[] sStrides = Shapes.strides(scaleShape);
        // A band (one block's extent along axis 0, all of the other axes) holds whole blocks only:
        // when a piece holds a band, each piece's blocks are complete in it, so one read per piece
        // gives their ranges and codes (a MatMul weight [in, out] with blocks of 32 along in: 32 rows).
        long band = rank == 0 ? 1 : (long) blockLengths[0] * strides[0];
        if (n > 0 && band <= piece) {
            return quantizeByBands(shape, precision, values, options, (int) (piece / band * band), codes, blockLengths, scaleShape,
                    blocks, n, band, rank == 0 ? blocks : sStrides[0], strides, sStrides);
        }
        int length = (int) Math.min(piece, Math.max(1, n));
        Runs runs = new Runs(shape, blockLengths, strides, sStrides);

        // each part widens ranges of its own over its elements; merged in part order with the same
        // strict comparisons, a block keeps the first of equal extremes (0 or -0) as one pass does
        long total = n;
        float[][] los = new float[split.parts()][];
        float[][] his = new float[split.parts()][];
        split.run(split.parts(), p -> {
            float[] lo = new float[blocks];
            float[] hi = new float[blocks];
            java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            float[] w = new float[length];
            long end = split.start(total, p + 1);
            for (long first = split.start(total, p); first < end; first += w.length) {
                int count = (int) Math.min(w.length, end - first);
                values.read(first, w, count);
                runs.widenRanges(w, first, count, 0, lo, hi);
            }
            los[p] = lo;
            his[p] = hi;
        });
        float[] lo = los[0];
        float[] hi = his[0];
        for (int p = 1; p < los.length; p++) {
            for (int b = 0; b < blocks; b++) {
                if (los[p][b] < lo[b]) lo[b] = los[p][b];
                if (his[p][b] > hi[b]) hi[b] = his[p][b];
            }
            los[p] = null;
            his[p] = null;
        }
        float[] scales = new float[blocks];
        int[] zeroPoints = hasZeroPoint(options) ? new int[blocks] : null;
        parameters(lo, hi, options, precision, scales, zeroPoints);
        lo = null; // dropped before the second pass
        hi = null;

        int qmin = options.qmin();
        int qmax = options.qmax();
        int[] q = new int[length];
        int slice = (int) split.start(length, 1); // part 0's slice of a piece is the longest
        float[][] ws = new float[split.parts()][slice];
        int[][] qs = new int[split.parts()][];
        for (int p = 1; p < qs.length; p++) qs[p] = new int[slice];
        qs[0] = q; // part 0's codes are the piece's first
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            long pieceFirst = first;
            split.run(split.parts(), p -> { // each part reads and codes its own slice of the piece
                int from = (int) split.start(count, p);
                int to = (int) split.start(count, p + 1);
                if (to == from) return;
                values.read(pieceFirst + from, ws[p], to - from);
                runs.codes(ws[p], pieceFirst + from, to - from, precision, scales, zeroPoints, qmin, qmax, qs[p]);
            });
            for (int p = 1; p < qs.length; p++) {
                int from = (int) split.start(count, p);
                System.arraycopy(qs[p], 0, q, from, (int) split.start(count, p + 1) - from);
            }
            codes.accept(q, count);
        }
        return new LinearQuantization(shape.clone(), precision, options.dtype(), options.mode(), blockLengths, scaleShape, null,
                scales, zeroPoints, null);
    }

    /**
     * The streamed quantization with one read of each value: pieces of whole bands ({@code chunk}
     * elements, a multiple of {@code band}), whose blocks {@code [first / band · perBand, ...)} are
     * all inside the piece, so their parameters are final before the piece's codes are computed.
     */
    private static LinearQuantization quantizeByBands(long[] shape, Precision precision, ValueSource values,
                                                      LinearQuantizerOptions options, int chunk, CodeSink codes, int[] blockLengths,
                                                      long[] scaleShape, int blocks, long n, long band, long perBand,
                                                      long[] strides, long[] sStrides) {
        int length = (int) Math.min(chunk, n);
        float[] w = new float[length];
        Runs runs = new Runs(shape, blockLengths, strides, sStrides);
        int[] q = new int[length];
        float[] scales = new float[blocks];
        int[] zeroPoints = hasZeroPoint(options) ? new int[blocks] : null;
        int qmin = options.qmin();
        int qmax = options.qmax();
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            values.read(first, w, count);
            int from = (int) (first / band * perBand);
            int to = (int) Math.min(blocks, (first + count + band - 1) / band * perBand);
            float[] lo = new float[to - from];
            float[] hi = new float[to - from];
            java.util.Arrays.fill(lo, Float.POSITIVE_INFINITY);
            java.util.Arrays.fill(hi, Float.NEGATIVE_INFINITY);
            runs.widenRanges(w, first, count, from, lo, hi);
            float[] pieceScales = new float[to - from];
            int[] pieceZeroPoints = zeroPoints == null ? null : new int[to - from];
            parameters(lo, hi, options, precision, pieceScales, pieceZeroPoints);
            System.arraycopy(pieceScales, 0, scales, from, to - from);
            if (zeroPoints != null) System.arraycopy(pieceZeroPoints, 0, zeroPoints, from, to - from);
            runs.codes(w, first, count, precision, scales, zeroPoints, qmin, qmax, q);
            codes.accept(q, count);
        }
        return new LinearQuantization(shape.clone(), precision, options.dtype(), options.mode(), blockLengths, scaleShape, null,
                scales, zeroPoints, null);
    }

    /**
     * A weight's elements in row-major order as runs of one block: the elements of an innermost
     * row that share a block. A streamed piece is visited run by run, so the block index is
     * computed once a run, not looked up per element, and the inner loops are plain array loops
     * (with blocks along another axis, as a MatMul weight's per-channel or per-block scales, a
     * row's elements each have their own block, {@code base + column}).
     */
    private record Runs(long[] shape, int[] blockLengths, long[] strides, long[] sStrides) {

        /** Widens {@code lo[b - offset]} and {@code hi[b - offset]} by the elements {@code [first, first + count)} in {@code w}. */
        void widenRanges(float[] w, long first, int count, int offset, float[] lo, float[] hi) {
            int rank = shape.length;
            if (rank == 0) {
                for (int i = 0; i < count; i++) widen(w[i], -offset, lo, hi);
                return;
            }
            long inner = shape[rank - 1];
            int innerBlock = blockLengths[rank - 1];
            for (int i = 0; i < count; ) {
                long e = first + i;
                int col = (int) (e % inner);
                int run = (int) Math.min(count - i, inner - col);
                int base = (int) (rowBase(e - col) - offset);
                if (innerBlock == 1) {
                    int at = base + col - i;
                    for (int k = i; k < i + run; k++) widen(w[k], at + k, lo, hi);
                } else {
                    for (int k = 0; k < run; ) {
                        int b = base + (col + k) / innerBlock;
                        int end = Math.min(run, (((col + k) / innerBlock) + 1) * innerBlock - col);
                        for (int j = i + k; j < i + end; j++) widen(w[j], b, lo, hi);
                        k = end;
                    }
                }
                i += run;
            }
        }

        private static void widen(float v, int b, float[] lo, float[] hi) {
            if (v < lo[b]) lo[b] = v;
            if (v > hi[b]) hi[b] = v;
        }

        /** The codes of the elements {@code [first, first + count)} in {@code w} into {@code q[0, count)}. */
        void codes(float[] w, long first, int count, Precision precision, float[] scales, int[] zeroPoints, int qmin, int qmax, int[] q) {
            int rank = shape.length;
            boolean rounds = precision != Precision.FLOAT32;
            if (rank == 0) {
                for (int i = 0; i < count; i++) q[i] = codeOf(w[i], 0, rounds, precision, scales, zeroPoints, qmin, qmax);
                return;
            }
            long inner = shape[rank - 1];
            int innerBlock = blockLengths[rank - 1];
            for (int i = 0; i < count; ) {
                long e = first + i;
                int col = (int) (e % inner);
                int run = (int) Math.min(count - i, inner - col);
                int base = (int) rowBase(e - col);
                if (innerBlock == 1) {
                    int at = base + col - i;
                    if (!rounds && zeroPoints == null) { // float32, signed symmetric (int8 / int4 per channel): the common loop
                        for (int k = i; k < i + run; k++) q[k] = code(w[k] / scales[at + k], 0, qmin, qmax);
                    } else {
                        for (int k = i; k < i + run; k++) q[k] = codeOf(w[k], at + k, rounds, precision, scales, zeroPoints, qmin, qmax);
                    }
                } else {
                    for (int k = 0; k < run; ) {
                        int b = base + (col + k) / innerBlock;
                        int end = Math.min(run, (((col + k) / innerBlock) + 1) * innerBlock - col);
                        for (int j = i + k; j < i + end; j++) q[j] = codeOf(w[j], b, rounds, precision, scales, zeroPoints, qmin, qmax);
                        k = end;
                    }
                }
                i += run;
            }
        }

        private static int codeOf(float v, int b, boolean rounds, Precision precision, float[] scales, int[] zeroPoints, int qmin, int qmax) {
            float x = v / scales[b];
            return code(rounds ? precision.round(x) : x, zeroPoints == null ? 0 : zeroPoints[b], qmin, qmax);
        }

        /** The block of the first element of the innermost row that starts at element {@code rowStart}. */
        private long rowBase(long rowStart) {
            long base = 0;
            long rest = rowStart;
            for (int d = 0; d < shape.length; d++) {
                long c = rest / strides[d];
                rest %= strides[d];
                base += (c / blockLengths[d]) * sStrides[d];
            }
            return base;
        }
    }
}
