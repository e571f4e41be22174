package dev.pare.compiler.coreml.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The float convolution behind MIL {@code conv} (2-D over [N, C, H, W]; 1-D inputs come as H = 1).
 *
 * <p><b>Numerics.</b> MIL fixes no summation order, so the interpreter picks one of two, each a
 * fixed function of the shape (never of tiling or thread count):
 * <ul>
 * <li>{@link Summation#PLAIN} (float16 ops): {@code bias} (or 0), then the terms {@code w * x} one at
 * a time in (input channel, kernel row, kernel column) order, each product and each sum rounded to
 * float32; the order of a plain seven-loop convolution.
 * <li>{@link Summation#ONNX_RUNTIME} (float32 ops): the order in which ONNX Runtime's CPU convolution
 * (MLAS, one intra-op thread, on an x86-64 CPU with FMA, AVX-512F or AVX2) sums, so that a converted
 * model computes the same float32 bits as the ONNX model in ONNX Runtime and deep float networks do
 * not drift apart layer by layer (README "Conversion coverage"). The k = (input channel, kernel row,
 * kernel column) terms of an output are cut into consecutive segments (the K blocks of MLAS's
 * SGEMM, see {@link #plan}); each segment is summed from 0 by fused multiply-adds ({@link Math#fma},
 * the SGEMM kernel) or, where MLAS takes its AVX kernel for a single output channel (depthwise
 * convolutions), by rounded products added in groups of 4, 2 and 1; the first segment's sum is the
 * output, each later one is added to it, and the bias comes last. A single output channel over a
 * 1x1 output (and the rare full-width 1-channel kernel) is a dot product in 8 lanes reduced as MLAS
 * reduces them ({@link Plan#dot}).
 * </ul>
 * Taps that fall into the padding are left out (MLAS multiplies them by an explicit 0, which
 * changes no sum but possibly the sign of a zero). Integer-valued inputs whose partial sums stay
 * below 2^24 (the quantized lowering in passes/src/main/java/dev/pare/passes/mil/QuantizedLowerings.java)
 * sum exactly in either order.
 *
 * <p><b>Speed.</b> Work is split into jobs of (image, group, band of output rows, span of output
 * columns, block of up to {@value #OC_BLOCK} output channels), run in parallel; each output is
 * computed by one job, so the thread count does not matter. For an output row a job lists its taps
 * (input offset, k, weight per channel) once, then walks the row in tiles of {@value #COLUMNS}
 * columns: it copies the inputs of up to {@value #TAPS} consecutive taps of a segment side by side
 * into a small buffer (an im2col of one tile) and, for every channel of the block, adds those terms
 * to the channel's partial sums in one loop. The buffer is shared by the channels, the partial sums
 * stay in L1, and the loop's array accesses all have the form {@code a[i + constant]}, which the JIT
 * vectorizes (with the output and input at different offsets it does not). Columns where some taps
 * fall into the padding are summed one output at a time.
 */
final class ConvKernel {

    /** A convolution's sizes (input [n, c, h, w], output [n, cout, oh, ow], kernel [cout, c / groups, kh, kw]). */
    record Shape(int n, int c, int h, int w, int cout, int groups, int kh, int kw,
                 int sh, int sw, int dh, int dw, int padTop, int padLeft, int oh, int ow) {}

    /** The order in which an output's terms are added (see the class comment). */
    enum Summation { PLAIN, ONNX_RUNTIME }

    /** MLAS's AVX kernels for a single row times a transposed matrix: a dot product in 8 lanes, reduced per block of rows. */
    enum Dot {
        /** One row per output channel (an output of 1x1 pixels). */
        OVER_CHANNELS,
        /** One row per output pixel (one output channel of a kernel as wide as the input). */
        OVER_PIXELS
    }

    /**
     * How every output of a convolution is summed: its k terms (k = (input channel, kernel row,
     * kernel column), 0 <= k < K) cut at {@code segmentEnds} (increasing, the last is K), each segment
     * summed from 0 with fused multiply-adds or, if not {@code fused}, rounded products; segment sums
     * added in order; the bias added first ({@code biasFirst}, then there is one segment) or last.
     * A non-null {@code dot} replaces all that by {@link Dot}.
     */
    record Plan(int[] segmentEnds, boolean fused, boolean biasFirst, Dot dot) {}

    /** MLAS's default SGEMM panel: columns of B (outputs) and rows of B (k) per block. */
    static final int MLAS_STRIDE_N = 128;
    static final int MLAS_STRIDE_K = 128;
    /** Lanes of MLAS's AVX dot-product kernel. */
    static final int DOT_LANES = 8;

    /** Terms added to a register-held partial sum per load and store of it. */
    static final int TAPS = 4;
    /** Output columns walked at a time: a block's tile (OC_BLOCK x COLUMNS floats, 16 KB) stays in L1. */
    static final int COLUMNS = 128;
    /** Output channels per job. */
    static final int OC_BLOCK = 32;
    /** Output columns per job at most (a flattened 1x1 convolution has one very long row). */
    static final int SPAN = 4096;
    /** Multiply-adds a job should have at least, so that small convolutions are not split into crumbs. */
    static final long MIN_JOB_WORK = 1 << 16;

    private ConvKernel() {}

    /**
     * The summation plan of {@code s} in the given order. For {@link Summation#ONNX_RUNTIME} it follows
     * MlasConvPrepare / MlasConv / MlasSgemmOperation of ONNX Runtime 1.29 with one thread: a pointwise
     * (or full-width 1-channel) convolution without stride and padding, or one with more output
     * channels per group than output pixels, is one SGEMM over all of K; any other is MLAS's
     * "expand then GEMM" loop, which cuts K into blocks itself. An SGEMM's K block is 128, doubled
     * while its N block (128, halved each time, at least 16) can be halved and still covers N when
     * N < K; a single output channel goes to the AVX kernel for one row (products added in groups of
     * 4, then 2, then 1), and one output pixel with one-column B to the AVX dot-product kernel.
     */
    static Plan plan(Shape s, Summation order) {
        int cinG = s.c() / s.groups();
        int coutG = s.cout() / s.groups();
        int k = cinG * s.kh() * s.kw();
        if (order == Summation.PLAIN) return new Plan(new int[] {k}, false, true, null);
        int n = s.oh() * s.ow();
        boolean stridesOne = s.sh() == 1 && s.sw() == 1;
        // with stride 1 the output size fixes the end padding: oh = h + top + bottom - (kh - 1) * dh
        boolean noPadding = stridesOne && s.padTop() == 0 && s.padLeft() == 0
                && s.oh() == s.h() - (s.kh() - 1) * s.dh() && s.ow() == s.w() - (s.kw() - 1) * s.dw();
        boolean direct = false;
        boolean transposedB = false;
        int ldb = n;
        if (noPadding) {
            if (s.kh() * s.kw() == 1) {
                direct = true;
            } else if (cinG == 1 && s.dh() == 1 && s.dw() == 1) {
                if (s.kw() == s.w()) {
                    direct = true;
                    transposedB = true;
                    ldb = s.w();
                } else if (s.kh() == s.h() && s.kw() == 1) {
                    direct = true;
                    ldb = s.w();
                }
            }
        }
        if (direct || coutG > n) {
            if (coutG == 1) {
                return transposedB ? new Plan(new int[] {k}, false, false, Dot.OVER_PIXELS) : new Plan(rowKernelSegments(k, k), false, false, null);
            }
            if (n == 1 && ldb == 1) return new Plan(new int[] {k}, false, false, Dot.OVER_CHANNELS);
            return new Plan(blocks(k, sgemmStrideK(n, k)), true, false, null);
        }
        // expand then GEMM over K blocks chosen from the whole output (one thread: one segment of N)
        int block = sgemmStrideK(n, k);
        if (coutG == 1) return new Plan(rowKernelSegments(k, block), false, false, null);
        return new Plan(blocks(k, block), true, false, null);
    }

    /** The K block of MlasSgemmOperation (and MlasConvOperation) for N outputs and K terms. */
    static int sgemmStrideK(int n, int k) {
        int strideN = MLAS_STRIDE_N;
        int strideK = MLAS_STRIDE_K;
        if (n >= k) {
            while (strideK / 2 >= k) strideK /= 2;
        } else {
            while (strideN > 16 && strideN / 2 >= n) {
                strideK *= 2;
                strideN /= 2;
            }
        }
        return strideK;
    }

    private static int[] blocks(int k, int block) {
        int count = Math.max(1, (k + block - 1) / block);
        int[] ends = new int[count];
        for (int i = 0; i < count; i++) ends[i] = Math.min(k, (i + 1) * block);
        return ends;
    }

    /** Blocks of {@code block} terms, each summed by the one-row AVX kernel: groups of 4, then 2, then 1. */
    private static int[] rowKernelSegments(int k, int block) {
        int[] ends = new int[k + 1];
        int count = 0;
        for (int from = 0; from < k; from += block) {
            int to = Math.min(k, from + block);
            int at = from;
            while (to - at >= 4) ends[count++] = at += 4;
            if ((to - at & 2) != 0) ends[count++] = at += 2;
            if ((to - at & 1) != 0) ends[count++] = at += 1;
        }
        if (count == 0) ends[count++] = 0;
        return Arrays.copyOf(ends, count);
    }

    /** The convolution of {@code x} with {@code weight} plus {@code bias} (may be null), as [n, cout, oh, ow]. */
    static float[] run(Shape s, float[] x, float[] weight, float[] bias, Summation order) {
        Plan plan = plan(s, order);
        if (plan.dot() != null) return dot(s, plan.dot(), x, weight, bias);
        boolean pointwise = s.kh() == 1 && s.kw() == 1 && s.sh() == 1 && s.sw() == 1 && s.padTop() == 0
                && s.padLeft() == 0 && s.oh() == s.h() && s.ow() == s.w();
        // a 1x1 convolution is the same sum over one long row of h * w pixels
        Shape g = pointwise ? new Shape(s.n(), s.c(), 1, s.h() * s.w(), s.cout(), s.groups(), 1, 1, 1, 1, 1, 1, 0, 0, 1, s.h() * s.w()) : s;
        float[] out = new float[g.n() * g.cout() * g.oh() * g.ow()];
        int coutG = g.cout() / g.groups();
        int cinG = g.c() / g.groups();
        int blocks = (coutG + OC_BLOCK - 1) / OC_BLOCK;
        int spans = (g.ow() + SPAN - 1) / SPAN;
        long rowWork = (long) Math.min(g.ow(), SPAN) * Math.min(coutG, OC_BLOCK) * cinG * g.kh() * g.kw();
        int bandRows = (int) Math.max(1, Math.min(g.oh(), MIN_JOB_WORK / Math.max(1, rowWork)));
        int bands = (g.oh() + bandRows - 1) / bandRows;
        int jobsPerImageGroup = bands * spans * blocks;
        // consecutive jobs differ in their block of output channels first: they read the same input rows
        IntStream.range(0, g.n() * g.groups() * jobsPerImageGroup).parallel().forEach(job -> {
            int imageGroup = job / jobsPerImageGroup;
            int rest = job % jobsPerImageGroup;
            int band = rest / (spans * blocks);
            int span = rest / blocks % spans;
            int block = rest % blocks;
            int b = imageGroup / g.groups();
            int grp = imageGroup % g.groups();
            int oc0 = grp * coutG + block * OC_BLOCK;
            int ocs = Math.min(OC_BLOCK, coutG - block * OC_BLOCK);
            int colFrom = span * SPAN;
            int colTo = Math.min(g.ow(), colFrom + SPAN);
            int rowTo = Math.min(g.oh(), (band + 1) * bandRows);
            Job j = new Job(g, plan, x, weight, bias, out, b, grp * cinG, cinG, oc0, ocs);
            for (int oy = band * bandRows; oy < rowTo; oy++) j.row(oy, colFrom, colTo);
        });
        return out;
    }

    /** One job's fixed part: which image, input channels and output channels it covers. */
    private static final class Job {
        private final Shape g;
        private final int[] segmentEnds;
        private final boolean fused;
        private final boolean biasFirst;
        private final float[] x;
        private final float[] weight;
        private final float[] bias;
        private final float[] out;
        private final int b;
        private final int ic0;
        private final int cinG;
        private final int oc0;
        private final int ocs;
        /** Per tap: offset of its input row plus its column offset, column offset alone, weight per channel of the block. */
        private final int[] tapBase;
        private final int[] tapCol;
        private final float[] tapWeight;
        /** Per segment of the plan: the end of its taps in this row's tap list. */
        private final int[] segmentTapEnds;
        /** Sums of a tile, one zero-based array per channel of the block; a later segment's sums; a run of taps' inputs. */
        private final float[][] acc;
        private final float[][] part;
        private final float[] col = new float[TAPS * COLUMNS];

        Job(Shape g, Plan plan, float[] x, float[] weight, float[] bias, float[] out, int b, int ic0, int cinG, int oc0, int ocs) {
            this.g = g;
            this.segmentEnds = plan.segmentEnds();
            this.fused = plan.fused();
            this.biasFirst = plan.biasFirst();
            this.x = x;
            this.weight = weight;
            this.bias = bias;
            this.out = out;
            this.b = b;
            this.ic0 = ic0;
            this.cinG = cinG;
            this.oc0 = oc0;
            this.ocs = ocs;
            int maxTaps = cinG * g.kh() * g.kw();
            this.tapBase = new int[maxTaps];
            this.tapCol = new int[maxTaps];
            this.tapWeight = new float[maxTaps * ocs];
            this.segmentTapEnds = new int[segmentEnds.length];
            this.acc = new float[ocs][COLUMNS];
            this.part = segmentEnds.length > 1 ? new float[ocs][COLUMNS] : null;
        }

        /** Output row {@code oy}, columns [colFrom, colTo), of every channel of the block. */
        void row(int oy, int colFrom, int colTo) {
            int kh = g.kh();
            int kw = g.kw();
            int h = g.h();
            int w = g.w();
            // the taps whose input row exists, in summation order; the weights of a tap are contiguous per channel
            int taps = 0;
            int segment = 0;
            for (int ic = 0; ic < cinG; ic++) {
                int plane = (b * g.c() + ic0 + ic) * h * w;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * g.sh() + ky * g.dh() - g.padTop();
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int k = (ic * kh + ky) * kw + kx;
                        while (k >= segmentEnds[segment]) segmentTapEnds[segment++] = taps;
                        tapCol[taps] = kx * g.dw() - g.padLeft();
                        tapBase[taps] = plane + iy * w + tapCol[taps];
                        taps++;
                    }
                }
            }
            while (segment < segmentEnds.length) segmentTapEnds[segment++] = taps;
            int tapsCount = taps;
            for (int j = 0; j < ocs; j++) {
                int t = 0;
                int wBase = (oc0 + j) * cinG * kh * kw;
                for (int ic = 0; ic < cinG; ic++) {
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * g.sh() + ky * g.dh() - g.padTop();
                        if (iy < 0 || iy >= h) continue;
                        for (int kx = 0; kx < kw; kx++) tapWeight[j * tapsCount + t++] = weight[wBase + (ic * kh + ky) * kw + kx];
                    }
                }
            }
            int rowLength = g.oh() * g.ow();
            int firstOut = ((b * g.cout() + oc0) * g.oh() + oy) * g.ow();
            // interior columns: every tap's input column ox * sw + col lies in [0, w)
            int sw = g.sw();
            int colMin = -g.padLeft();
            int colMax = (kw - 1) * g.dw() - g.padLeft();
            int lo = Math.max(colFrom, colMin >= 0 ? 0 : (-colMin + sw - 1) / sw);
            int hi = Math.min(colTo, w - 1 - colMax < 0 ? 0 : (w - 1 - colMax) / sw + 1);
            if (hi < lo) hi = lo;
            border(firstOut, rowLength, tapsCount, colFrom, Math.min(lo, colTo));
            border(firstOut, rowLength, tapsCount, Math.max(hi, lo), colTo);
            for (int c0 = lo; c0 < hi; c0 += COLUMNS) tile(firstOut, rowLength, tapsCount, c0, Math.min(hi, c0 + COLUMNS));
        }

        private float biasOf(int j) {
            return bias == null ? 0f : bias[oc0 + j];
        }

        /**
         * Interior columns [c0, c1): the sums live in one zero-based array per channel and a run of
         * taps' inputs is copied side by side into {@code col} (index i + q * COLUMNS), so that every
         * array access of the inner loop has the same form, which the JIT needs to vectorize it.
         */
        private void tile(int firstOut, int rowLength, int taps, int c0, int c1) {
            int n = c1 - c0;
            int sw = g.sw();
            int from = 0;
            for (int seg = 0; seg < segmentEnds.length; seg++) {
                int to = segmentTapEnds[seg];
                // the first segment's sum is the output; a later, empty one adds 0
                if (seg > 0 && to == from) continue;
                if (seg > 0 && !fused && to - from <= TAPS) {
                    // a group of the AVX row kernel: its rounded products summed, then added, in one pass
                    copyColumns(from, to - from, c0, n, sw);
                    for (int j = 0; j < ocs; j++) addGroup(acc[j], col, tapWeight, j * taps + from, to - from, n);
                    from = to;
                    continue;
                }
                float[][] sums = seg == 0 ? acc : part;
                for (int j = 0; j < ocs; j++) Arrays.fill(sums[j], 0, n, biasFirst ? biasOf(j) : 0f);
                for (int t = from; t < to; t += TAPS) {
                    int run = Math.min(TAPS, to - t);
                    copyColumns(t, run, c0, n, sw);
                    for (int j = 0; j < ocs; j++) {
                        int wt = j * taps + t;
                        if (run == TAPS) {
                            if (fused) fourFused(sums[j], col, tapWeight, wt, n);
                            else four(sums[j], col, tapWeight, wt, n);
                        } else {
                            for (int q = 0; q < run; q++) {
                                if (fused) oneFused(sums[j], col, q * COLUMNS, tapWeight[wt + q], n);
                                else one(sums[j], col, q * COLUMNS, tapWeight[wt + q], n);
                            }
                        }
                    }
                }
                if (seg > 0) {
                    for (int j = 0; j < ocs; j++) add(acc[j], part[j], n);
                }
                from = to;
            }
            for (int j = 0; j < ocs; j++) {
                if (!biasFirst && bias != null) addScalar(acc[j], biasOf(j), n);
                System.arraycopy(acc[j], 0, out, firstOut + j * rowLength + c0, n);
            }
        }

        /** Copies the inputs of taps [t, t + run) for columns [c0, c0 + n) side by side into {@code col}. */
        private void copyColumns(int t, int run, int c0, int n, int sw) {
            for (int q = 0; q < run; q++) {
                int at = tapBase[t + q] + c0 * sw;
                if (sw == 1) {
                    System.arraycopy(x, at, col, q * COLUMNS, n);
                } else {
                    for (int i = 0; i < n; i++) col[q * COLUMNS + i] = x[at + i * sw];
                }
            }
        }

        /** Columns [from, to) where some taps fall into the padding: one output at a time, skipping those taps. */
        private void border(int firstOut, int rowLength, int taps, int from, int to) {
            int sw = g.sw();
            int w = g.w();
            for (int j = 0; j < ocs; j++) {
                int o = firstOut + j * rowLength;
                for (int ox = from; ox < to; ox++) {
                    float sum = 0f;
                    int t = 0;
                    for (int seg = 0; seg < segmentEnds.length; seg++) {
                        int end = segmentTapEnds[seg];
                        float s = seg == 0 && biasFirst ? biasOf(j) : 0f;
                        for (; t < end; t++) {
                            int ix = ox * sw + tapCol[t];
                            if (ix < 0 || ix >= w) continue;
                            float wt = tapWeight[j * taps + t];
                            float xv = x[tapBase[t] + ox * sw];
                            s = fused ? Math.fma(wt, xv, s) : s + wt * xv;
                        }
                        sum = seg == 0 ? s : sum + s;
                    }
                    out[o + ox] = biasFirst || bias == null ? sum : sum + biasOf(j);
                }
            }
        }
    }

    /** Adds four terms (inputs at col[i + q * COLUMNS], weights w[wt + q]) to sums acc[0, n), in order, each product rounded. */
    private static void four(float[] acc, float[] col, float[] w, int wt, int n) {
        float w0 = w[wt];
        float w1 = w[wt + 1];
        float w2 = w[wt + 2];
        float w3 = w[wt + 3];
        for (int i = 0; i < n; i++) {
            float s = acc[i];
            s += w0 * col[i];
            s += w1 * col[i + COLUMNS];
            s += w2 * col[i + 2 * COLUMNS];
            s += w3 * col[i + 3 * COLUMNS];
            acc[i] = s;
        }
    }

    /** As {@link #four}, each term a fused multiply-add (one rounding per term). */
    private static void fourFused(float[] acc, float[] col, float[] w, int wt, int n) {
        float w0 = w[wt];
        float w1 = w[wt + 1];
        float w2 = w[wt + 2];
        float w3 = w[wt + 3];
        for (int i = 0; i < n; i++) {
            float s = acc[i];
            s = Math.fma(w0, col[i], s);
            s = Math.fma(w1, col[i + COLUMNS], s);
            s = Math.fma(w2, col[i + 2 * COLUMNS], s);
            s = Math.fma(w3, col[i + 3 * COLUMNS], s);
            acc[i] = s;
        }
    }

    /** Adds the sum of {@code run} (1 to 4) rounded products, summed in order, to acc[0, n). */
    private static void addGroup(float[] acc, float[] col, float[] w, int wt, int run, int n) {
        float w0 = w[wt];
        switch (run) {
            case 1 -> {
                for (int i = 0; i < n; i++) acc[i] += w0 * col[i];
            }
            case 2 -> {
                float w1 = w[wt + 1];
                for (int i = 0; i < n; i++) acc[i] += w0 * col[i] + w1 * col[i + COLUMNS];
            }
            case 3 -> {
                float w1 = w[wt + 1];
                float w2 = w[wt + 2];
                for (int i = 0; i < n; i++) acc[i] += w0 * col[i] + w1 * col[i + COLUMNS] + w2 * col[i + 2 * COLUMNS];
            }
            default -> {
                float w1 = w[wt + 1];
                float w2 = w[wt + 2];
                float w3 = w[wt + 3];
                for (int i = 0; i < n; i++) {
                    acc[i] += w0 * col[i] + w1 * col[i + COLUMNS] + w2 * col[i + 2 * COLUMNS] + w3 * col[i + 3 * COLUMNS];
                }
            }
        }
    }

    private static void one(float[] acc, float[] col, int offset, float w0, int n) {
        for (int i = 0; i < n; i++) acc[i] += w0 * col[offset + i];
    }

    private static void oneFused(float[] acc, float[] col, int offset, float w0, int n) {
        for (int i = 0; i < n; i++) acc[i] = Math.fma(w0, col[offset + i], acc[i]);
    }

    private static void add(float[] acc, float[] part, int n) {
        for (int i = 0; i < n; i++) acc[i] += part[i];
    }

    private static void addScalar(float[] acc, float v, int n) {
        for (int i = 0; i < n; i++) acc[i] += v;
    }

    /**
     * MLAS's AVX dot-product kernel for every output: lane l sums the rounded products of the terms
     * k = l (mod 8) in order; the lanes are then reduced by the tree of the kernel's block of rows
     * (4, 2 or 1 rows: rows are taken 4 at a time, then 2, then 1), the bias added last.
     */
    private static float[] dot(Shape s, Dot dot, float[] x, float[] weight, float[] bias) {
        int coutG = s.cout() / s.groups();
        int cinG = s.c() / s.groups();
        int pixels = s.oh() * s.ow();
        int rows = dot == Dot.OVER_CHANNELS ? coutG : pixels;
        float[] out = new float[s.n() * s.cout() * pixels];
        float[] lanes = new float[DOT_LANES];
        for (int b = 0; b < s.n(); b++) {
            for (int oc = 0; oc < s.cout(); oc++) {
                int grp = oc / coutG;
                for (int p = 0; p < pixels; p++) {
                    int oy = p / s.ow();
                    int ox = p % s.ow();
                    Arrays.fill(lanes, 0f);
                    for (int ic = 0; ic < cinG; ic++) {
                        for (int ky = 0; ky < s.kh(); ky++) {
                            int iy = oy * s.sh() + ky * s.dh() - s.padTop();
                            if (iy < 0 || iy >= s.h()) continue;
                            for (int kx = 0; kx < s.kw(); kx++) {
                                int ix = ox * s.sw() + kx * s.dw() - s.padLeft();
                                if (ix < 0 || ix >= s.w()) continue;
                                int k = (ic * s.kh() + ky) * s.kw() + kx;
                                lanes[k % DOT_LANES] += weight[(oc * cinG + ic) * s.kh() * s.kw() + ky * s.kw() + kx]
                                        * x[((b * s.c() + grp * cinG + ic) * s.h() + iy) * s.w() + ix];
                            }
                        }
                    }
                    int row = dot == Dot.OVER_CHANNELS ? oc - grp * coutG : p;
                    float sum = reduceLanes(lanes, row, rows);
                    out[(b * s.cout() + oc) * pixels + p] = bias == null ? sum : sum + bias[oc];
                }
            }
        }
        return out;
    }

    /** The reduction of 8 lanes for row {@code row} of {@code rows}: the tree of its block of 4, 2 or 1 rows. */
    static float reduceLanes(float[] l, int row, int rows) {
        int rowsOfFour = rows / 4 * 4;
        if (row < rowsOfFour) return (((l[0] + l[1]) + l[2]) + l[3]) + (((l[4] + l[5]) + l[6]) + l[7]);
        if (row < rowsOfFour + ((rows - rowsOfFour) & 2)) return ((l[0] + l[2]) + (l[4] + l[6])) + ((l[1] + l[3]) + (l[5] + l[7]));
        return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
    }
}
