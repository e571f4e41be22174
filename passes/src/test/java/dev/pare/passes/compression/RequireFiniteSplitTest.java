package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** Float16 checked four values at a time: every finite pattern passes, and every infinity and NaN is found in any position. */
    @Test
    void everyFloat16InfinityAndNanIsFoundWhereverItIsAndNoFiniteValueIs() {
        int finite = 0;
        short[] all = new short[1 << 16];
        for (int h = 0; h < 1 << 16; h++) if ((h & 0x7C00) != 0x7C00) all[finite++] = (short) h;
        Tensors.requireFinite(half(java.util.Arrays.copyOf(all, finite)), 1 << 20, SplitWork.INLINE); // every finite value (63,488): no failure
        short[] values = new short[23]; // five words of four and a tail of three
        for (int h : new int[] {0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFFFF, 0x7FFF, 0xFE00}) {
            for (int at = 0; at < values.length; at++) {
                for (int i = 0; i < values.length; i++) values[i] = all[(i * 7919 + at) % finite];
                values[at] = (short) h;
                for (int piece : new int[] {8, 12, 1 << 20}) {
                    TensorData data = half(values);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensors.requireFinite(data, piece, SplitWork.INLINE));
                    assertTrue(e.getMessage().startsWith("weight: element " + at + " is not finite ("), e.getMessage());
                }
            }
        }
    }

    private static TensorData half(short[] bits) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(bits.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(bits);
        return dev.pare.ir.TensorStore.heap().put(dev.pare.ir.TensorType.of(DType.FLOAT16, bits.length), b);
    }
}
