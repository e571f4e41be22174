package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File regions read in chunks: across mapping boundaries, and beyond what one buffer holds. */
class DenseDataChunksTest {

    @TempDir Path tmp;

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + (i >> 8));
        return b;
    }

    private static byte[] drain(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void smallChunksGiveTheSameBytesSlicesAndDigestAsOneBuffer() throws IOException {
        byte[] file = pattern(100 + 4 * 2500);
        Path f = Files.write(tmp.resolve("w.bin"), file);
        TensorType type = TensorType.of(DType.FLOAT32, 2500);
        byte[] want = java.util.Arrays.copyOfRange(file, 100, file.length);
        DenseData chunked = DenseData.ofFileRegion(type, f, 100, want.length, Map.of(), 4096);
        DenseData heap = TensorData.of(type, want);

        assertFalse(chunked.isMaterialized());
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        chunked.writeTo(Channels.newChannel(written));
        assertArrayEquals(want, written.toByteArray());
        // a slice inside one chunk, one straddling the 4096 boundary, one ending at the last byte
        assertArrayEquals(java.util.Arrays.copyOfRange(want, 10, 20), drain(chunked.slice(10, 10)));
        assertArrayEquals(java.util.Arrays.copyOfRange(want, 4090, 4200), drain(chunked.slice(4090, 110)));
        assertArrayEquals(java.util.Arrays.copyOfRange(want, 8000, 10000), drain(chunked.slice(8000, 2000)));
        assertEquals(heap.sha256(), chunked.sha256());
        assertArrayEquals(want, drain(chunked.bytes()));
        assertEquals("bytes [9990, 10001) of tensor f32[2500] (10000 bytes)",
                assertThrows(IndexOutOfBoundsException.class, () -> chunked.slice(9990, 11)).getMessage());
    }

    @Test
    void withTypeSharesTheRegionWithoutMappingItAndDropsAnnotations() throws IOException {
        byte[] file = pattern(64 + 1000);
        Path f = Files.write(tmp.resolve("codes.bin"), file);
        DenseData codes = DenseData.ofFileRegion(TensorType.of(DType.UINT4, 2000), f, 64, 1000, Map.of("k", "v"), 4096);
        DenseData bytes = codes.withType(TensorType.of(DType.UINT8, 1000, 1));

        assertFalse(bytes.isMaterialized(), "retyping maps nothing");
        assertEquals(codes.origin(), bytes.origin());
        assertEquals(Map.of(), bytes.annotations());
        assertArrayEquals(java.util.Arrays.copyOfRange(file, 64, file.length), drain(bytes.bytes()));
        assertEquals("tensor u8[999] needs 999 bytes but the data holds 1000",
                assertThrows(IllegalArgumentException.class, () -> codes.withType(TensorType.of(DType.UINT8, 999))).getMessage());
    }

    @Test
    void aTensorOverTwoGibIsReadInPiecesAndBytesSaysHow() throws IOException {
        Path f = tmp.resolve("big.bin");
        long size = 152064L * 3584 * 4;   // Qwen2-7B's embedding in fp32: 2.18 GB
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);           // sparse: costs no disk
            raf.seek(DenseData.DEFAULT_CHUNK - 2);
            raf.write(new byte[] {1, 2, 3, 4});
            raf.seek(size - 1);
            raf.write(9);
        }
        DenseData d = DenseData.ofFileRegion(TensorType.of(DType.FLOAT32, 152064, 3584), f, 0, size, Map.of());
        assertEquals(size, d.byteSize());
        IllegalStateException e = assertThrows(IllegalStateException.class, d::bytes);
        assertEquals("tensor f32[152064,3584] holds 2179989504 bytes, more than the 2147483647 one buffer can "
                + "hold; read it in pieces with slice(offset, length) or writeTo(channel)", e.getMessage());
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 0}, drain(d.slice(DenseData.DEFAULT_CHUNK - 3, 6)));
        assertArrayEquals(new byte[] {0, 9}, drain(d.slice(size - 2, 2)));
    }
}
