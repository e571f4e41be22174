package dev.pare.passes.compression.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.DType;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The streamed quantization split over threads gives the parameters and codes of quantizing the weight whole, for any split. */
class LinearQuantizerSplitTest {

    private static ExecutorService pool;

    @BeforeAll static void start() { pool = Executors.newFixedThreadPool(3); }

    @AfterAll static void stop() { pool.shutdownNow(); }

    @Test
    void everyGranularityMatchesTheWholeWeightForAnySplit() {
        long[] shape = {40, 21}; // a MatMul weight [in, out]: per-channel scales along axis 1 span every row
        SplittableRandom r = new SplittableRandom(3);
        float[] w = new float[40 * 21];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * (1 + i % 5));
        for (int row = 0; row < 40; row++) w[row * 21 + 4] = row % 3 == 0 ? -0f : 0f; // a column of signed zeros only
        for (int row = 0; row < 40; row++) w[row * 21 + 9] = row % 2 == 0 ? 0.5f : -0.5f; // equal extremes met in every part
        WeightTensor whole = WeightTensor.of(w, shape, Precision.FLOAT32);
        int checked = 0;
        for (QuantGranularity g : List.of(new QuantGranularity.PerTensor(), new QuantGranularity.PerChannel(1), new QuantGranularity.PerChannel(0))) {
            for (LinearQuantizerOptions.Mode mode : LinearQuantizerOptions.Mode.values()) {
                for (DType dtype : List.of(DType.INT8, DType.UINT8, DType.INT4)) {
                    LinearQuantizerOptions o = new LinearQuantizerOptions(mode, dtype, g);
                    LinearQuantization expected = LinearQuantizer.quantize(whole, o);
                    for (int piece : new int[] {8, 100, 2000}) {
                        for (int parts : new int[] {2, 3, 7}) {
                            int[] codes = new int[w.length];
                            int[] at = {0};
                            LinearQuantization got = LinearQuantizer.quantize(shape, Precision.FLOAT32,
                                    (first, into, count) -> System.arraycopy(w, (int) first, into, 0, count), o, piece, (q, count) -> {
                                        System.arraycopy(q, 0, codes, at[0], count);
                                        at[0] += count;
                                    }, SplitWork.on(pool, parts));
                            String what = g + " " + mode + " " + dtype + " piece " + piece + " parts " + parts;
                            assertEquals(w.length, at[0], what);
                            assertArrayEquals(expected.quantized(), codes, what);
                            assertArrayEquals(expected.scales(), got.scales(), what);
                            assertArrayEquals(expected.zeroPoints(), got.zeroPoints(), what);
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(3 * LinearQuantizerOptions.Mode.values().length * 3 * 3 * 3, checked);
    }
}
