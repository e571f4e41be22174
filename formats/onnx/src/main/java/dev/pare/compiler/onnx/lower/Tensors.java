package dev.pare.compiler.onnx.lower;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small constant-tensor helpers for the lowering: element access, reshape, element gathers. */
final class Tensors {

    private Tensors() {}

    static long[] shape(TensorData d) { return d.type().shape(); }

    static int count(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return Math.toIntExact(n);
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

    /** The same bytes under another shape (same element count); shared, not copied (a mapped weight stays mapped). */
    static DenseData reshape(TensorData d, long... shape) {
        TensorType type = TensorType.of(d.dtype(), shape);
        return d instanceof DenseData dense ? dense.withType(type) : TensorData.ofBuffer(type, d.bytes());
    }

    /** Integer element {@code i} (sign-extended for signed types). */
    static long intAt(ByteBuffer b, DType t, int i) {
        if (t.isSubByte()) return SubByte.get(b, t, i);
        switch (t) {
            case INT8: return b.get(i);
            case UINT8: case BOOL: return b.get(i) & 0xFF;
            case INT16: return b.getShort(i * 2);
            case UINT16: return b.getShort(i * 2) & 0xFFFF;
            case INT32: return b.getInt(i * 4);
            case UINT32: return b.getInt(i * 4) & 0xFFFFFFFFL;
            case INT64: case UINT64: return b.getLong(i * 8);
            default: throw new IllegalArgumentException("not an integer type: " + t);
        }
    }

    static long[] ints(TensorData d) {
        ByteBuffer b = d.bytes();
        int n = Math.toIntExact(d.elementCount());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = intAt(b, d.dtype(), i);
        return out;
    }

    /** A new tensor of {@code shape} whose element {@code k} is element {@code from[k]} of {@code src}. */
    static DenseData gather(TensorData src, long[] shape, int[] from) {
        DType t = src.dtype();
        ByteBuffer in = src.bytes();
        if (t.isSubByte()) {
            long[] v = new long[from.length];
            for (int k = 0; k < from.length; k++) v[k] = SubByte.get(in, t, from[k]);
            return TensorData.ofBuffer(TensorType.of(t, shape), ByteBuffer.wrap(SubByte.pack(t, v)));
        }
        int w = t.bits() / 8;
        byte[] out = new byte[from.length * w];
        for (int k = 0; k < from.length; k++) {
            for (int j = 0; j < w; j++) out[k * w + j] = in.get(from[k] * w + j);
        }
        return TensorData.ofBuffer(TensorType.of(t, shape), ByteBuffer.wrap(out));
    }

    static DenseData longs(long[] shape, long... values) { return TensorData.ofLongs(shape, values); }

    static DenseData ints32(long[] shape, int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        return TensorData.ofBuffer(TensorType.of(DType.INT32, shape), b.flip());
    }

    /** A scalar zero of a float type ({@code +0.0}). */
    static DenseData zero(DType t) {
        return TensorData.ofBuffer(TensorType.of(t), ByteBuffer.allocate(t.bits() / 8));
    }

    /**
     * The bytes of {@code d} as a uint8 tensor of {@code shape}, zero-padded at the end to its size.
     * When no padding is needed (e.g. a bit mask or 4-bit codes) the bytes are shared, not copied,
     * so that packed codes in the tensor store or a mapped file never come onto the heap.
     */
    static DenseData asBytes(TensorData d, long[] shape) {
        TensorType type = TensorType.of(DType.UINT8, shape);
        int length = count(shape);
        if (d instanceof DenseData dense && dense.byteSize() == length) return dense.withType(type);
        ByteBuffer b = d.bytes();
        byte[] out = new byte[length];
        b.get(out, 0, Math.min(length, b.remaining()));
        return TensorData.ofBuffer(type, ByteBuffer.wrap(out));
    }
}
