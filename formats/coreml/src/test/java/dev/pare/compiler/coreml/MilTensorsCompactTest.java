package dev.pare.compiler.coreml;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kept values of a sparse weight, gathered into a file-backed store piece by piece (now, or on
 * the first read), equal an element-wise gather.
 */
class MilTensorsCompactTest {

    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"UINT1", "UINT2", "UINT3", "INT4", "UINT4", "UINT6", "INT8", "FLOAT16", "FLOAT32"})
    void keptValuesEqualAnElementWiseGather(DType dtype) {
        // 300,007 elements: the kept bytes span several 64 KiB pieces and end mid-byte for sub-byte types
        int n = 300_007;
        Random random = new Random(7);
        long[] shape = {n};
        boolean[] keep = new boolean[n];
        byte[] maskBytes = new byte[(n + 7) / 8];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            keep[i] = random.nextInt(3) != 0;
            if (keep[i]) { maskBytes[i >>> 3] |= (byte) (1 << (i & 7)); kept++; }
        }
        maskBytes[maskBytes.length - 1] |= (byte) 0x80; // past the last element (n % 8 == 7): not part of the mask
        TensorData mask = TensorData.of(TensorType.of(DType.UINT1, shape), maskBytes);
        TensorData values;
        long[] expectedCodes = new long[kept];
        byte[] expectedBytes;
        if (dtype.isSubByte()) {
            long[] codes = new long[n];
            long lo = dtype.isSigned() ? -(1L << (dtype.bits() - 1)) : 0;
            for (int i = 0; i < n; i++) codes[i] = lo + random.nextInt(1 << dtype.bits());
            values = TensorData.of(TensorType.of(dtype, shape), SubByte.pack(dtype, codes));
            int k = 0;
            for (int i = 0; i < n; i++) if (keep[i]) expectedCodes[k++] = codes[i];
            expectedBytes = SubByte.pack(dtype, expectedCodes);
        } else {
            int size = dtype.bits() / 8;
            byte[] raw = new byte[n * size];
            random.nextBytes(raw);
            values = TensorData.of(TensorType.of(dtype, shape), raw);
            expectedBytes = new byte[kept * size];
            int k = 0;
            for (int i = 0; i < n; i++) if (keep[i]) { System.arraycopy(raw, i * size, expectedBytes, k, size); k += size; }
        }
        assertEquals(kept, MilTensors.popcount(mask));
        try (FileTensorStore store = FileTensorStore.in(dir)) {
            DenseData onFile = MilTensors.compact(values, mask, store);
            DenseData onHeap = MilTensors.compact(values, mask);
            long storedBefore = store.storedBytes();
            DenseData onRead = MilTensors.compactOnRead(values, mask, store);
            assertEquals(TensorType.of(dtype, kept), onRead.type());
            assertEquals(storedBefore, store.storedBytes(), "nothing gathered before the bytes are read");
            assertArrayEquals(expectedBytes, bytes(onRead));
            assertEquals(TensorType.of(dtype, kept), onFile.type());
            assertArrayEquals(expectedBytes, bytes(onFile));
            assertArrayEquals(expectedBytes, bytes(onHeap));
        }
    }

    private static byte[] bytes(TensorData data) {
        ByteBuffer b = data.bytes();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
