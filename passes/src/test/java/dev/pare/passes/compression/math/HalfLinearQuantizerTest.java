package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The float16 kernel ({@link HalfLinearQuantizer}) against its definition, the float path
 * ({@link LinearQuantizer}, whole weight, values in {@link Precision#FLOAT16}): the code of every
 * finite float16 value, and whole weights' packed codes, scales and zero points for every mode, code
 * type, granularity, piece size and split.
 */
class HalfLinearQuantizerTest {

    private static ExecutorService pool;

    @BeforeAll static void start() { pool = Executors.newFixedThreadPool(3); }

    @AfterAll static void stop() { pool.shutdownNow(); }

    /** Positive float16 scales from the smallest subnormal to the largest value, ties of w / scale included. */
    private static final float[] SCALES = {0x1p-24f, 0x1p-20f, 0x1p-14f, 0.00390625f, 0.0078125f, 0.0029296875f, 0.01953125f,
        0.3330078125f, 1f, 1.5f, 3f, 7f, 1000f, 65504f};

    @Test
    void theCodeOfEveryFiniteFloat16ValueIsTheFloatPathsCode() {
        int[][] ranges = {{-7, 7, 0}, {-8, 7, 0}, {0, 14, 7}, {0, 15, 3}, {-127, 127, 0}, {-128, 127, 0}, {0, 254, 127}, {0, 255, 200},
            {-63, 63, 0}};
        long checked = 0;
        for (float scale : SCALES) {
            assertEquals(scale, Precision.FLOAT16.round(scale), "scales are float16 values");
            for (int[] range : ranges) {
                int qmin = range[0];
                int qmax = range[1];
                int zp = range[2];
                for (int h = 0; h < 1 << 16; h++) {
                    if ((h & 0x7C00) == 0x7C00) continue; // infinities and NaN never reach the kernel
                    float v = Float16.toFloat((short) h);
                    int expected = LinearQuantizer.code(Precision.FLOAT16.round(v / scale), zp, qmin, qmax);
                    int got = HalfLinearQuantizer.code((short) h, scale, zp, qmin, qmax);
                    if (got != expected) {
                        throw new AssertionError("float16 0x" + Integer.toHexString(h) + " (" + v + ") / " + scale + " in [" + qmin + ", "
                                + qmax + "] zp " + zp + ": " + got + ", the float path " + expected);
                    }
                    checked++;
                }
            }
        }
        assertEquals(SCALES.length * 9L * 63488, checked);
    }

    /**
     * The int4 threshold kernel ({@code codeRow}) against {@link
     * HalfLinearQuantizer#code} for every finite float16 value, in both halves of a pair and with
     * the two halves' blocks of different scales: the fixed scales above and 400 random float16
     * scales (normal and subnormal).
     */
    @Test
    void theInt4ThresholdCountOfEveryFiniteFloat16ValueIsItsCode() {
        List<Float> scales = new ArrayList<>();
        for (float s : SCALES) scales.add(s);
        SplittableRandom r = new SplittableRandom(14);
        while (scales.size() < SCALES.length + 400) {
            float s = Float16.toFloat((short) r.nextInt(1, 0x7C00));
            scales.add(s);
        }
        int pairs = 1 << 15;
        int[] low = new int[pairs];
        int[] high = new int[pairs];
        int[] out = new int[pairs];
        int[][] t = new int[HalfLinearQuantizer.Int4Blocks.THRESHOLDS][pairs];
        long checked = 0;
        for (int i = 0; i < scales.size(); i++) {
            float a = scales.get(i);
            float b = scales.get((i + 1) % scales.size());
            for (int j = 0; j < t.length; j++) {
                int pair = HalfLinearQuantizer.Int4Blocks.smallestReaching(j + 1, a) | (HalfLinearQuantizer.Int4Blocks.smallestReaching(j + 1, b) << 16);
                java.util.Arrays.fill(t[j], pair);
            }
            for (int swap = 0; swap < 2; swap++) {
                int[] x = new int[pairs];
                for (int p = 0; p < pairs; p++) {
                    int first = 2 * p + swap; // every bit pattern once in the low half and once in the high half
                    int second = 2 * p + 1 - swap;
                    x[p] = first | (second << 16);
                }
                HalfLinearQuantizer.codeRow(x, t, low, high, out, pairs);
                for (int p = 0; p < pairs; p++) {
                    for (int half = 0; half < 2; half++) {
                        int h = (x[p] >>> (16 * half)) & 0xFFFF;
                        if ((h & 0x7C00) == 0x7C00) continue; // infinities and NaN never reach the kernel
                        float scale = half == 0 ? a : b;
                        int expected = HalfLinearQuantizer.code((short) h, scale, 0, -7, 7) & 0xF;
                        int got = (((byte) out[p]) >>> (4 * half)) & 0xF; // the pair's byte is out[p]'s low 8 bits
                        if (got != expected) {
                            throw new AssertionError("float16 0x" + Integer.toHexString(h) + " (" + Float16.toFloat((short) h) + ") / " + scale
                                    + " in half " + half + ": nibble " + got + ", the code's " + expected);
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals(scales.size() * 2L * 63488, checked);
    }

    /** A block's scale by its largest magnitude is the float path's, for every finite float16 magnitude. */
    @Test
    void int4BlocksHaveTheFloatPathsScaleForEveryLargestMagnitude() {
        LinearQuantizerOptions int4 = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT4,
                new QuantGranularity.PerTensor());
        for (int m = 0; m < 0x7C00; m++) {
            float max = Float16.toFloat((short) m);
            float[] scale = new float[1];
            LinearQuantizer.parameters(new float[] {-max}, new float[] {max}, int4, Precision.FLOAT16, scale, null);
            float blockScale = HalfLinearQuantizer.Int4Blocks.scale(m);
            assertEquals(scale[0], blockScale, "largest magnitude 0x" + Integer.toHexString(m));
            for (int j = 1; j <= 7; j++) {
                int threshold = HalfLinearQuantizer.Int4Blocks.threshold(m, j);
                assertTrue(threshold == 0x7C00 || HalfLinearQuantizer.code((short) threshold, blockScale, 0, -7, 7) >= j);
                assertTrue(HalfLinearQuantizer.code((short) (threshold - 1), blockScale, 0, -7, 7) < j);
            }
        }
    }

    @Test
    void widenPairsKeepsTheLargerMagnitudeOfEachHalf() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 100_000;
        int[] x = new int[n];
        int[] range = new int[n];
        int[] expected = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt();
            range[i] = r.nextInt() & 0x7FFF7FFF;
            if (i % 7 == 0) range[i] = x[i] & 0x7FFF7FFF; // equal magnitudes
            int lowMax = Math.max(x[i] & 0x7FFF, range[i] & 0x7FFF);
            int highMax = Math.max((x[i] >>> 16) & 0x7FFF, range[i] >>> 16);
            expected[i] = lowMax | (highMax << 16);
        }
        HalfLinearQuantizer.widenPairs(x, range, n);
        assertArrayEquals(expected, range);
    }

    @Test
    void keysOrderFloat16ValuesAndGiveTheirBitsBack() {
        List<Integer> finite = new ArrayList<>();
        for (int h = 0; h < 1 << 16; h++) if ((h & 0x7C00) != 0x7C00) finite.add(h);
        for (int a : finite) assertEquals((short) a, HalfLinearQuantizer.bitsOf(HalfLinearQuantizer.key((short) a)));
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            short a = (short) (int) finite.get(r.nextInt(finite.size()));
            short b = (short) (int) finite.get(r.nextInt(finite.size()));
            float fa = Float16.toFloat(a);
            float fb = Float16.toFloat(b);
            int byKey = Integer.compare(HalfLinearQuantizer.key(a), HalfLinearQuantizer.key(b));
            if (fa != fb) assertEquals(Float.compare(fa, fb), byKey, fa + " vs " + fb);
        }
        assertTrue(HalfLinearQuantizer.key(Float16.fromFloat(-0f)) < HalfLinearQuantizer.key(Float16.fromFloat(0f)));
    }

    /** Gaussian float16 values with edge values mixed in: ±0, subnormals, ±65504, ties of the scale, and constant blocks. */
    private static float[] weight(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        float[] edges = {0f, -0f, 0x1p-24f, -0x1p-24f, 0x1.ff8p-15f, 65504f, -65504f, 0.5f, -0.5f, 1.5f, 2.5f, 0.0009765625f};
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(40);
            float v = kind == 0 ? edges[r.nextInt(edges.length)] : (float) (r.nextGaussian() * (kind == 1 ? 300 : 0.02));
            w[i] = Precision.FLOAT16.round(v);
        }
        for (int i = 0; i < Math.min(n, 96); i++) w[i] = 0f; // the first rows: blocks of zeros only
        for (int i = 96; i < Math.min(n, 160); i++) w[i] = -0.25f; // and of one negative value only
        return w;
    }

    @Test
    void everyModeTypeAndGranularityGivesTheFloatPathsScalesAndPackedCodes() {
        List<long[]> shapes = List.of(new long[] {130, 24}, new long[] {24, 130}, new long[] {4, 6, 34}, new long[] {77}, new long[] {});
        int checked = 0;
        for (long[] shape : shapes) {
            int n = Shapes.count(shape);
            float[] w = weight(n, shape.length * 31L + n);
            short[] bits = new short[n];
            for (int i = 0; i < n; i++) bits[i] = Float16.fromFloat(w[i]);
            WeightTensor whole = WeightTensor.of(w, shape, Precision.FLOAT16);
            for (QuantGranularity g : granularities(shape.length)) {
                for (LinearQuantizerOptions.Mode mode : LinearQuantizerOptions.Mode.values()) {
                    for (DType dtype : List.of(DType.INT8, DType.UINT8, DType.INT4, DType.UINT4)) {
                        for (boolean reduce : dtype.bits() == 8 ? new boolean[] {false, true} : new boolean[] {false}) {
                            LinearQuantizerOptions o = new LinearQuantizerOptions(mode, dtype, g, reduce);
                            LinearQuantization expected = LinearQuantizer.quantize(whole, o);
                            byte[] packed = pack(expected.quantized(), dtype.bits());
                            for (int piece : new int[] {8, 104, 1 << 20}) {
                                for (int parts : new int[] {1, 3}) {
                                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                                    LinearQuantization got = HalfLinearQuantizer.quantize(shape,
                                            (first, into, count) -> System.arraycopy(bits, (int) first, into, 0, count), o, piece,
                                            (p, count) -> out.write(p, 0, count), SplitWork.on(pool, parts));
                                    String what = java.util.Arrays.toString(shape) + " " + g + " " + mode + " " + dtype + (reduce ? " reduced" : "")
                                            + " piece " + piece + " parts " + parts;
                                    assertArrayEquals(packed, out.toByteArray(), what);
                                    assertArrayEquals(expected.scales(), got.scales(), what);
                                    assertArrayEquals(expected.zeroPoints(), got.zeroPoints(), what);
                                    assertArrayEquals(expected.scaleShape(), got.scaleShape(), what);
                                    assertArrayEquals(expected.blockLengths(), got.blockLengths(), what);
                                    assertEquals(Precision.FLOAT16, got.precision(), what);
                                    checked++;
                                }
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 1000, "checked " + checked);
    }

    @Test
    void weightsWithMoreBlocksThanOneParameterSliceGetEveryBlocksParameters() {
        long[] shape = {3, 70_001}; // per-channel scales along axis 1: 70,001 blocks, a slice of 65,536 and a partial one
        int n = 3 * 70_001;
        float[] w = weight(n, 77);
        short[] bits = new short[n];
        for (int i = 0; i < n; i++) bits[i] = Float16.fromFloat(w[i]);
        WeightTensor whole = WeightTensor.of(w, shape, Precision.FLOAT16);
        for (LinearQuantizerOptions.Mode mode : LinearQuantizerOptions.Mode.values()) {
            for (DType dtype : List.of(DType.INT8, DType.UINT4)) {
                LinearQuantizerOptions o = new LinearQuantizerOptions(mode, dtype, new QuantGranularity.PerChannel(1));
                LinearQuantization expected = LinearQuantizer.quantize(whole, o);
                for (int piece : new int[] {4096, 1 << 20}) { // the two-pass path and the band path
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    LinearQuantization got = HalfLinearQuantizer.quantize(shape, (first, into, count) -> System.arraycopy(bits, (int) first, into, 0, count),
                            o, piece, (p, count) -> out.write(p, 0, count), SplitWork.on(pool, 2));
                    assertArrayEquals(pack(expected.quantized(), dtype.bits()), out.toByteArray(), mode + " " + dtype + " piece " + piece);
                    assertArrayEquals(expected.scales(), got.scales(), mode + " " + dtype + " piece " + piece);
                    assertArrayEquals(expected.zeroPoints(), got.zeroPoints(), mode + " " + dtype + " piece " + piece);
                }
            }
        }
    }

    private static List<QuantGranularity> granularities(int rank) {
        List<QuantGranularity> g = new ArrayList<>(List.of(new QuantGranularity.PerTensor()));
        if (rank >= 1) g.add(new QuantGranularity.PerChannel(0));
        if (rank >= 2) {
            g.add(new QuantGranularity.PerChannel(rank - 1));
            g.add(new QuantGranularity.PerBlock(rank - 1, 0, 32)); // a MatMul weight's int4 blocks along the input rows
            g.add(new QuantGranularity.PerBlock(0, rank - 1, 16)); // a Gemm weight's blocks along the row
        }
        return g;
    }

    /** The codes packed as they are stored: a byte each for 8 bits, two a byte (the first in the low nibble) for 4. */
    private static byte[] pack(int[] codes, int bits) {
        if (bits == 8) {
            byte[] b = new byte[codes.length];
            for (int i = 0; i < codes.length; i++) b[i] = (byte) codes[i];
            return b;
        }
        byte[] b = new byte[(codes.length + 1) / 2];
        for (int i = 0; i < codes.length; i++) b[i / 2] |= (byte) ((codes[i] & 0xF) << (i % 2 * 4));
        return b;
    }

    @Test
    void refusesPiecesThatDoNotPackToWholeBytesAndOtherCodeWidths() {
        LinearQuantizerOptions int4 = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT4,
                new QuantGranularity.PerTensor());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HalfLinearQuantizer.quantize(new long[] {16},
                (first, into, count) -> { }, int4, 12, (p, count) -> { }, SplitWork.INLINE));
        assertEquals("linear_quantize: piece must be a positive multiple of 8, got 12", e.getMessage());
        assertTrue(HalfLinearQuantizer.packs(DType.UINT8) && HalfLinearQuantizer.packs(DType.INT4));
        assertTrue(!HalfLinearQuantizer.packs(DType.INT2));
    }
}
