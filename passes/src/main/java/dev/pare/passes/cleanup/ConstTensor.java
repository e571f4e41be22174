package dev.pare.passes.cleanup;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A dense constant as const_folding reads and builds it: element type, static shape and the
 * little-endian bytes (a view for inputs, so reading a mapped weight copies nothing). Only
 * whole-byte element types; strings and sub-byte types are not folded.
 */
final class ConstTensor {

    final DType dtype;
    final long[] shape;
    final ByteBuffer bytes;
    final int width;
    final int count;

    private ConstTensor(DType dtype, long[] shape, ByteBuffer bytes) {
        this.dtype = dtype;
        this.shape = shape;
        this.bytes = bytes.order(ByteOrder.LITTLE_ENDIAN);
        this.width = dtype.bits() / 8;
        this.count = (int) elementCount(shape);
    }

    static boolean supports(DType d) { return d.bits() >= 8 && d.bits() % 8 == 0; }

    /** A view of {@code data}, or null if its type is not foldable or one buffer cannot hold it (over 2 GiB). */
    static ConstTensor of(TensorData data) {
        if (!(data instanceof DenseData) || !supports(data.dtype()) || data.byteSize() > Integer.MAX_VALUE) return null;
        return new ConstTensor(data.dtype(), data.type().shape(), data.bytes());
    }

    static ConstTensor allocate(DType dtype, long[] shape) {
        long n = elementCount(shape);
        return new ConstTensor(dtype, shape.clone(), ByteBuffer.allocate((int) (n * (dtype.bits() / 8))));
    }

    static ConstTensor ofLongs(DType dtype, long[] shape, long[] values) {
        ConstTensor t = allocate(dtype, shape);
        for (int i = 0; i < values.length; i++) t.setLong(i, values[i]);
        return t;
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    int rank() { return shape.length; }

    boolean isIntegral() { return dtype.isInteger() || dtype == DType.BOOL; }

    /** An integer or bool element, sign- or zero-extended (uint64 keeps its bits). */
    long getLong(int i) {
        return switch (dtype) {
            case INT8 -> bytes.get(i);
            case UINT8 -> bytes.get(i) & 0xFF;
            case BOOL -> bytes.get(i) != 0 ? 1 : 0;
            case INT16 -> bytes.getShort(i * 2);
            case UINT16 -> bytes.getShort(i * 2) & 0xFFFF;
            case INT32 -> bytes.getInt(i * 4);
            case UINT32 -> bytes.getInt(i * 4) & 0xFFFFFFFFL;
            case INT64, UINT64 -> bytes.getLong(i * 8);
            default -> throw new IllegalStateException("not an integer type: " + dtype);
        };
    }

    /** Writes the low bits of {@code v} (two's complement wrap, as C++ conversions do); bool stores v != 0. */
    void setLong(int i, long v) {
        switch (dtype) {
            case BOOL -> bytes.put(i, (byte) (v != 0 ? 1 : 0));
            case INT8, UINT8 -> bytes.put(i, (byte) v);
            case INT16, UINT16 -> bytes.putShort(i * 2, (short) v);
            case INT32, UINT32 -> bytes.putInt(i * 4, (int) v);
            case INT64, UINT64 -> bytes.putLong(i * 8, v);
            default -> throw new IllegalStateException("not an integer type: " + dtype);
        }
    }

    /** A float16, float32 or float64 element, widened exactly. */
    double getDouble(int i) {
        return switch (dtype) {
            case FLOAT16 -> Float16.toFloat(bytes.getShort(i * 2));
            case FLOAT32 -> bytes.getFloat(i * 4);
            case FLOAT64 -> bytes.getDouble(i * 8);
            default -> throw new IllegalStateException("not a float type: " + dtype);
        };
    }

    float getFloat(int i) { return bytes.getFloat(i * 4); }

    void setFloat(int i, float v) { bytes.putFloat(i * 4, v); }

    double getFloat64(int i) { return bytes.getDouble(i * 8); }

    void setFloat64(int i, double v) { bytes.putDouble(i * 8, v); }

    void setFloat16(int i, short bits) { bytes.putShort(i * 2, bits); }

    /** Copies element {@code from} of {@code src} (same dtype) to element {@code to} of this tensor. */
    void copyFrom(ConstTensor src, int from, int to) {
        for (int b = 0; b < width; b++) bytes.put(to * width + b, src.bytes.get(from * width + b));
    }

    /** All elements as longs (integer types only). */
    long[] longs() {
        long[] out = new long[count];
        for (int i = 0; i < count; i++) out[i] = getLong(i);
        return out;
    }

    /** The same elements under another shape (no copy). */
    ConstTensor reshaped(long[] newShape) { return new ConstTensor(dtype, newShape.clone(), bytes.duplicate()); }

    TensorData toData() {
        ByteBuffer copy = ByteBuffer.allocate(count * width).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer src = bytes.duplicate();
        src.position(0).limit(count * width);
        copy.put(src).flip();
        return TensorData.ofBuffer(TensorType.of(dtype, shape), copy);
    }
}
