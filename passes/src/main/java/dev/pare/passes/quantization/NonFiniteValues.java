package dev.pare.passes.quantization;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The NaN and infinite values of one tensor: how many of how many, and the first one (index and
 * value) so that a message can point at it.
 */
record NonFiniteValues(long count, long total, long firstIndex, double firstValue) {

    /** The non-finite values of {@code values}, or null if all are finite. */
    static NonFiniteValues of(FloatBuffer values) {
        int n = values.remaining();
        int start = values.position();
        long count = 0;
        long first = -1;
        double firstValue = 0;
        for (int i = 0; i < n; i++) {
            float v = values.get(start + i);
            if (Float.isFinite(v)) continue;
            if (count++ == 0) {
                first = i;
                firstValue = v;
            }
        }
        return count == 0 ? null : new NonFiniteValues(count, n, first, firstValue);
    }

    /** As {@link #of(FloatBuffer)} for a float16, float32 or float64 tensor; null for other dtypes. */
    static NonFiniteValues of(TensorData data) {
        ByteBuffer b = data.bytes().order(ByteOrder.LITTLE_ENDIAN);
        if (data.dtype() == DType.FLOAT32) return of(b.asFloatBuffer());
        long count = 0;
        long first = -1;
        double firstValue = 0;
        int n;
        if (data.dtype() == DType.FLOAT16) {
            n = b.remaining() / 2;
            for (int i = 0; i < n; i++) {
                float v = Float16.toFloat(b.getShort(b.position() + 2 * i));
                if (Float.isFinite(v)) continue;
                if (count++ == 0) {
                    first = i;
                    firstValue = v;
                }
            }
        } else if (data.dtype() == DType.FLOAT64) {
            n = b.remaining() / 8;
            for (int i = 0; i < n; i++) {
                double v = b.getDouble(b.position() + 8 * i);
                if (Double.isFinite(v)) continue;
                if (count++ == 0) {
                    first = i;
                    firstValue = v;
                }
            }
        } else {
            return null;
        }
        return count == 0 ? null : new NonFiniteValues(count, n, first, firstValue);
    }

    /** {@code element 5 of 784 is NaN}, {@code 2 of 784 values are NaN or infinite (the first is element 5, +Inf)}. */
    String describe() {
        String value = Double.isNaN(firstValue) ? "NaN" : firstValue > 0 ? "+Inf" : "-Inf";
        if (count == 1 && total > 1) return "element " + firstIndex + " of " + total + " is " + value;
        String share = count == total ? "all " + total + (total == 1 ? " value is" : " values are") : count + " of " + total + " values are";
        return share + " NaN or infinite (the first is element " + firstIndex + ", " + value + ")";
    }
}
