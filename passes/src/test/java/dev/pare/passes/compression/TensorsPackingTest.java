package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.DType;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Tensors#ofInts} packs codes straight into bytes, as {@link SubByte#pack} does from longs. */
class TensorsPackingTest {

    private static byte[] bytes(TensorData d) {
        ByteBuffer b = d.bytes();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void everyCodeTypePacksLikeSubBytePack() {
        SplittableRandom r = new SplittableRandom(3);
        for (DType t : new DType[] {DType.UINT1, DType.UINT2, DType.UINT3, DType.UINT4, DType.INT4, DType.UINT6, DType.INT8, DType.UINT8}) {
            int bits = t.bits();
            int lo = t.isSigned() ? -(1 << (bits - 1)) : 0;
            int n = 77; // not a whole number of bytes for any width
            int[] codes = new int[n];
            long[] wide = new long[n];
            for (int i = 0; i < n; i++) {
                codes[i] = lo + r.nextInt(1 << bits);
                wide[i] = codes[i];
            }
            TensorData d = Tensors.ofInts(t, new long[] {7, 11}, codes);
            byte[] expected = t.isSubByte() ? SubByte.pack(t, wide) : packBytes(codes);
            assertArrayEquals(expected, bytes(d), t.toString());
            for (int i = 0; i < n; i++) assertEquals(codes[i], Tensors.integer(d.bytes(), t, i), t + " element " + i);
        }
    }

    private static byte[] packBytes(int[] codes) {
        byte[] b = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) b[i] = (byte) codes[i];
        return b;
    }

    /** The float16 source reads pairs of stored values as ints (first in the low half), as the shorts it reads one by one. */
    @Test
    void halfPairsAreTheStoredShortsTwoAnInt() {
        SplittableRandom r = new SplittableRandom(9);
        float[] values = new float[6 * 10];
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextGaussian() * (i % 7 == 0 ? -3 : 1);
        TensorData d = Tensors.ofFloats(DType.FLOAT16, new long[] {6, 10}, values);
        var source = Tensors.halfSource(d);
        short[] shorts = new short[40];
        source.read(12, shorts, 40);
        int[] pairs = new int[20];
        source.readPairs(12, pairs, 20);
        for (int p = 0; p < 20; p++) {
            assertEquals(shorts[2 * p], (short) pairs[p], "low half of pair " + p);
            assertEquals(shorts[2 * p + 1], (short) (pairs[p] >>> 16), "high half of pair " + p);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensors.halfSource(Tensors.ofFloats(DType.FLOAT32, new long[] {2}, new float[2])));
        assertEquals("expected an f16 tensor, got f32[2]", e.getMessage());
    }

    @Test
    void aCodeOutsideTheTypeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensors.ofInts(DType.INT4, new long[] {2}, new int[] {3, 8}));
        assertEquals("8 does not fit INT4", e.getMessage());
    }
}
