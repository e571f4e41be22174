package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DTypeAndPackingTest {

    @Test
    void byteSizesRoundSubByteTypesUp() {
        assertEquals(5, DType.INT4.byteSize(9));
        assertEquals(2, DType.UINT3.byteSize(5)); // 15 bits
        assertEquals(1, DType.UINT1.byteSize(8));
        assertEquals(2, DType.UINT1.byteSize(9));
        assertEquals(3, DType.UINT6.byteSize(4));
        assertEquals(36, DType.FLOAT32.byteSize(9));
    }

    @Test
    void byteSizeOverflowIsDetected() {
        assertThrows(ArithmeticException.class, () -> TensorType.of(DType.FLOAT32, 1L << 40, 1L << 30).byteSize());
    }

    @Test
    void int4PacksLowNibbleFirst() {
        // ONNX: element 2i in the low nibble of byte i, element 2i+1 in the high nibble.
        byte[] packed = SubByte.pack(DType.INT4, new long[] {1, -2, 7});
        assertArrayEquals(new byte[] {(byte) 0xE1, 0x07}, packed);
        ByteBuffer b = ByteBuffer.wrap(packed);
        assertEquals(1, SubByte.get(b, DType.INT4, 0));
        assertEquals(-2, SubByte.get(b, DType.INT4, 1));
        assertEquals(7, SubByte.get(b, DType.INT4, 2));
    }

    @Test
    void threeBitValuesCrossByteBoundariesLsbFirst() {
        long[] values = {5, 3, 7, 1, 6};
        byte[] packed = SubByte.pack(DType.UINT3, values);
        // element i occupies bits [3i, 3i+3) of the little-endian bit stream
        long stream = 0;
        for (int i = 0; i < values.length; i++) stream |= values[i] << (3 * i);
        assertEquals((byte) (stream & 0xFF), packed[0]);
        assertEquals((byte) ((stream >>> 8) & 0xFF), packed[1]);
        for (int i = 0; i < values.length; i++) assertEquals(values[i], SubByte.get(ByteBuffer.wrap(packed), DType.UINT3, i));
    }

    @Test
    void everySubByteTypePacksAsTheLsbFirstBitStream() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (DType dtype : DType.values()) {
            if (!dtype.isSubByte()) continue;
            int bits = dtype.bits();
            long lo = dtype.isSigned() ? -(1L << (bits - 1)) : 0;
            long[] values = new long[1001];
            for (int i = 0; i < values.length; i++) values[i] = lo + random.nextLong(1L << bits);
            byte[] packed = SubByte.pack(dtype, values);
            // the reference: bit k of element i is bit i*bits+k of the stream, set one at a time
            byte[] expected = new byte[(int) dtype.byteSize(values.length)];
            for (int i = 0; i < values.length; i++) {
                for (int k = 0; k < bits; k++) {
                    if (((values[i] >>> k) & 1) != 0) expected[(i * bits + k) >>> 3] |= (byte) (1 << ((i * bits + k) & 7));
                }
            }
            assertArrayEquals(expected, packed, dtype.toString());
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], SubByte.get(ByteBuffer.wrap(packed), dtype, i), dtype + " element " + i);
            }
        }
    }

    @Test
    void packRejectsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SubByte.pack(DType.UINT4, new long[] {16}));
        assertEquals("16 does not fit UINT4", e.getMessage());
    }

    @Test
    void float16RoundTripsEveryHalfValue() {
        for (int h = 0; h < 65536; h++) {
            float f = Float16.toFloat((short) h);
            if (Float.isNaN(f)) continue;
            assertEquals((short) h, Float16.fromFloat(f), "half 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void float16RoundsHalfToEven() {
        assertEquals((short) 0x3c00, Float16.fromFloat(1.00048828125f)); // exactly halfway: keep even 0x3c00
        assertEquals((short) 0x3c02, Float16.fromFloat(1.00146484375f)); // halfway between 0x3c01 and 0x3c02
        assertEquals((short) 0x3c01, Float16.fromFloat(1.0009765625f));
        assertEquals((short) 0x7c00, Float16.fromFloat(65520f)); // rounds to infinity
        assertEquals((short) 0x0001, Float16.fromFloat(5.9604645e-8f)); // smallest subnormal
    }
}
