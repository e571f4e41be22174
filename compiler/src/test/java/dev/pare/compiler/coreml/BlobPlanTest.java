package dev.pare.compiler.coreml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link BlobPlan}: equal tensors share a blob; a tensor no other of its type could equal is never read to plan. */
class BlobPlanTest {

    /** A float32 tensor of {@code n} copies of {@code value} whose bytes are produced (and counted) when read. */
    private static DenseData counted(int n, float value, AtomicInteger reads) {
        return DenseData.ofMappedRegion(TensorType.of(DType.FLOAT32, n), 4L * n, (from, size) -> {
            reads.incrementAndGet();
            ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) b.putFloat(value);
            return b.flip();
        }, "test");
    }

    @Test
    void aTensorAloneOfItsTypeIsNotReadAndEqualTensorsShareABlob() {
        AtomicInteger reads = new AtomicInteger();
        BlobPlan plan = new BlobPlan();
        long big = plan.add(counted(1000, 1f, reads));
        long other = plan.add(counted(500, 1f, reads));      // another shape: cannot be equal
        assertEquals(0, reads.get(), "planned without reading a byte");
        assertEquals(64, big);
        assertEquals(BlobFile.align(64 + 64 + 4000), other);

        long same = plan.add(counted(1000, 1f, reads));      // same type and bytes: shares the first blob
        assertEquals(big, same);
        long different = plan.add(counted(1000, 2f, reads)); // same type, other bytes: a blob of its own
        assertEquals(BlobFile.align(other + 64 + 2000), different);
        assertEquals(3, plan.count());
        assertEquals(different + 64 + 4000, plan.fileSize());

        DenseData small = TensorData.ofFloats(new long[] {500}, new float[500]);
        assertEquals(BlobFile.align(different + 64 + 4000), plan.add(small), "zeros differ from the ones of the 500-element blob");
        DenseData ones = TensorData.ofFloats(new long[] {500}, filled(500, 1f));
        assertEquals(other, plan.add(ones), "equal to the 500-element blob planned before any other of its type");
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
