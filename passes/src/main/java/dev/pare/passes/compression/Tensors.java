package dev.pare.passes.compression;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Reads and builds the dense constants the compression passes work with. */
final class Tensors {

    private Tensors() {}

    static boolean isFloatWeight(DType d) {
        return d == DType.FLOAT32 || d == DType.FLOAT16;
    }

    /** The elements of an f32 or f16 tensor, widened exactly to float. */
    static float[] floats(TensorData data) {
        int n = Math.toIntExact(data.elementCount());
        float[] out = new float[n];
        ByteBuffer b = data.bytes();
        if (data.dtype() == DType.FLOAT32) {
            for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4);
        } else if (data.dtype() == DType.FLOAT16) {
            for (int i = 0; i < n; i++) out[i] = Float16.toFloat(b.getShort(i * 2));
        } else {
            throw new IllegalArgumentException("expected an f32 or f16 tensor, got " + data.type());
        }
        return out;
    }

    /** An f32 or f16 tensor; each value must already be representable (f16 values are rounded to nearest). */
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

    /** An integer tensor (sub-byte types packed LSB-first); each value must fit the type. */
    static TensorData ofInts(DType dtype, long[] shape, int[] values) {
        if (dtype.isSubByte()) {
            long[] wide = new long[values.length];
            for (int i = 0; i < values.length; i++) wide[i] = values[i];
            return TensorData.of(TensorType.of(dtype, shape), SubByte.pack(dtype, wide));
        }
        if (dtype != DType.INT8 && dtype != DType.UINT8) throw new IllegalArgumentException("unsupported code type " + dtype);
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            if (dtype == DType.INT8 ? v < -128 || v > 127 : v < 0 || v > 255) {
                throw new IllegalArgumentException(v + " does not fit " + dtype);
            }
            bytes[i] = (byte) v;
        }
        return TensorData.of(TensorType.of(dtype, shape), bytes);
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
        switch (dtype) {
            case INT8: return b.get(k);
            case UINT8: return b.get(k) & 0xFF;
            case INT16: return b.getShort(k * 2);
            case UINT16: return b.getShort(k * 2) & 0xFFFF;
            case INT32: return b.getInt(k * 4);
            case UINT32: return b.getInt(k * 4) & 0xFFFFFFFFL;
            case INT64:
            case UINT64: return b.getLong(k * 8);
            default: throw new IllegalArgumentException("not an integer type: " + dtype);
        }
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
