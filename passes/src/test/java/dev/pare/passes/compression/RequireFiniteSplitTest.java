package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.passes.compression.math.SplitWork;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The finiteness check split over threads names the first value that is not finite, as one pass does. */
class RequireFiniteSplitTest {

    @Test
    void theFirstValueThatIsNotFiniteIsNamedForAnySplit() {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT16}) {
                float[] values = new float[1000];
                for (int i = 0; i < values.length; i++) values[i] = i * 0.001f;
                values[905] = Float.NaN; // in the last part of every split
                values[611] = Float.NEGATIVE_INFINITY;
                TensorData data = Tensors.ofFloats(dtype, new long[] {10, 100}, values);
                for (int parts = 1; parts <= 5; parts++) {
                    for (int piece : new int[] {7, 1000}) {
                        SplitWork split = SplitWork.on(pool, parts);
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensors.requireFinite(data, piece, split));
                        assertEquals("weight: element 611 is not finite (-Infinity)", e.getMessage(), dtype + " parts " + parts + " piece " + piece);
                    }
                }
                values[611] = 0.5f;
                values[905] = 0.5f;
                Tensors.requireFinite(Tensors.ofFloats(dtype, new long[] {10, 100}, values), 7, SplitWork.on(pool, 3)); // all finite: no failure
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
