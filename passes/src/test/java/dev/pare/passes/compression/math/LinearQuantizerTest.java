package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LinearQuantizerTest {

    private static LinearQuantization quantize(float[] w, long[] shape, Precision p, Mode mode, DType dtype, QuantGranularity g) {
        return LinearQuantizer.quantize(WeightTensor.of(w, shape, p), new LinearQuantizerOptions(mode, dtype, g));
    }

    private static final QuantGranularity TENSOR = new QuantGranularity.PerTensor();

    /** The per-element rounding as it was written before the float-only form: {@code (int) clip(rint(x) + zp)} in double. */
    private static int codeByRint(float x, int zeroPoint, int qmin, int qmax) {
        return (int) Math.max(qmin, Math.min(qmax, Math.rint(x) + zeroPoint));
    }

    @Test
    void theFloatRoundingGivesTheRintCodesOnTiesZerosSubnormalsHugeValuesInfinitiesAndNaN() {
        float[] edges = {0f, -0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 127.5f, -127.5f, 128.5f, 7.5f, -7.5f, 8.5f,
            Math.nextDown(0.5f), Math.nextUp(0.5f), Math.nextDown(-0.5f), Math.nextUp(-0.5f), Math.nextDown(2.5f), Math.nextUp(2.5f),
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 0x1p-24f, 0x1p22f, -0x1p22f, Math.nextUp(0x1p22f), 0x1p22f + 0.5f,
            0x1p23f, -0x1p23f, 0x1.8p23f, 0x1p24f + 2, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 65504f, -65504f, 254.5f, 255.5f, -128.5f};
        int[][] ranges = {{-127, 127}, {-128, 127}, {0, 255}, {0, 254}, {-7, 7}, {-8, 7}, {0, 15}, {0, 14}};
        int[] zeroPoints = {0, 127, -64, 7, 255, -128, 3};
        int checked = 0;
        for (int[] range : ranges) {
            for (int zp : zeroPoints) {
                for (float x : edges) {
                    assertEquals(codeByRint(x, zp, range[0], range[1]), LinearQuantizer.code(x, zp, range[0], range[1]),
                            "x " + x + " zp " + zp + " range " + range[0] + ".." + range[1]);
                    checked++;
                }
            }
        }
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 2_000_000; i++) { // every bit pattern class: random floats of every exponent, and halves near the codes
            float x = i % 2 == 0 ? Float.intBitsToFloat(random.nextInt()) : (random.nextInt(-600, 600) + (random.nextBoolean() ? 0.5f : 0f));
            int zp = zeroPoints[i % zeroPoints.length];
            int[] range = ranges[i % ranges.length];
            assertEquals(codeByRint(x, zp, range[0], range[1]), LinearQuantizer.code(x, zp, range[0], range[1]), "x " + x);
        }
        assertEquals(8 * 7 * 46, checked);
    }

    @Test
    void symmetricInt8HandComputed() {
        float[] w = {-1f, 0.3f, 1f, 0f};
        LinearQuantization q = quantize(w, new long[] {4}, Precision.FLOAT32, Mode.LINEAR_SYMMETRIC, DType.INT8, TENSOR);
        float scale = 2f / 254f;
        assertArrayEquals(new float[] {scale}, q.scales());
        assertNull(q.zeroPoints());
        assertArrayEquals(new int[] {-127, 38, 127, 0}, q.quantized());
        assertArrayEquals(new float[] {-127 * scale, 38 * scale, 127 * scale, 0f}, q.decompress());
    }

    @Test
    void affineInt8HandComputed() {
        // min -1, max 3: scale 4/255, zp = round((-128*3 - 127*-1) / 4) = round(-64.25) = -64
        float[] w = {-1f, 3f, 0f, 1f};
        LinearQuantization q = quantize(w, new long[] {4}, Precision.FLOAT32, Mode.LINEAR, DType.INT8, TENSOR);
        float scale = 4f / 255f;
        assertArrayEquals(new float[] {scale}, q.scales());
        assertArrayEquals(new int[] {-64}, q.zeroPoints());
        // q = clip(round(w/scale) + zp): -1/scale = -63.75 -> -64 -> -128; 3/scale = 191.25 -> 191 -> 127; 1/scale=63.75 -> 64 -> 0
        assertArrayEquals(new int[] {-128, 127, -64, 0}, q.quantized());
        assertArrayEquals(new float[] {(-128 + 64) * scale, (127 + 64) * scale, 0f, (0 + 64) * scale}, q.decompress());
    }

    @Test
    void affineRangeIsWidenedToIncludeZero() {
        float[] w = {2f, 3f, 4f};
        LinearQuantization q = quantize(w, new long[] {3}, Precision.FLOAT32, Mode.LINEAR, DType.UINT8, TENSOR);
        assertArrayEquals(new float[] {4f / 255f}, q.scales());
        assertArrayEquals(new int[] {0}, q.zeroPoints());
        assertEquals(255, q.quantized()[2]);
    }

    @Test
    void symmetricRangesDropOneCode() {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        Object[][] cases = {
            {DType.INT8, -127, 127, null}, {DType.INT4, -7, 7, null}, {DType.UINT8, 0, 254, 127}, {DType.UINT4, 0, 14, 7}};
        for (Object[] c : cases) {
            DType t = (DType) c[0];
            LinearQuantization q = quantize(w, new long[] {1000}, Precision.FLOAT32, Mode.LINEAR_SYMMETRIC, t, TENSOR);
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int v : q.quantized()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            assertTrue(lo >= (int) c[1] && hi <= (int) c[2], t + ": codes in [" + lo + ", " + hi + "]");
            assertTrue(lo == (int) c[1] || hi == (int) c[2], t + ": the extreme code is used");
            if (c[3] == null) assertNull(q.zeroPoints());
            else assertArrayEquals(new int[] {(int) c[3]}, q.zeroPoints());
        }
        // affine uses the full range
        LinearQuantizerOptions affine4 = new LinearQuantizerOptions(Mode.LINEAR, DType.INT4, TENSOR);
        assertEquals(-8, affine4.qmin());
        assertEquals(7, affine4.qmax());
    }

    @Test
    void roundsHalfToEven() {
        // max |w| = 127 gives scale exactly 1, so w/scale = w
        float[] w = {127f, 2.5f, 3.5f, -2.5f, -0.5f};
        LinearQuantization q = quantize(w, new long[] {5}, Precision.FLOAT32, Mode.LINEAR_SYMMETRIC, DType.INT8, TENSOR);
        assertArrayEquals(new float[] {1f}, q.scales());
        assertArrayEquals(new int[] {127, 2, 4, -2, 0}, q.quantized());
    }

    @Test
    void allZeroAndConstantTensors() {
        float[] zeros = new float[6];
        for (Mode mode : Mode.values()) {
            for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT4, DType.UINT4}) {
                LinearQuantization q = quantize(zeros, new long[] {6}, Precision.FLOAT16, mode, t, TENSOR);
                assertArrayEquals(new float[] {1f}, q.scales(), mode + " " + t);
                assertArrayEquals(zeros, q.decompress(), mode + " " + t);
                int zp = q.zeroPoints() == null ? 0 : q.zeroPoints()[0];
                for (int v : q.quantized()) assertEquals(zp, v);
            }
        }
        float[] constant = {3f, 3f, 3f};
        LinearQuantization sym = quantize(constant, new long[] {3}, Precision.FLOAT32, Mode.LINEAR_SYMMETRIC, DType.INT8, TENSOR);
        assertArrayEquals(new int[] {127, 127, 127}, sym.quantized());
        LinearQuantization aff = quantize(constant, new long[] {3}, Precision.FLOAT32, Mode.LINEAR, DType.UINT8, TENSOR);
        assertArrayEquals(new int[] {255, 255, 255}, aff.quantized());
        assertArrayEquals(new int[] {0}, aff.zeroPoints());
        LinearQuantization neg = quantize(new float[] {-3f, -3f}, new long[] {2}, Precision.FLOAT32, Mode.LINEAR, DType.UINT8, TENSOR);
        assertArrayEquals(new int[] {255}, neg.zeroPoints());
        assertArrayEquals(new int[] {0, 0}, neg.quantized());
        assertArrayEquals(new float[] {-3f, -3f}, neg.decompress());
    }

    /** Independent per-block reference (fp32 weights): the formulas of ir/PARE_DIALECT.md, Compression math. */
    private static void checkAgainstReference(float[] w, int rows, int cols, LinearQuantization q, Mode mode, DType t, int[] bl) {
        LinearQuantizerOptions o = new LinearQuantizerOptions(mode, t, TENSOR);
        int qmin = o.qmin(), qmax = o.qmax();
        int br = (rows + bl[0] - 1) / bl[0], bc = (cols + bl[1] - 1) / bl[1];
        assertArrayEquals(new long[] {br, bc}, q.scaleShape());
        for (int a = 0; a < br; a++) {
            for (int b = 0; b < bc; b++) {
                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                for (int r = a * bl[0]; r < Math.min(rows, (a + 1) * bl[0]); r++) {
                    for (int c = b * bl[1]; c < Math.min(cols, (b + 1) * bl[1]); c++) {
                        min = Math.min(min, w[r * cols + c]);
                        max = Math.max(max, w[r * cols + c]);
                    }
                }
                float scale;
                int zp;
                if (mode == Mode.LINEAR_SYMMETRIC) {
                    float m = Math.max(-min, max);
                    scale = (m - -m) / (float) (qmax - qmin);
                    zp = o.signed() ? 0 : qmax / 2;
                } else {
                    min = Math.min(0, min);
                    max = Math.max(0, max);
                    scale = (max - min) / (float) (qmax - qmin);
                    zp = (int) Math.max(qmin, Math.min(qmax, Math.rint((qmin * max - qmax * min) / (max - min))));
                }
                int block = a * bc + b;
                assertEquals(scale, q.scales()[block]);
                if (q.zeroPoints() != null) assertEquals(zp, q.zeroPoints()[block]);
                for (int r = a * bl[0]; r < Math.min(rows, (a + 1) * bl[0]); r++) {
                    for (int c = b * bl[1]; c < Math.min(cols, (b + 1) * bl[1]); c++) {
                        int e = r * cols + c;
                        int code = (int) Math.max(qmin, Math.min(qmax, Math.rint(w[e] / scale) + zp));
                        assertEquals(code, q.quantized()[e]);
                        assertEquals((float) (code - zp) * scale, q.decompress()[e]);
                    }
                }
            }
        }
    }

    @Test
    void perChannelAndPerBlockMatchTheReferenceIncludingAPartialLastBlock() {
        SplittableRandom r = new SplittableRandom(2);
        int rows = 6, cols = 10;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() + (i % 7 == 0 ? 1.5 : 0));
        long[] shape = {rows, cols};
        for (Mode mode : Mode.values()) {
            for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT4, DType.UINT4}) {
                checkAgainstReference(w, rows, cols, quantize(w, shape, Precision.FLOAT32, mode, t, new QuantGranularity.PerChannel(0)),
                        mode, t, new int[] {1, cols});
                checkAgainstReference(w, rows, cols, quantize(w, shape, Precision.FLOAT32, mode, t, new QuantGranularity.PerChannel(-1)),
                        mode, t, new int[] {rows, 1});
                LinearQuantization blocked = quantize(w, shape, Precision.FLOAT32, mode, t, new QuantGranularity.PerBlock(0, 1, 4));
                assertFalse(blocked.evenBlocks());
                assertEquals(-2, blocked.parameterAxis());
                checkAgainstReference(w, rows, cols, blocked, mode, t, new int[] {1, 4});
                checkAgainstReference(w, rows, cols, quantize(w, shape, Precision.FLOAT32, mode, t, new QuantGranularity.Blocks(new int[] {3, 0})),
                        mode, t, new int[] {3, cols});
            }
        }
        LinearQuantization even = quantize(w, shape, Precision.FLOAT32, Mode.LINEAR, DType.INT8, new QuantGranularity.PerBlock(0, 1, 5));
        assertTrue(even.evenBlocks());
        assertEquals(0, quantize(w, shape, Precision.FLOAT32, Mode.LINEAR, DType.INT8, new QuantGranularity.PerChannel(0)).parameterAxis());
        assertEquals(-1, quantize(w, shape, Precision.FLOAT32, Mode.LINEAR, DType.INT8, TENSOR).parameterAxis());
    }

    @Test
    void onnxStyleBlocksOnAConvWeight() {
        // [C_out=2, C_in=5, kh=1, kw=2], block 2 along axis 1, full resolution elsewhere
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[20];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        LinearQuantization q = quantize(w, new long[] {2, 5, 1, 2}, Precision.FLOAT32, Mode.LINEAR_SYMMETRIC, DType.INT4,
                new QuantGranularity.Blocks(new int[] {1, 2, 1, 1}));
        assertArrayEquals(new long[] {2, 3, 1, 2}, q.scaleShape());
        // element [1, 4, 0, 1] sits in block [1, 2, 0, 1]
        int e = ((1 * 5 + 4) * 1 + 0) * 2 + 1;
        assertEquals(((1 * 3 + 2) * 1 + 0) * 2 + 1, q.blockOf(e));
        // that block holds only element e (the partial last block along axis 1, width 1)
        assertEquals(Math.abs(w[e]) * 2 / 14f, q.scales()[q.blockOf(e)]);
    }

    @Test
    void halfPrecisionScalesAndOutputs() {
        SplittableRandom r = new SplittableRandom(4);
        float[] w = new float[256];
        for (int i = 0; i < w.length; i++) w[i] = Float16.toFloat(Float16.fromFloat((float) (r.nextGaussian() * 0.1)));
        LinearQuantization q = quantize(w, new long[] {16, 16}, Precision.FLOAT16, Mode.LINEAR, DType.UINT4, new QuantGranularity.PerChannel(0));
        for (float s : q.scales()) assertEquals(s, Float16.toFloat(Float16.fromFloat(s)));
        float[] dense = q.decompress();
        for (int e = 0; e < w.length; e++) {
            int b = e / 16;
            float expected = Float16.toFloat(Float16.fromFloat((float) (q.quantized()[e] - q.zeroPoints()[b]) * q.scales()[b]));
            assertEquals(expected, dense[e]);
            assertTrue(Math.abs(dense[e] - w[e]) <= q.scales()[b] * 0.5f + 1e-3f);
        }
    }

    @Test
    void maskedQuantizationKeepsPrunedZerosExact() {
        float[] w = {0.5f, 0f, -0.25f, 0f, 1f, 0f};
        boolean[] keep = {true, false, true, false, true, false};
        LinearQuantization q = LinearQuantizer.quantize(WeightTensor.of(w, new long[] {6}, Precision.FLOAT32),
                new LinearQuantizerOptions(Mode.LINEAR, DType.UINT8, TENSOR), keep);
        LinearQuantization unmasked = LinearQuantizer.quantize(WeightTensor.of(w, new long[] {6}, Precision.FLOAT32),
                new LinearQuantizerOptions(Mode.LINEAR, DType.UINT8, TENSOR));
        assertArrayEquals(unmasked.scales(), q.scales());
        assertEquals(q.zeroPoints()[0], q.quantized()[1]);
        float[] dense = q.decompress();
        assertEquals(0f, dense[1]);
        assertEquals(0f, dense[3]);
        assertEquals(3, q.keptQuantized().length);
    }

    @Test
    void rejectsBadOptionsWithExactMessages() {
        assertEquals("linear_quantize: block_size must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> new QuantGranularity.PerBlock(0, 1, 0)).getMessage());
        assertEquals("linear_quantize: block_size must be positive, got -4",
                assertThrows(IllegalArgumentException.class, () -> new QuantGranularity.PerBlock(0, 1, -4)).getMessage());
        assertEquals("linear_quantize: dtype must be int8, uint8, int4 or uint4, got i16",
                assertThrows(IllegalArgumentException.class, () -> new LinearQuantizerOptions(Mode.LINEAR, DType.INT16, TENSOR)).getMessage());
        assertEquals("linear_quantize: axis 2 is out of range for a rank-2 weight",
                assertThrows(IllegalArgumentException.class, () -> quantize(new float[4], new long[] {2, 2}, Precision.FLOAT32,
                        Mode.LINEAR, DType.INT8, new QuantGranularity.PerChannel(2))).getMessage());
        assertEquals("linear_quantize: 1 block sizes for a rank-2 weight",
                assertThrows(IllegalArgumentException.class, () -> quantize(new float[4], new long[] {2, 2}, Precision.FLOAT32,
                        Mode.LINEAR, DType.INT8, new QuantGranularity.Blocks(new int[] {1}))).getMessage());
    }

    /** The row-by-row block walk gives every element the block the per-element formula gives. */
    @Test
    void blockIndicesMatchThePerElementFormula() {
        long[][] shapes = {{}, {7}, {4, 6}, {6, 4}, {3, 5, 7}, {2, 3, 4, 5}};
        SplittableRandom random = new SplittableRandom(5);
        for (long[] shape : shapes) {
            for (int trial = 0; trial < 6; trial++) {
                int rank = shape.length;
                int[] blockLengths = new int[rank];
                long[] scaleShape = new long[rank];
                for (int d = 0; d < rank; d++) {
                    blockLengths[d] = 1 + random.nextInt((int) shape[d]); // partial last blocks too
                    scaleShape[d] = (shape[d] + blockLengths[d] - 1) / blockLengths[d];
                }
                int[] walked = LinearQuantization.blockIndices(shape, blockLengths, scaleShape);
                long[] strides = Shapes.strides(shape);
                long[] sStrides = Shapes.strides(scaleShape);
                assertEquals(Shapes.count(shape), walked.length);
                for (int e = 0; e < walked.length; e++) {
                    long expected = 0;
                    for (int d = 0; d < rank; d++) expected += (e / strides[d] % shape[d] / blockLengths[d]) * sStrides[d];
                    assertEquals(expected, walked[e], java.util.Arrays.toString(shape) + " blocks "
                            + java.util.Arrays.toString(blockLengths) + " element " + e);
                }
            }
        }
    }
}
