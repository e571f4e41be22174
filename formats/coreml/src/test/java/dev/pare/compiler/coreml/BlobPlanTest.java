package dev.pare.compiler.coreml;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * weight.bin stores equal tensors once: a tensor no other of its type could equal is never read
 * to plan; tensors are compared by SHA-256 only when their types and sampled fingerprints agree,
 * and that pre-check never splits equal tensors nor merges unequal ones.
 */
class BlobPlanTest {

    private static final TensorType TYPE = TensorType.of(DType.FLOAT16, 256, 128);   // 64 KiB: sampled, not read whole

    private static byte[] randomBytes(long seed) {
        byte[] b = new byte[Math.toIntExact(TYPE.byteSize().orElseThrow())];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static DenseData tensor(byte[] bytes) { return TensorData.of(TYPE, bytes.clone()); }

    @Test
    void equalLargeTensorsShareOneBlob() {
        BlobPlan plan = new BlobPlan();
        byte[] bytes = randomBytes(1);
        long first = plan.add(tensor(bytes));
        long other = plan.add(tensor(randomBytes(2)));
        assertEquals(first, plan.add(tensor(bytes)), "an equal copy (another object) is stored once");
        assertNotEquals(first, other);
        assertEquals(2, plan.count());
    }

    @Test
    void tensorsDifferingOutsideTheSamplesAreToldApartByTheirDigest() {
        byte[] bytes = randomBytes(3);
        byte[] changed = bytes.clone();
        changed[BlobPlan.SAMPLE + 1] ^= 1;   // between the first two sampled pieces
        assertEquals(BlobPlan.fingerprint(tensor(bytes)), BlobPlan.fingerprint(tensor(changed)), "same samples");
        byte[] sampledChange = bytes.clone();
        sampledChange[sampledChange.length - 1] ^= 1;   // the last byte is always sampled
        assertNotEquals(BlobPlan.fingerprint(tensor(bytes)), BlobPlan.fingerprint(tensor(sampledChange)));

        BlobPlan plan = new BlobPlan();
        long a = plan.add(tensor(bytes));
        long b = plan.add(tensor(changed));
        assertNotEquals(a, b, "same fingerprint, different bytes: two blobs");
        assertEquals(a, plan.add(tensor(bytes)));
        assertEquals(b, plan.add(tensor(changed)));
        assertEquals(2, plan.count());
    }

    @Test
    void smallTensorsAreFingerprintedWhole() {
        TensorType small = TensorType.of(DType.FLOAT32, 12);
        byte[] b = new byte[48];
        byte[] c = b.clone();
        c[20] = 1;
        assertNotEquals(BlobPlan.fingerprint(TensorData.of(small, b)), BlobPlan.fingerprint(TensorData.of(small, c)));
    }

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
