package dev.pare.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Element access for the reference evaluators: reads any integer or f32/f16 element, builds results. */
final class Elements {

    private Elements() {}

    static boolean isFloatWeight(DType d) {
        return d == DType.FLOAT32 || d == DType.FLOAT16;
    }

    /** An f32 or f16 tensor; f16 values are rounded to nearest. */
    static TensorData ofFloats(DType dtype, long[] shape, float[] values) {
        ByteBuffer b;
        if (dtype == DType.FLOAT32) {
            b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) b.putFloat(v);
        } else if (dtype == DType.FLOAT16) {
            b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) b.putShort(Float16.fromFloat(v));
        } else {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
        return TensorData.ofBuffer(TensorType.of(dtype, shape), b.flip());
    }

    /** A {@code u1} mask, 1 = kept. */
    static TensorData ofMask(long[] shape, boolean[] keep) {
        byte[] out = new byte[(keep.length + 7) / 8];
        for (int i = 0; i < keep.length; i++) if (keep[i]) out[i >>> 3] |= (byte) (1 << (i & 7));
        return TensorData.of(TensorType.of(DType.UINT1, shape), out);
    }

    /** Element {@code i} of an integer tensor of any width (sub-byte, 8, 16, 32, 64 bits). */
    static long integer(ByteBuffer b, DType dtype, long i) {
        if (dtype.isSubByte()) return SubByte.get(b, dtype, i);
        int k = (int) i;
        return switch (dtype) {
            case INT8 -> b.get(k);
            case UINT8 -> b.get(k) & 0xFF;
            case INT16 -> b.getShort(k * 2);
            case UINT16 -> b.getShort(k * 2) & 0xFFFF;
            case INT32 -> b.getInt(k * 4);
            case UINT32 -> b.getInt(k * 4) & 0xFFFFFFFFL;
            case INT64, UINT64 -> b.getLong(k * 8);
            default -> throw new IllegalArgumentException("not an integer type: " + dtype);
        };
    }

    /** Element {@code i} of an f32 or f16 tensor. */
    static float floatAt(ByteBuffer b, DType dtype, long i) {
        if (dtype == DType.FLOAT32) return b.getFloat((int) i * 4);
        if (dtype == DType.FLOAT16) return Float16.toFloat(b.getShort((int) i * 2));
        throw new IllegalArgumentException("not an f32/f16 type: " + dtype);
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    static String shape(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i > 0 ? "," : "").append(shape[i]);
        return sb.append(']').toString();
    }
}
