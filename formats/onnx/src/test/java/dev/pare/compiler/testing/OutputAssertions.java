package dev.pare.compiler.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.util.Map;

/** Assertions on the outputs of two model runs. */
public final class OutputAssertions {

    private OutputAssertions() {}

    /**
     * Same output names, same shapes, and the same values: floats compared by their raw bits (so
     * -0.0 and 0.0, or two NaN payloads, count as different), int64 exactly.
     */
    public static void assertBitIdentical(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            Tensor e = expected.get(name);
            Tensor a = actual.get(name);
            assertArrayEquals(e.shape(), a.shape(), name + " shape");
            if (e.floats() != null) {
                assertArrayEquals(bits(e.floats()), bits(a.floats()), name + " float bits");
            } else {
                assertArrayEquals(e.longs(), a.longs(), name);
            }
        }
    }

    private static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < b.length; i++) b[i] = Float.floatToRawIntBits(values[i]);
        return b;
    }
}
