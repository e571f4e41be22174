package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pare.ir.DType;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Quantizing a weight a piece at a time gives exactly the parameters and codes of quantizing it whole. */
class LinearQuantizerStreamingTest {

    private static float[] values(int n, long seed, Precision p) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = p.round((float) (r.nextGaussian() * (1 + i % 7)));
        return w;
    }

    @Test
    void everyGranularityModeAndTypeMatchesTheWholeWeightForPiecesThatCrossRowsAndBlocks() {
        long[] shape = {8, 20, 3}; // a conv-like weight: blocks run along axis 1, not the innermost one
        List<QuantGranularity> granularities = List.of(new QuantGranularity.PerTensor(), new QuantGranularity.PerChannel(0),
                new QuantGranularity.PerChannel(2), new QuantGranularity.PerBlock(0, 1, 8), new QuantGranularity.PerBlock(2, 1, 6));
        int checked = 0;
        for (Precision p : Precision.values()) {
            float[] w = values(8 * 20 * 3, 11, p);
            WeightTensor whole = WeightTensor.of(w, shape, p);
            for (QuantGranularity g : granularities) {
                for (LinearQuantizerOptions.Mode mode : LinearQuantizerOptions.Mode.values()) {
                    for (DType dtype : List.of(DType.INT8, DType.UINT8, DType.INT4, DType.UINT4)) {
                        LinearQuantizerOptions o = new LinearQuantizerOptions(mode, dtype, g);
                        LinearQuantization expected = LinearQuantizer.quantize(whole, o);
                        for (int piece : new int[] {8, 56, 1000}) {
                            int[] codes = new int[w.length];
                            int[] at = {0};
                            LinearQuantization got = LinearQuantizer.quantize(shape, p,
                                    (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count), o, piece,
                                    (q, count) -> {
                                        System.arraycopy(q, 0, codes, at[0], count);
                                        at[0] += count;
                                    });
                            String what = p + " " + g + " " + mode + " " + dtype + " piece " + piece;
                            assertEquals(w.length, at[0], what);
                            assertArrayEquals(expected.quantized(), codes, what);
                            assertArrayEquals(expected.scales(), got.scales(), what);
                            assertArrayEquals(expected.zeroPoints(), got.zeroPoints(), what);
                            assertArrayEquals(expected.scaleShape(), got.scaleShape(), what);
                            assertArrayEquals(expected.blockLengths(), got.blockLengths(), what);
                            assertNull(got.quantized());
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(2 * 5 * 2 * 4 * 3, checked);
    }

    @Test
    void aMatMulWeightReadOnceInBandsOfWholeBlocksMatchesTheWholeWeight() {
        // [in, out] with blocks of 16 along in (axis 0): a band is 16 rows of 5; pieces of 8 and 56
        // are smaller than a band (two reads), 200 holds 2 bands, 1000 the whole weight; 70 rows
        // leave a partial last band of 6 rows
        long[] shape = {70, 5};
        List<QuantGranularity> granularities = List.of(new QuantGranularity.PerBlock(1, 0, 16), new QuantGranularity.PerChannel(1),
                new QuantGranularity.PerChannel(0), new QuantGranularity.PerBlock(0, 1, 2));
        int checked = 0;
        for (Precision p : Precision.values()) {
            float[] w = values(70 * 5, 13, p);
            WeightTensor whole = WeightTensor.of(w, shape, p);
            for (QuantGranularity g : granularities) {
                for (LinearQuantizerOptions.Mode mode : LinearQuantizerOptions.Mode.values()) {
                    LinearQuantizerOptions o = new LinearQuantizerOptions(mode, DType.INT4, g);
                    LinearQuantization expected = LinearQuantizer.quantize(whole, o);
                    for (int piece : new int[] {8, 56, 200, 1000}) {
                        int[] codes = new int[w.length];
                        int[] at = {0};
                        int[] reads = {0};
                        LinearQuantization got = LinearQuantizer.quantize(shape, p, (first, into, count) -> {
                            System.arraycopy(w, (int) first, into, 0, count);
                            reads[0] += count;
                        }, o, piece, (q, count) -> {
                            System.arraycopy(q, 0, codes, at[0], count);
                            at[0] += count;
                        });
                        String what = p + " " + g + " " + mode + " piece " + piece;
                        assertArrayEquals(expected.quantized(), codes, what);
                        assertArrayEquals(expected.scales(), got.scales(), what);
                        assertArrayEquals(expected.zeroPoints(), got.zeroPoints(), what);
                        long band = (long) expected.blockLengths()[0] * 5;
                        assertEquals(band <= piece ? w.length : 2 * w.length, reads[0], what + ": values read");
                        checked++;
                    }
                }
            }
        }
        assertEquals(2 * 4 * 2 * 4, checked);
    }

    @Test
    void aPieceMustBePositive() {
        LinearQuantizerOptions o = new LinearQuantizerOptions(LinearQuantizerOptions.Mode.LINEAR, DType.INT8, new QuantGranularity.PerTensor());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LinearQuantizer.quantize(new long[] {4}, Precision.FLOAT32, (f, into, c) -> Arrays.fill(into, 0, c, 1f), o, 0, (q, c) -> { }));
        assertEquals("linear_quantize: piece must be positive, got 0", e.getMessage());
    }
}
