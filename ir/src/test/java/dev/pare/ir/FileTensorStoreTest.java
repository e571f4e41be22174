package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTensorStoreTest {

    @TempDir Path dir;

    private static ByteBuffer bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
        return ByteBuffer.wrap(b);
    }

    private long filesIn(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.count();
        }
    }

    @Test
    void largeTensorsGoToADeletedFileAndReadBackMapped() throws Exception {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            DenseData a = store.put(TensorType.of(DType.UINT8, new long[] {5000}), bytes(5000, 1));
            DenseData b = store.put(TensorType.of(DType.FLOAT32, new long[] {2, 1500}), bytes(12000, 7));
            assertEquals("store@0", a.origin());
            assertEquals("store@5056", b.origin(), "tensors start at multiples of 64 bytes");
            assertFalse(a.isMaterialized(), "mapped when first read, not before");
            assertEquals(bytes(5000, 1), a.bytes());
            assertEquals(bytes(12000, 7), b.bytes());
            assertTrue(b.bytes().isDirect(), "read from a mapping, not the heap");
            assertEquals(17000, store.storedBytes());
            // Linux deletes the file while it is open: nothing is left behind, even after kill -9
            assertEquals(0, filesIn(dir));
        }
    }

    @Test
    void smallTensorsStayOnTheHeap() {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            DenseData lut = store.put(TensorType.of(DType.FLOAT16, new long[] {16}), bytes(32, 3));
            assertEquals("heap", lut.origin());
            assertEquals(bytes(32, 3), lut.bytes());
            assertEquals(0, store.storedBytes());
        }
    }

    @Test
    void tensorsReadBeforeCloseStayReadableOthersFailByName() {
        FileTensorStore store = FileTensorStore.in(dir);
        DenseData read = store.put(TensorType.of(DType.UINT8, new long[] {4096}), bytes(4096, 2));
        DenseData unread = store.put(TensorType.of(DType.UINT8, new long[] {4096}), bytes(4096, 5));
        assertEquals(bytes(4096, 2), read.bytes());
        store.close();
        assertEquals(bytes(4096, 2), read.bytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, unread::bytes);
        assertEquals("tensor store was closed before this tensor was read", e.getMessage());
        IllegalStateException put = assertThrows(IllegalStateException.class,
                () -> store.put(TensorType.of(DType.UINT8, new long[] {4096}), bytes(4096, 1)));
        assertEquals("tensor store is closed", put.getMessage());
    }

    @Test
    void heapStoreKeepsTheBuffer() {
        DenseData d = TensorStore.heap().put(TensorType.of(DType.UINT8, new long[] {8192}), bytes(8192, 9));
        assertEquals("heap", d.origin());
        assertEquals(bytes(8192, 9), d.bytes());
    }

    @Test
    void aWriterStoresPiecesInOrderBetweenOtherTensors() throws Exception {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            TensorStore.Writer w = store.writer(TensorType.of(DType.UINT8, new long[] {10000}));
            DenseData other = store.put(TensorType.of(DType.UINT8, new long[] {5000}), bytes(5000, 3));
            ByteBuffer all = bytes(10000, 5);
            for (int at = 0; at < 10000; at += 3000) w.write(all.duplicate().position(at).limit(Math.min(10000, at + 3000)));
            DenseData written = w.finish();
            assertEquals("store@0", written.origin(), "the region is reserved when the writer is made");
            assertEquals("store@10048", other.origin());
            assertEquals(all, written.bytes());
            assertEquals(bytes(5000, 3), other.bytes());
            assertEquals(15000, store.storedBytes());
        }
    }

    @Test
    void aWriterRefusesTooFewOrTooManyBytes() {
        for (TensorStore store : new TensorStore[] {FileTensorStore.in(dir), TensorStore.heap()}) {
            try (store) {
                TensorStore.Writer w = store.writer(TensorType.of(DType.UINT8, new long[] {8000}));
                w.write(bytes(5000, 1));
                assertEquals("tensor store: 5000 of 8000 bytes were written", assertThrows(IllegalStateException.class, w::finish).getMessage());
                assertThrows(java.nio.BufferOverflowException.class, () -> w.write(bytes(3001, 1)));
            }
        }
    }

    @Test
    void aSmallWrittenTensorStaysOnTheHeap() {
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            TensorStore.Writer w = store.writer(TensorType.of(DType.INT4, new long[] {10}));
            w.write(bytes(5, 2));
            DenseData d = w.finish();
            assertEquals(bytes(5, 2), d.bytes());
            assertEquals(0, store.storedBytes());
        }
    }
}
