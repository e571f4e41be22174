package dev.pare.compiler.coreml;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * weight.bin stores equal tensors once: tensors are compared by SHA-256 only when their types
 * and sampled fingerprints agree, and that pre-check never splits equal tensors nor merges
 * unequal ones.
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
}
