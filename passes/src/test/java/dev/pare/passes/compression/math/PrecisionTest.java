package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.DType;
import org.junit.jupiter.api.Test;

class PrecisionTest {

    @Test
    void doubleToHalfRoundsOnceNotTwice() {
        double midpoint = 1.00048828125; // halfway between fp16 1.0 and 1.0009765625
        // via float32 the 1e-12 is lost and half-even would give 1.0
        assertEquals(1.0009765625f, Precision.FLOAT16.round(midpoint + 1e-12));
        assertEquals(1.0f, Precision.FLOAT16.round(midpoint - 1e-12));
        assertEquals(1.0f, Precision.FLOAT16.round(midpoint));
        assertEquals(-1.0009765625f, Precision.FLOAT16.round(-(midpoint + 1e-12)));
        assertEquals(0.1f, Precision.FLOAT32.round(0.1));
    }

    @Test
    void firstNotFiniteFindsTheFirstInfinityOrNaN() {
        float[] w = new float[100_000];
        for (int i = 0; i < w.length; i++) w[i] = (i % 7 - 3) * 1e30f;
        assertEquals(-1, WeightTensor.firstNotFinite(w, w.length));
        w[70_001] = Float.NEGATIVE_INFINITY;
        w[90_000] = Float.NaN;
        assertEquals(70_001, WeightTensor.firstNotFinite(w, w.length));
        assertEquals(-1, WeightTensor.firstNotFinite(w, 70_001), "only the first n are looked at");
        w[5] = Float.POSITIVE_INFINITY;
        assertEquals(5, WeightTensor.firstNotFinite(w, w.length));
        assertEquals("weight: element 5 is not finite (Infinity)",
                assertThrows(IllegalArgumentException.class, () -> WeightTensor.of(w, new long[] {w.length}, Precision.FLOAT32)).getMessage());
    }

    @Test
    void weightTensorChecksShapeAndValues() {
        assertEquals("weight: shape [2, 3] holds 6 elements but 5 values were given",
                assertThrows(IllegalArgumentException.class, () -> WeightTensor.of(new float[5], new long[] {2, 3}, Precision.FLOAT32)).getMessage());
        assertEquals("weight: element 1 is not finite (NaN)",
                assertThrows(IllegalArgumentException.class, () -> WeightTensor.of(new float[] {0, Float.NaN}, new long[] {2}, Precision.FLOAT32)).getMessage());
        assertEquals("weight: element 0 (0.1) is not an fp16 value",
                assertThrows(IllegalArgumentException.class, () -> WeightTensor.of(new float[] {0.1f}, new long[] {1}, Precision.FLOAT16)).getMessage());
        assertEquals("weight type must be f32 or f16, got i8",
                assertThrows(IllegalArgumentException.class, () -> Precision.of(DType.INT8)).getMessage());
    }

    @Test
    void float16RepresentsExactlyTheValuesThatSurviveTheRoundTrip() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        int checked = 0;
        for (int h = 0; h < 1 << 16; h++) {
            float v = dev.pare.ir.Float16.toFloat((short) h);
            if (!Float.isFinite(v)) continue;
            for (int delta : new int[] {0, 1, 1 << 12, 1 << 13, -1}) {
                float w = Float.intBitsToFloat(Float.floatToRawIntBits(v) + delta);
                boolean roundTrip = Float.compare(Precision.FLOAT16.round(w), w) == 0 || w == 0f;
                assertEquals(roundTrip, Precision.FLOAT16.represents(w), "bits " + Integer.toHexString(Float.floatToRawIntBits(w)));
                checked++;
            }
        }
        for (int i = 0; i < 200_000; i++) {
            float w = Float.intBitsToFloat(r.nextInt());
            if (!Float.isFinite(w)) continue;
            assertEquals(Float.compare(Precision.FLOAT16.round(w), w) == 0 || w == 0f, Precision.FLOAT16.represents(w));
        }
        assertEquals(63_488 * 5, checked);
    }

    @Test
    void fastHalfRoundingEqualsTheRoundTripThroughAShort() {
        // every fp16 value and its neighbourhood: exact values, ties (half an fp16 ulp), just above
        // and below ties, mantissa carries into the exponent, the edges 2^-14, 2^15, 65504, overflow
        int[] deltas = {0, 1, -1, 0xFFF, 0x1000, 0x1001, 0x1FFF, -0x1000, -0x1001, -0xFFF};
        int checked = 0;
        for (int h = 0; h < 1 << 16; h++) {
            float v = dev.pare.ir.Float16.toFloat((short) h);
            if (Float.isNaN(v)) continue;
            for (int delta : deltas) {
                float w = Float.intBitsToFloat(Float.floatToRawIntBits(v) + delta);
                float expected = dev.pare.ir.Float16.toFloat(dev.pare.ir.Float16.fromFloat(w));
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(Precision.roundToHalf(w)),
                        "bits " + Integer.toHexString(Float.floatToRawIntBits(w)));
                checked++;
            }
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < 2_000_000; i++) {
            float w = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(w)) continue;
            float expected = dev.pare.ir.Float16.toFloat(dev.pare.ir.Float16.fromFloat(w));
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(Precision.roundToHalf(w)),
                    "bits " + Integer.toHexString(Float.floatToRawIntBits(w)));
        }
        assertEquals((65_536 - 2_046) * deltas.length, checked); // 2,046 fp16 NaN patterns skipped
        assertEquals(65504f, Precision.FLOAT16.round(65519.99f));
        assertEquals(Float.POSITIVE_INFINITY, Precision.FLOAT16.round(65520f));
        assertEquals(1.0009765625f, Precision.FLOAT16.round(1.00048828125f + 0x1p-23f)); // just above a tie
        assertEquals(1.0f, Precision.FLOAT16.round(1.00048828125f));                      // a tie: to even
        assertEquals(1.001953125f, Precision.FLOAT16.round(1.00146484375f));              // a tie: to even (up)
    }
}
