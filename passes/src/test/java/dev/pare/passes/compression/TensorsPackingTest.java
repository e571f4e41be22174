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

    @Test
    void aCodeOutsideTheTypeIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensors.ofInts(DType.INT4, new long[] {2}, new int[] {3, 8}));
        assertEquals("8 does not fit INT4", e.getMessage());
    }
}
