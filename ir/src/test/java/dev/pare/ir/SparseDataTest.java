package dev.pare.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sparse tensors too large to expand are compared, hashed and checked on their sparse form. */
class SparseDataTest {

    private static SparseData sparse(long[] shape, float[] values, long... indices) {
        return new SparseData(TensorType.of(DType.FLOAT32, shape), TensorData.ofFloats(new long[] {values.length}, values),
                TensorData.ofLongs(new long[] {indices.length}, indices), Map.of());
    }

    private static final long[] HUGE = {1L << 20, 1L << 20};
    private static final long LAST = (1L << 40) - 1;

    @Test
    void hugeTensorIsNotDensifiableButComparable() {
        SparseData a = sparse(HUGE, new float[] {1, 2}, 5, LAST);
        SparseData sameInAnotherOrder = sparse(HUGE, new float[] {2, 0, 1}, LAST, 9, 5);
        SparseData other = sparse(HUGE, new float[] {1, 3}, 5, LAST);
        assertFalse(a.isDensifiable());
        assertEquals("sparse tensor f32[1048576,1048576] is too large to expand: its dense form needs 4398046511104 bytes, "
                + "more than the 2147483639 one buffer holds", assertThrows(IllegalStateException.class, a::bytes).getMessage());
        assertTrue(a.sameValue(sameInAnotherOrder));
        assertEquals(a.sha256(), sameInAnotherOrder.sha256());
        assertFalse(a.sameValue(other));
        assertNotEquals(a.sha256(), other.sha256());
    }

    @Test
    void laterWriteOfAnIndexWins() {
        SparseData twice = sparse(HUGE, new float[] {7, 1, 2}, 5, 5, LAST);
        assertTrue(twice.sameValue(sparse(HUGE, new float[] {1, 2}, 5, LAST)));
    }

    @Test
    void smallTensorHashesLikeItsDenseForm() {
        SparseData s = sparse(new long[] {2, 2}, new float[] {3}, 2);
        assertTrue(s.isDensifiable());
        assertEquals(TensorData.ofFloats(new long[] {2, 2}, 0, 0, 3, 0).sha256(), s.sha256());
    }

    @Test
    void indicesOutOfRangeAreFoundWithoutExpanding() {
        SparseData bad = sparse(HUGE, new float[] {1}, 1L << 40);
        assertEquals("sparse index 1099511627776 out of range for f32[1048576,1048576]",
                assertThrows(IllegalStateException.class, bad::checkIndices).getMessage());
    }
}
