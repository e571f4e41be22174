package dev.pare.compiler.coreml;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small tensor helpers for writing constexpr parameters; views where the bytes stay the same. */
public final class MilTensors {

    private MilTensors() {}

    /** The same bytes seen as {@code type} (same byte size): e.g. packed uint4 indices as a uint8 vector. */
    public static DenseData retype(TensorData data, TensorType type) {
        long need = type.byteSize().orElseThrow();
        if (need != data.byteSize()) {
            throw new IllegalStateException("cannot view " + data.type() + " (" + data.byteSize() + " B) as " + type + " (" + need + " B)");
        }
        return TensorData.ofBuffer(type, data.bytes());
    }

    /** A uint32 vector holding {@code shape} (the iOS16 constexpr {@code shape} parameter). */
    public static DenseData uint32Shape(long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(shape.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long s : shape) b.putInt((int) s);
        return TensorData.ofBuffer(TensorType.of(DType.UINT32, shape.length), b.flip());
    }

    /** An int32 scalar (axis parameters). */
    public static DenseData int32Scalar(long v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Math.toIntExact(v));
        return TensorData.ofBuffer(TensorType.of(DType.INT32), b.flip());
    }

    /** A string scalar. */
    public static TensorData stringScalar(String s) {
        return new dev.pare.ir.StringData(TensorType.of(DType.STRING), java.util.List.of(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)), java.util.Map.of());
    }

    /** All-zero tensor of {@code type}. */
    public static DenseData zeros(TensorType type) {
        return TensorData.of(type, new byte[Math.toIntExact(type.byteSize().orElseThrow())]);
    }

    /** Whether every byte is zero (so every element is 0 / +0.0). */
    public static boolean allZero(TensorData data) {
        ByteBuffer b = data.bytes();
        while (b.hasRemaining()) if (b.get() != 0) return false;
        return true;
    }

    /** Set bits in an LSB-first packed uint1 mask. */
    public static long popcount(TensorData mask) {
        ByteBuffer b = mask.bytes();
        long n = mask.elementCount();
        long count = 0;
        int full = (int) (n >>> 3);
        int j = 0;
        for (; j + 8 <= full; j += 8) count += Long.bitCount(b.getLong(j)); // bit order does not matter for a count
        for (; j < full; j++) count += Integer.bitCount(b.get(j) & 0xFF);
        int tail = (int) (n & 7);
        if (tail > 0) count += Integer.bitCount(b.get(full) & ((1 << tail) - 1));
        return count;
    }

    /** Mask byte {@code bits}, byte {@code j} of the mask, with the bits past element {@code n} cleared. */
    private static int maskByte(byte bits, int j, long n) {
        long left = n - ((long) j << 3);
        return left >= 8 ? bits & 0xFF : bits & ((1 << left) - 1);
    }

    /**
     * The elements of {@code values} (shaped like {@code mask}) at the mask's set positions, in
     * row-major order, as a 1-D tensor of the same dtype (sub-byte types repacked).
     */
    public static DenseData compact(TensorData values, TensorData mask) {
        return compact(values, mask, TensorStore.heap());
    }

    /**
     * {@link #compact(TensorData, TensorData)} written into {@code store} piece by piece, so that a
     * large weight's kept values never sit on the heap whole (the lowering runs on every weight of
     * a 7B model; {@code lower_to_coreml} passes the pass manager's file-backed store).
     */
    public static DenseData compact(TensorData values, TensorData mask, TensorStore store) {
        long n = mask.elementCount();
        if (values.elementCount() != n) throw new IllegalStateException("values " + values.type() + " do not match mask " + mask.type());
        long kept = popcount(mask);
        DType d = values.dtype();
        ByteBuffer m = mask.bytes();
        ByteBuffer v = values.bytes();
        TensorStore.Writer writer = store.writer(TensorType.of(d, kept));
        int bits = d.bits();
        boolean subByte = d.isSubByte();
        int size = bits / 8;
        long elementMask = (1L << bits) - 1;
        int maskBytes = (int) ((n + 7) >>> 3);
        // Block by block: COMPACT_BLOCK mask bytes and the values of their elements (8 elements
        // take `bits` bytes) copied in bulk from the (mapped) tensors, then only the set bits of
        // each mask byte visited; the kept bytes go out in pieces of COMPACT_PIECE. A 7B model's
        // masks hold billions of bits, and a get per element from a mapped buffer was the cost.
        byte[] maskBlock = new byte[COMPACT_BLOCK];
        byte[] valueBlock = new byte[COMPACT_BLOCK * bits + 1];   // +1: a 3- or 6-bit code may read one byte past
        byte[] out = new byte[COMPACT_PIECE];
        int o = 0;
        long acc = 0;
        int filled = 0;
        for (int j0 = 0; j0 < maskBytes; j0 += COMPACT_BLOCK) {
            int mb = Math.min(COMPACT_BLOCK, maskBytes - j0);
            m.get(j0, maskBlock, 0, mb);
            long valueFrom = (long) j0 * bits;
            v.get((int) valueFrom, valueBlock, 0, (int) Math.min((long) mb * bits, v.limit() - valueFrom));
            for (int jj = 0; jj < mb; jj++) {
                for (int set = maskByte(maskBlock[jj], j0 + jj, n); set != 0; set &= set - 1) {
                    int e = (jj << 3) + Integer.numberOfTrailingZeros(set);   // element within the block
                    if (o > COMPACT_PIECE - 8) {
                        writer.write(ByteBuffer.wrap(out, 0, o));
                        o = 0;
                    }
                    if (subByte) {
                        int bitPos = e * bits;
                        int at = bitPos >>> 3;
                        int window = (valueBlock[at] & 0xFF) | (valueBlock[at + 1] & 0xFF) << 8;
                        acc |= ((window >>> (bitPos & 7)) & elementMask) << filled;
                        filled += bits;
                        if (filled >= 8) {
                            out[o++] = (byte) acc;
                            acc >>>= 8;
                            filled -= 8;
                        }
                    } else {
                        System.arraycopy(valueBlock, e * size, out, o, size);
                        o += size;
                    }
                }
            }
        }
        if (filled > 0) out[o++] = (byte) acc;
        writer.write(ByteBuffer.wrap(out, 0, o));
        return writer.finish();
    }

    /** Mask bytes per block of {@link #compact}. */
    private static final int COMPACT_BLOCK = 8192;
    /** Bytes of kept values handed to the store at a time. */
    private static final int COMPACT_PIECE = 1 << 16;

    /**
     * {@link #compact(TensorData, TensorData, TensorStore)} deferred to the first read of the bytes
     * (a digest or the weight.bin writer): only the type (the kept count) is computed now.
     * {@code lower_to_coreml} lowers each function twice, first on a scratch copy to find refusals
     * before changing anything; with an eager compaction every kept value was gathered and stored
     * twice (the scratch copy's half of the work thrown away), at 7B gigabytes of it. Done at
     * most once, into {@code store}; the result is read from there as any stored tensor.
     */
    public static DenseData compactOnRead(TensorData values, TensorData mask, TensorStore store) {
        if (values.elementCount() != mask.elementCount()) {
            throw new IllegalStateException("values " + values.type() + " do not match mask " + mask.type());
        }
        TensorType type = TensorType.of(values.dtype(), popcount(mask));
        long size = type.byteSize().orElseThrow();
        Deferred compacted = new Deferred(() -> compact(values, mask, store));
        // the whole tensor as one buffer when asked so (bytes()); else the chunk asked for, which
        // lies inside one of the result's chunks (both use DenseData's chunk size)
        return DenseData.ofMappedRegion(type, size, (from, length) -> from == 0 && length == size
                ? compacted.get().bytes() : compacted.get().slice(from, Math.toIntExact(length)), "compacted on read");
    }

    /** A compaction run the first time it is asked for, then kept (thread-safe). */
    private static final class Deferred {
        private final java.util.function.Supplier<DenseData> compute;
        private DenseData result;

        Deferred(java.util.function.Supplier<DenseData> compute) { this.compute = compute; }

        synchronized DenseData get() {
            if (result == null) result = compute.get();
            return result;
        }
    }
}
