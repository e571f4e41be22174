package dev.pare.compiler.compare;

import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Any numeric dense tensor as doubles, for the error measures. */
final class Doubles {

    private Doubles() {}

    /** The values, or null if the dtype is not numeric (strings, sub-byte types, complex). */
    static double[] of(TensorData t) {
        ByteBuffer b = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case FLOAT32 -> out[i] = b.getFloat();
                case FLOAT64 -> out[i] = b.getDouble();
                case FLOAT16 -> out[i] = Float16.toFloat(b.getShort());
                case BFLOAT16 -> out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                case INT8 -> out[i] = b.get();
                case UINT8, BOOL -> out[i] = b.get() & 0xFF;
                case INT16 -> out[i] = b.getShort();
                case UINT16 -> out[i] = b.getShort() & 0xFFFF;
                case INT32 -> out[i] = b.getInt();
                case UINT32 -> out[i] = b.getInt() & 0xFFFFFFFFL;
                case INT64 -> out[i] = b.getLong();
                case UINT64 -> {
                    long v = b.getLong();
                    out[i] = v >= 0 ? v : (v >>> 1) * 2.0 + (v & 1);
                }
                default -> {
                    return null;
                }
            }
        }
        return out;
    }
}
