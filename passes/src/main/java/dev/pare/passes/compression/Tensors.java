package dev.pare.passes.compression;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.passes.compression.math.HalfLinearQuantizer;
import dev.pare.passes.compression.math.WeightTensor;
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
            b.asFloatBuffer().get(out); // bulk copy: one getFloat per element was half of an int8 run's CPU
        } else if (data.dtype() == DType.FLOAT16) {
            java.nio.ShortBuffer s = b.asShortBuffer();
            for (int i = 0; i < n; i++) out[i] = HalfTable.FLOATS[s.get(i) & 0xFFFF];
        } else {
            throw new IllegalArgumentException("expected an f32 or f16 tensor, got " + data.type());
        }
        return out;
    }

    /** Every f16 bit pattern widened ({@link Float16#toFloat}): a look-up is several times faster than the conversion's branches. */
    private static final class HalfTable {
        static final float[] FLOATS = new float[1 << 16];

        static {
            for (int h = 0; h < FLOATS.length; h++) FLOATS[h] = Float16.toFloat((short) h);
        }
    }

    /**
     * Elements {@code [first, first + count)} of an f32 or f16 tensor of any size into
     * {@code into[0, count)}, read through {@link TensorData#slice} so that only they are mapped or copied.
     */
    static void floats(TensorData data, long first, float[] into, int count) {
        if (data.dtype() == DType.FLOAT32) {
            data.slice(first * 4, Math.multiplyExact(count, 4)).asFloatBuffer().get(into, 0, count);
        } else if (data.dtype() == DType.FLOAT16) {
            // one bulk copy of the piece's bits (a memory copy from a mapping), then the table: a
            // getShort per element was a fifth of a streamed int4 run's CPU
            short[] bits = new short[count];
            data.slice(first * 2, Math.multiplyExact(count, 2)).asShortBuffer().get(bits);
            for (int i = 0; i < count; i++) into[i] = HalfTable.FLOATS[bits[i] & 0xFFFF];
        } else {
            throw new IllegalArgumentException("expected an f32 or f16 tensor, got " + data.type());
        }
    }

    /** The stored bits of elements {@code [first, first + count)} of an f16 tensor of any size into {@code into[0, count)} (one bulk copy). */
    static void halfBits(TensorData data, long first, short[] into, int count) {
        if (data.dtype() != DType.FLOAT16) throw new IllegalArgumentException("expected an f16 tensor, got " + data.type());
        data.slice(first * 2, Math.multiplyExact(count, 2)).asShortBuffer().get(into, 0, count);
    }

    /**
     * The stored bits of a float16 tensor for {@link HalfLinearQuantizer}: elements as shorts, or
     * two a stored int (the tensor's little-endian bytes read as ints, no per-element step).
     */
    static HalfLinearQuantizer.HalfSource halfSource(TensorData data) {
        if (data.dtype() != DType.FLOAT16) throw new IllegalArgumentException("expected an f16 tensor, got " + data.type());
        return new HalfLinearQuantizer.HalfSource() {
            @Override public void read(long first, short[] into, int count) {
                halfBits(data, first, into, count);
            }

            @Override public void readPairs(long first, int[] into, int pairs) {
                data.slice(first * 2, Math.multiplyExact(pairs, 4)).asIntBuffer().get(into, 0, pairs);
            }
        };
    }

    /**
     * Fails as {@link dev.pare.passes.compression.math.WeightTensor} does on a value that is not
     * finite, reading {@code piece} elements at a time.
     */
    static void requireFinite(TensorData data, int piece) {
        requireFinite(data, piece, dev.pare.passes.compression.math.SplitWork.INLINE);
    }

    /** As above, the elements scanned in ranges over {@code split}; the first element that is not finite is the one named. */
    static void requireFinite(TensorData data, int piece, dev.pare.passes.compression.math.SplitWork split) {
        long n = data.elementCount();
        long[] bad = new long[split.parts()];
        split.run(bad.length, p -> bad[p] = firstNotFinite(data, split.start(n, p), split.start(n, p + 1), piece));
        for (long e : bad) {
            if (e < 0) continue;
            float v;
            if (data.dtype() == DType.FLOAT16) {
                v = Float16.toFloat(data.slice(e * 2, 2).getShort(0));
            } else {
                float[] one = new float[1];
                floats(data, e, one, 1);
                v = one[0];
            }
            throw new IllegalArgumentException("weight: element " + e + " is not finite (" + v + ")");
        }
    }

    /** The first element of {@code [from, to)} that is not finite, or -1. */
    private static long firstNotFinite(TensorData data, long from, long to, int piece) {
        if (data.dtype() == DType.FLOAT16) { // a bit test on the stored values: no widening to float
            long[] words = new long[(int) Math.min(piece, Math.max(0, to - from)) / 4];
            for (long first = from; first < to; first += piece) {
                int count = (int) Math.min(piece, to - first);
                ByteBuffer b = data.slice(first * 2, Math.multiplyExact(count, 2));
                if (anyNotFinite(b, count, words)) {
                    for (int i = 0; i < count; i++) {
                        if ((b.getShort(i * 2) & 0x7C00) == 0x7C00) return first + i; // exponent all ones: infinity or NaN
                    }
                }
            }
            return -1;
        }
        float[] values = new float[(int) Math.min(piece, Math.max(1, to - from))];
        for (long first = from; first < to; first += values.length) {
            int count = (int) Math.min(values.length, to - first);
            floats(data, first, values, count);
            int bad = WeightTensor.firstNotFinite(values, count);
            if (bad >= 0) return first + bad;
        }
        return -1;
    }

    /** Exponent bits of four float16 values in a long, and what adding it to them carries into each value's top bit. */
    private static final long HALF_EXPONENTS = 0x7C007C007C007C00L;
    private static final long HALF_EXPONENT_ONE = 0x0400040004000400L;
    private static final long HALF_SIGNS = 0x8000800080008000L;

    /**
     * Whether any of the {@code count} float16 values in {@code b} is infinite or NaN, tested four
     * at a time: a value's exponent bits plus one reach its top bit exactly when they are all ones,
     * and cannot carry into the next value (a getShort per value was most of the check's CPU).
     */
    private static boolean anyNotFinite(ByteBuffer b, int count, long[] words) {
        int n = count / 4;
        b.asLongBuffer().get(words, 0, n);
        long seen = 0;
        for (int i = 0; i < n; i++) seen |= (words[i] & HALF_EXPONENTS) + HALF_EXPONENT_ONE;
        for (int i = n * 4; i < count; i++) seen |= (b.getShort(i * 2) & 0x7C00) + 0x0400L;
        return (seen & HALF_SIGNS) != 0;
    }

    /** An f32 or f16 tensor on the heap; each value must already be representable (f16 values are rounded to nearest). */
    static TensorData ofFloats(DType dtype, long[] shape, float[] values) {
        return ofFloats(TensorStore.heap(), dtype, shape, values);
    }

    /** As {@link #ofFloats(DType, long[], float[])}, put in {@code store}. */
    static TensorData ofFloats(TensorStore store, DType dtype, long[] shape, float[] values) {
        return store.put(TensorType.of(dtype, shape), floatBytes(dtype, values, values.length));
    }

    /** {@code values[0, count)} as the little-endian bytes of an f32 or f16 tensor (f16 rounded to nearest), ready to read. */
    static ByteBuffer floatBytes(DType dtype, float[] values, int count) {
        ByteBuffer b;
        if (dtype == DType.FLOAT32) {
            b = ByteBuffer.allocate(Math.multiplyExact(count, 4)).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values, 0, count);
            b.position(count * 4);
        } else if (dtype == DType.FLOAT16) {
            b = ByteBuffer.allocate(Math.multiplyExact(count, 2)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) b.putShort(Float16.fromFloat(values[i]));
        } else {
            throw new IllegalArgumentException("not a float type: " + dtype);
        }
        return b.flip();
    }

    /** An integer tensor on the heap (sub-byte types packed LSB-first); each value must fit the type. */
    static TensorData ofInts(DType dtype, long[] shape, int[] values) {
        return ofInts(TensorStore.heap(), dtype, shape, values);
    }

    /** As {@link #ofInts(DType, long[], int[])}, packed straight into bytes and put in {@code store}. */
    static TensorData ofInts(TensorStore store, DType dtype, long[] shape, int[] values) {
        return store.put(TensorType.of(dtype, shape), ByteBuffer.wrap(pack(dtype, values, values.length)));
    }

    /**
     * {@code values[0, count)} packed as {@link #ofInts} stores them; pieces of a multiple of 8
     * values each pack to whole bytes, so packed pieces laid end to end are the packed whole.
     */
    static byte[] pack(DType dtype, int[] values, int count) {
        if (!dtype.isSubByte() && dtype != DType.INT8 && dtype != DType.UINT8) {
            throw new IllegalArgumentException("unsupported code type " + dtype);
        }
        int bits = dtype.bits();
        int lo = dtype.isSigned() ? -(1 << (bits - 1)) : 0;
        int hi = dtype.isSigned() ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        int mask = (1 << bits) - 1;
        byte[] out = new byte[Math.toIntExact(dtype.byteSize(count))];
        if (bits == 8) { // a byte a code (int8 / uint8 per-channel weights): no bit arithmetic
            for (int i = 0; i < count; i++) {
                int v = values[i];
                if (v < lo || v > hi) throw new IllegalArgumentException(v + " does not fit " + dtype);
                out[i] = (byte) v;
            }
            return out;
        }
        if (bits == 4) { // two codes a byte, the first in the low nibble: the int4 / uint4 codes of a 7B model
            for (int i = 0; i < count; i++) {
                int v = values[i];
                if (v < lo || v > hi) throw new IllegalArgumentException(v + " does not fit " + dtype);
                out[i >>> 1] |= (byte) ((v & mask) << ((i & 1) << 2));
            }
            return out;
        }
        long bitPos = 0;
        for (int i = 0; i < count; i++) {
            int v = values[i];
            if (v < lo || v > hi) throw new IllegalArgumentException(v + " does not fit " + dtype);
            int at = (int) (bitPos >>> 3);
            int shifted = (v & mask) << (bitPos & 7);
            out[at] |= (byte) shifted;
            if ((bitPos & 7) + bits > 8) out[at + 1] |= (byte) (shifted >>> 8); // 3- and 6-bit codes cross bytes
            bitPos += bits;
        }
        return out;
    }

    /** A {@code u1} mask on the heap, 1 = kept. */
    static TensorData ofMask(long[] shape, boolean[] keep) {
        return ofMask(TensorStore.heap(), shape, keep);
    }

    /** As {@link #ofMask(long[], boolean[])}, put in {@code store}. */
    static TensorData ofMask(TensorStore store, long[] shape, boolean[] keep) {
        byte[] out = new byte[(keep.length + 7) / 8];
        for (int i = 0; i < keep.length; i++) if (keep[i]) out[i >>> 3] |= (byte) (1 << (i & 7));
        return store.put(TensorType.of(DType.UINT1, shape), ByteBuffer.wrap(out));
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
