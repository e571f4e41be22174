package dev.pare.compiler.coreml.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Value;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvKernel} against plain loops that add the same terms in the same order: the seven-loop
 * convolution ({@link ConvKernel.Summation#PLAIN}) and a per-output walk through the segments of
 * ONNX Runtime's order ({@link ConvKernel.Summation#ONNX_RUNTIME}, whose plan ConvSummationVsOrtTest
 * in compiler/ checks against ONNX Runtime itself). Float results must be bit-identical, integer-valued
 * ones exact.
 */
class ConvKernelTest {

    /** The textbook loop: bias, then w * x for each (input channel, kernel row, kernel column) inside the input. */
    static float[] reference(ConvKernel.Shape s, float[] x, float[] w, float[] bias) {
        int coutG = s.cout() / s.groups();
        int cinG = s.c() / s.groups();
        float[] out = new float[s.n() * s.cout() * s.oh() * s.ow()];
        for (int b = 0; b < s.n(); b++) {
            for (int oc = 0; oc < s.cout(); oc++) {
                int grp = oc / coutG;
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        float sum = bias == null ? 0f : bias[oc];
                        for (int ic = 0; ic < cinG; ic++) {
                            for (int ky = 0; ky < s.kh(); ky++) {
                                int iy = oy * s.sh() + ky * s.dh() - s.padTop();
                                if (iy < 0 || iy >= s.h()) continue;
                                for (int kx = 0; kx < s.kw(); kx++) {
                                    int ix = ox * s.sw() + kx * s.dw() - s.padLeft();
                                    if (ix < 0 || ix >= s.w()) continue;
                                    sum += w[((oc * cinG + ic) * s.kh() + ky) * s.kw() + kx]
                                            * x[((b * s.c() + grp * cinG + ic) * s.h() + iy) * s.w() + ix];
                                }
                            }
                        }
                        out[((b * s.cout() + oc) * s.oh() + oy) * s.ow() + ox] = sum;
                    }
                }
            }
        }
        return out;
    }

    /**
     * ONNX Runtime's order, one output at a time: the terms of each segment of the plan summed from 0
     * (fused multiply-adds or rounded products), the segment sums added in order, the bias last; or
     * the 8-lane dot product. Taps in the padding are left out, as the kernel leaves them out.
     */
    static float[] referenceOnnxRuntime(ConvKernel.Shape s, float[] x, float[] w, float[] bias) {
        ConvKernel.Plan plan = ConvKernel.plan(s, ConvKernel.Summation.ONNX_RUNTIME);
        int coutG = s.cout() / s.groups();
        int cinG = s.c() / s.groups();
        int k = cinG * s.kh() * s.kw();
        float[] out = new float[s.n() * s.cout() * s.oh() * s.ow()];
        for (int b = 0; b < s.n(); b++) {
            for (int oc = 0; oc < s.cout(); oc++) {
                int grp = oc / coutG;
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        // the output's im2col column: term k, or null where the tap is in the padding
                        Float[] terms = new Float[k];
                        float[] weights = new float[k];
                        for (int ic = 0; ic < cinG; ic++) {
                            for (int ky = 0; ky < s.kh(); ky++) {
                                for (int kx = 0; kx < s.kw(); kx++) {
                                    int t = (ic * s.kh() + ky) * s.kw() + kx;
                                    weights[t] = w[((oc * cinG + ic) * s.kh() + ky) * s.kw() + kx];
                                    int iy = oy * s.sh() + ky * s.dh() - s.padTop();
                                    int ix = ox * s.sw() + kx * s.dw() - s.padLeft();
                                    if (iy >= 0 && iy < s.h() && ix >= 0 && ix < s.w()) {
                                        terms[t] = x[((b * s.c() + grp * cinG + ic) * s.h() + iy) * s.w() + ix];
                                    }
                                }
                            }
                        }
                        float sum;
                        if (plan.dot() != null) {
                            float[] lanes = new float[ConvKernel.DOT_LANES];
                            for (int t = 0; t < k; t++) if (terms[t] != null) lanes[t % ConvKernel.DOT_LANES] += weights[t] * terms[t];
                            int row = plan.dot() == ConvKernel.Dot.OVER_CHANNELS ? oc - grp * coutG : oy * s.ow() + ox;
                            int rows = plan.dot() == ConvKernel.Dot.OVER_CHANNELS ? coutG : s.oh() * s.ow();
                            sum = ConvKernel.reduceLanes(lanes, row, rows);
                        } else {
                            sum = 0f;
                            int from = 0;
                            for (int seg = 0; seg < plan.segmentEnds().length; seg++) {
                                float part = 0f;
                                for (int t = from; t < plan.segmentEnds()[seg]; t++) {
                                    if (terms[t] == null) continue;
                                    part = plan.fused() ? Math.fma(weights[t], terms[t], part) : part + weights[t] * terms[t];
                                }
                                sum = seg == 0 ? part : sum + part;
                                from = plan.segmentEnds()[seg];
                            }
                        }
                        out[((b * s.cout() + oc) * s.oh() + oy) * s.ow() + ox] = bias == null ? sum : sum + bias[oc];
                    }
                }
            }
        }
        return out;
    }

    /** A shape with the given geometry and padding (begin, end) per axis; output sizes follow. */
    static ConvKernel.Shape shape(int n, int c, int h, int w, int cout, int groups, int kh, int kw, int sh, int sw,
                                  int dh, int dw, int padTop, int padBottom, int padLeft, int padRight) {
        int oh = (h + padTop + padBottom - ((kh - 1) * dh + 1)) / sh + 1;
        int ow = (w + padLeft + padRight - ((kw - 1) * dw + 1)) / sw + 1;
        return new ConvKernel.Shape(n, c, h, w, cout, groups, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow);
    }

    private static float[] gaussian(Random r, int size, float scale) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) r.nextGaussian() * scale;
        return v;
    }

    private static float[] integers(Random r, int size, int bound) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = r.nextInt(2 * bound + 1) - bound;
        return v;
    }

    private static int weightCount(ConvKernel.Shape s) {
        return s.cout() * (s.c() / s.groups()) * s.kh() * s.kw();
    }

    private static void assertBitIdentical(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    static final ConvKernel.Shape[] SHAPES = {
        shape(1, 8, 13, 17, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),          // 3x3 "same", odd sizes
        shape(2, 6, 9, 300, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),         // wider than a tile, two channel blocks
        shape(1, 4, 21, 19, 7, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),          // stride 2
        shape(1, 5, 23, 22, 6, 1, 3, 5, 3, 2, 1, 1, 0, 2, 2, 1),          // strides 3x2, asymmetric padding, 3x5 kernel
        shape(1, 6, 30, 31, 4, 1, 3, 3, 1, 1, 2, 3, 2, 2, 3, 3),          // dilations 2x3
        shape(1, 12, 11, 14, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),       // depthwise
        shape(1, 12, 10, 15, 18, 3, 3, 3, 1, 1, 1, 1, 0, 1, 1, 0),        // groups 3, 4 -> 6 channels each
        shape(1, 16, 70, 70, 9, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),         // 1x1: one row of 4,900 pixels, two spans
        shape(1, 3, 1, 257, 4, 1, 1, 7, 1, 1, 1, 1, 0, 0, 3, 3),          // 1-D (h = 1), kernel 7
        shape(1, 3, 5, 6, 2, 1, 3, 3, 1, 1, 1, 1, 4, 4, 5, 5),            // padding larger than the kernel: border only
        shape(1, 2, 4, 4, 3, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2),            // kernel larger than the input
        shape(1, 64, 20, 20, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),        // K 576 in blocks of 128
        shape(1, 128, 6, 6, 36, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),         // K 1152 in blocks of 256 (N 36)
        shape(1, 64, 4, 4, 96, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),          // more channels than outputs: one SGEMM
        shape(1, 512, 8, 8, 16, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),         // 1x1, K 512 in blocks of 256
        shape(1, 40, 12, 12, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),         // 1x1 to one channel: AVX row kernel
        shape(1, 80, 4, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),           // one output channel per group, K 360
        shape(1, 13, 1, 1, 7, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),           // 1x1 map: dot products, rows 4 + 2 + 1
        shape(1, 20, 1, 1, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),           // 3x3 padded over a 1x1 map
        shape(1, 1, 11, 5, 1, 1, 3, 5, 1, 1, 1, 1, 0, 0, 0, 0),           // full-width kernel: dot products over pixels
    };

    @Test
    void floatConvolutionsAreBitIdenticalToThePlainLoop() {
        Random r = new Random(11);
        for (ConvKernel.Shape s : SHAPES) {
            float[] x = gaussian(r, s.n() * s.c() * s.h() * s.w(), 1f);
            float[] w = gaussian(r, weightCount(s), 0.3f);
            float[] bias = gaussian(r, s.cout(), 1f);
            assertBitIdentical(reference(s, x, w, bias), ConvKernel.run(s, x, w, bias, ConvKernel.Summation.PLAIN), s.toString());
            assertBitIdentical(reference(s, x, w, null), ConvKernel.run(s, x, w, null, ConvKernel.Summation.PLAIN), s + " without bias");
        }
    }

    @Test
    void float32ConvolutionsAreBitIdenticalToOnnxRuntimesOrder() {
        Random r = new Random(12);
        for (ConvKernel.Shape s : SHAPES) {
            float[] x = gaussian(r, s.n() * s.c() * s.h() * s.w(), 1f);
            float[] w = gaussian(r, weightCount(s), 0.3f);
            float[] bias = gaussian(r, s.cout(), 1f);
            assertBitIdentical(referenceOnnxRuntime(s, x, w, bias), ConvKernel.run(s, x, w, bias, ConvKernel.Summation.ONNX_RUNTIME), s.toString());
            assertBitIdentical(referenceOnnxRuntime(s, x, w, null), ConvKernel.run(s, x, w, null, ConvKernel.Summation.ONNX_RUNTIME), s + " without bias");
        }
    }

    @Test
    void onnxRuntimesBlocksFollowMlas() {
        // MlasSgemmOperation's K block: N >= K keeps K whole; N < K doubles 128 while N fits half the N block
        assertEquals(32, ConvKernel.sgemmStrideK(1024, 27));
        assertEquals(128, ConvKernel.sgemmStrideK(100, 144));
        assertEquals(128, ConvKernel.sgemmStrideK(400, 576));
        assertEquals(256, ConvKernel.sgemmStrideK(36, 1152));
        assertEquals(1024, ConvKernel.sgemmStrideK(16, 576));
        assertEquals(1024, ConvKernel.sgemmStrideK(1, 576));
        // 3x3 "same" over 64 channels at 20x20: blocks of 128 terms, fused
        ConvKernel.Plan big = ConvKernel.plan(shape(1, 64, 20, 20, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), ConvKernel.Summation.ONNX_RUNTIME);
        assertEquals("[128, 256, 384, 512, 576] fused", Arrays.toString(big.segmentEnds()) + (big.fused() ? " fused" : ""));
        // depthwise 3x3 and 5x5: the AVX row kernel's groups of 4, then 2, then 1
        ConvKernel.Plan dw3 = ConvKernel.plan(shape(1, 8, 9, 9, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), ConvKernel.Summation.ONNX_RUNTIME);
        assertEquals("[4, 8, 9]", Arrays.toString(dw3.segmentEnds()));
        assertEquals(false, dw3.fused());
        ConvKernel.Plan dw5 = ConvKernel.plan(shape(1, 8, 9, 9, 8, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2), ConvKernel.Summation.ONNX_RUNTIME);
        assertEquals("[4, 8, 12, 16, 20, 24, 25]", Arrays.toString(dw5.segmentEnds()));
        // 1x1 over 40 channels to one: the row kernel over all of K at once; over a 1x1 map: dot products
        assertEquals(10, ConvKernel.plan(shape(1, 40, 12, 12, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), ConvKernel.Summation.ONNX_RUNTIME).segmentEnds().length);
        assertEquals(ConvKernel.Dot.OVER_CHANNELS, ConvKernel.plan(shape(1, 13, 1, 1, 7, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0), ConvKernel.Summation.ONNX_RUNTIME).dot());
        // the plain order: one segment, bias first
        ConvKernel.Plan plain = ConvKernel.plan(shape(1, 64, 20, 20, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1), ConvKernel.Summation.PLAIN);
        assertEquals("[576] bias first", Arrays.toString(plain.segmentEnds()) + (plain.biasFirst() ? " bias first" : ""));
    }

    @Test
    void integerConvolutionsAreExact() {
        // the quantized lowering's operands: codes minus zero points (|x| <= 255) and centred int8 weights
        Random r = new Random(5);
        for (ConvKernel.Shape s : SHAPES) {
            float[] x = integers(r, s.n() * s.c() * s.h() * s.w(), 255);
            float[] w = integers(r, weightCount(s), 127);
            for (ConvKernel.Summation order : ConvKernel.Summation.values()) assertExact(s, x, w, ConvKernel.run(s, x, w, null, order), order);
        }
    }

    private static void assertExact(ConvKernel.Shape s, float[] x, float[] w, float[] actual, ConvKernel.Summation order) {
        int coutG = s.cout() / s.groups();
        int cinG = s.c() / s.groups();
        for (int b = 0; b < s.n(); b++) {
            for (int oc = 0; oc < s.cout(); oc++) {
                for (int oy = 0; oy < s.oh(); oy++) {
                    for (int ox = 0; ox < s.ow(); ox++) {
                        long sum = 0;
                        for (int ic = 0; ic < cinG; ic++) {
                            for (int ky = 0; ky < s.kh(); ky++) {
                                for (int kx = 0; kx < s.kw(); kx++) {
                                    int iy = oy * s.sh() + ky * s.dh() - s.padTop();
                                    int ix = ox * s.sw() + kx * s.dw() - s.padLeft();
                                    if (iy < 0 || iy >= s.h() || ix < 0 || ix >= s.w()) continue;
                                    sum += (long) w[((oc * cinG + ic) * s.kh() + ky) * s.kw() + kx]
                                            * (long) x[((b * s.c() + oc / coutG * cinG + ic) * s.h() + iy) * s.w() + ix];
                                }
                            }
                        }
                        int at = ((b * s.cout() + oc) * s.oh() + oy) * s.ow() + ox;
                        if ((double) actual[at] != (double) sum) throw new AssertionError(order + " " + s + " output " + at + " is " + actual[at] + ", expected " + sum);
                    }
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() throws Exception {
        ConvKernel.Shape s = shape(1, 24, 40, 150, 70, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        Random r = new Random(3);
        float[] x = gaussian(r, s.c() * s.h() * s.w(), 1f);
        float[] w = gaussian(r, weightCount(s), 0.2f);
        float[] bias = gaussian(r, s.cout(), 1f);
        ForkJoinPool one = new ForkJoinPool(1);
        ForkJoinPool three = new ForkJoinPool(3);
        try {
            for (ConvKernel.Summation order : ConvKernel.Summation.values()) {
                float[] single = one.submit(() -> ConvKernel.run(s, x, w, bias, order)).get();
                float[] several = three.submit(() -> ConvKernel.run(s, x, w, bias, order)).get();
                assertBitIdentical(single, several, order + ": 1 thread vs 3 threads");
                float[] expected = order == ConvKernel.Summation.PLAIN ? reference(s, x, w, bias) : referenceOnnxRuntime(s, x, w, bias);
                assertBitIdentical(expected, several, order + ": 3 threads vs the plain loop");
            }
        } finally {
            one.shutdown();
            three.shutdown();
        }
    }

    @Test
    void anFp16ConvRoundsThePlainLoopsSumToFp16() {
        // pad_type same, stride 1: the interpreter's conv op over fp16 operands
        Random r = new Random(9);
        ConvKernel.Shape s = shape(1, 5, 9, 140, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
        float[] x = fp16(gaussian(r, s.c() * s.h() * s.w(), 1f));
        float[] w = fp16(gaussian(r, weightCount(s), 0.3f));
        float[] bias = fp16(gaussian(r, s.cout(), 1f));
        MilGraphs g = new MilGraphs();
        Value in = g.input("x", DType.FLOAT16, 1, s.c(), s.h(), s.w());
        g.output(g.node("conv", "x", in,
                "weight", MilGraphs.f16(new long[] {s.cout(), s.c(), 3, 3}, w),
                "bias", MilGraphs.f16(new long[] {s.cout()}, bias),
                "pad_type", MilGraphs.str("same")));
        MilTensor result = new MilInterpreter(g.graph())
                .runTensors(Map.of("x", MilTensor.floats(DType.FLOAT16, new int[] {1, s.c(), s.h(), s.w()}, x.clone())))
                .values().iterator().next();
        float[] expected = fp16(reference(s, x, w, bias));
        assertEquals(DType.FLOAT16, result.dtype());
        float[] actual = new float[result.size()];
        for (int i = 0; i < actual.length; i++) actual[i] = (float) result.get(i);
        assertBitIdentical(expected, actual, "fp16 conv");
    }

    private static float[] fp16(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float16.toFloat(Float16.fromFloat(v[i]));
        return out;
    }
}
