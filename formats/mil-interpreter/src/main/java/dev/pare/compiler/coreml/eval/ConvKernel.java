package dev.pare.compiler.coreml.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The float convolution behind MIL {@code conv} (2-D over [N, C, H, W]; 1-D inputs come as H = 1).
 *
 * <p><b>Numerics.</b> Every output is {@code bias} (or 0) followed by its terms {@code w * x} added
 * one at a time in (input channel, kernel row, kernel column) order, each product and each sum
 * rounded to float32 (Java does not fuse them); taps that fall into the padding are left out. That
 * is the order of a plain seven-loop convolution, so a result does not depend on tiling or on the
 * number of threads, and integer-valued inputs whose partial sums stay below 2^24 (the quantized
 * lowering in passes/src/main/java/dev/pare/passes/mil/QuantizedLowerings.java) sum exactly.
 *
 * <p><b>Speed.</b> Work is split into jobs of (image, group, band of output rows, span of output
 * columns, block of up to {@value #OC_BLOCK} output channels), run in parallel; each output is
 * computed by one job, so the thread count does not matter. For an output row a job lists its taps
 * (input offset, weight per channel) once, then walks the row in tiles of {@value #COLUMNS}
 * columns: it copies the inputs of {@value #TAPS} consecutive taps side by side into a small
 * buffer (an im2col of one tile) and, for every channel of the block, adds those four terms to the
 * channel's partial sums in one loop. The buffer is shared by the channels, the partial sums stay
 * in L1, and the loop's array accesses all have the form {@code a[i + constant]}, which the JIT
 * vectorizes (with the output and input at different offsets it does not). Columns where some
 * taps fall into the padding are summed one output at a time.
 */
final class ConvKernel {

    /** A convolution's sizes (input [n, c, h, w], output [n, cout, oh, ow], kernel [cout, c / groups, kh, kw]). */
    record Shape(int n, int c, int h, int w, int cout, int groups, int kh, int kw,
                 int sh, int sw, int dh, int dw, int padTop, int padLeft, int oh, int ow) {}

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

    /** The convolution of {@code x} with {@code weight} plus {@code bias} (may be null), as [n, cout, oh, ow]. */
    static float[] run(Shape s, float[] x, float[] weight, float[] bias) {
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
            Job j = new Job(g, x, weight, bias, out, b, grp * cinG, cinG, oc0, ocs);
            for (int oy = band * bandRows; oy < rowTo; oy++) j.row(oy, colFrom, colTo);
        });
        return out;
    }

    /** One job's fixed part: which image, input channels and output channels it covers. */
    private static final class Job {
        private final Shape g;
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
        /** Partial sums of a tile, one zero-based array per channel of the block, and a run of taps' inputs. */
        private final float[][] acc;
        private final float[] col = new float[TAPS * COLUMNS];

        Job(Shape g, float[] x, float[] weight, float[] bias, float[] out, int b, int ic0, int cinG, int oc0, int ocs) {
            this.g = g;
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
            this.acc = new float[ocs][COLUMNS];
        }

        /** Output row {@code oy}, columns [colFrom, colTo), of every channel of the block. */
        void row(int oy, int colFrom, int colTo) {
            int kh = g.kh();
            int kw = g.kw();
            int h = g.h();
            int w = g.w();
            // the taps whose input row exists, in summation order; the weights of a tap are contiguous per channel
            int taps = 0;
            for (int ic = 0; ic < cinG; ic++) {
                int plane = (b * g.c() + ic0 + ic) * h * w;
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * g.sh() + ky * g.dh() - g.padTop();
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        tapCol[taps] = kx * g.dw() - g.padLeft();
                        tapBase[taps] = plane + iy * w + tapCol[taps];
                        taps++;
                    }
                }
            }
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
            for (int j = 0; j < ocs; j++) {
                int o = firstOut + j * rowLength;
                Arrays.fill(out, o + colFrom, o + colTo, bias == null ? 0f : bias[oc0 + j]);
            }
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

        /**
         * Interior columns [c0, c1): the partial sums live in one zero-based array per channel and a
         * run of taps' inputs is copied side by side into {@code col} (index i + q * COLUMNS), so that
         * every array access of the inner loop has the same form, which the JIT needs to vectorize it.
         */
        private void tile(int firstOut, int rowLength, int taps, int c0, int c1) {
            int n = c1 - c0;
            int sw = g.sw();
            for (int j = 0; j < ocs; j++) Arrays.fill(acc[j], 0, n, bias == null ? 0f : bias[oc0 + j]);
            int t = 0;
            for (; t < taps; t += TAPS) {
                int run = Math.min(TAPS, taps - t);
                for (int q = 0; q < run; q++) {
                    int from = tapBase[t + q] + c0 * sw;
                    if (sw == 1) {
                        System.arraycopy(x, from, col, q * COLUMNS, n);
                    } else {
                        for (int i = 0; i < n; i++) col[q * COLUMNS + i] = x[from + i * sw];
                    }
                }
                for (int j = 0; j < ocs; j++) {
                    if (run == TAPS) {
                        four(acc[j], col, tapWeight, j * taps + t, n);
                    } else {
                        for (int q = 0; q < run; q++) one(acc[j], col, q * COLUMNS, tapWeight[j * taps + t + q], n);
                    }
                }
            }
            for (int j = 0; j < ocs; j++) System.arraycopy(acc[j], 0, out, firstOut + j * rowLength + c0, n);
        }

        /** Columns [from, to) where some taps fall into the padding: one output at a time, skipping those taps. */
        private void border(int firstOut, int rowLength, int taps, int from, int to) {
            int sw = g.sw();
            int w = g.w();
            for (int j = 0; j < ocs; j++) {
                int o = firstOut + j * rowLength;
                for (int ox = from; ox < to; ox++) {
                    float s = out[o + ox];
                    for (int t = 0; t < taps; t++) {
                        int ix = ox * sw + tapCol[t];
                        if (ix >= 0 && ix < w) s += tapWeight[j * taps + t] * x[tapBase[t] + ox * sw];
                    }
                    out[o + ox] = s;
                }
            }
        }
    }

    /** Adds four terms (inputs at col[i + q * COLUMNS], weights w[wt + q]) to sums acc[0, n), in order. */
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

    private static void one(float[] acc, float[] col, int offset, float w0, int n) {
        for (int i = 0; i < n; i++) acc[i] += w0 * col[offset + i];
    }
}
