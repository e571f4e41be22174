package dev.pare.compiler.coreml;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.SubByte;
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

    /** The mask's byte {@code j} with the bits past element {@code n} cleared. */
    private static int maskByte(ByteBuffer m, int j, long n) {
        int bits = m.get(j) & 0xFF;
        long left = n - ((long) j << 3);
        return left >= 8 ? bits : bits & ((1 << left) - 1);
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
        Pieces out = new Pieces(store.writer(TensorType.of(d, kept)));
        int maskBytes = (int) ((n + 7) >>> 3);
        // a mask byte at a time, visiting only its set bits (a 7B model's masks hold billions of bits)
        if (d.isSubByte()) {
            int bits = d.bits();
            long elementMask = (1L << bits) - 1;
            long acc = 0;
            int filled = 0;
            for (int j = 0; j < maskBytes; j++) {
                for (int set = maskByte(m, j, n); set != 0; set &= set - 1) {
                    long i = ((long) j << 3) + Integer.numberOfTrailingZeros(set);
                    acc |= (SubByte.get(v, d, i) & elementMask) << filled;
                    filled += bits;
                    if (filled >= 8) {
                        out.put((byte) acc);
                        acc >>>= 8;
                        filled -= 8;
                    }
                }
            }
            if (filled > 0) out.put((byte) acc);
            return out.finish();
        }
        int size = d.bits() / 8;
        for (int j = 0; j < maskBytes; j++) {
            for (int set = maskByte(m, j, n); set != 0; set &= set - 1) {
                long i = ((long) j << 3) + Integer.numberOfTrailingZeros(set);
                for (int k = 0; k < size; k++) out.put(v.get((int) (i * size + k)));
            }
        }
        return out.finish();
    }

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

    /** Bytes gathered into a bounded buffer and handed to a store writer when it fills. */
    private static final class Pieces {
        private final TensorStore.Writer writer;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);

        Pieces(TensorStore.Writer writer) { this.writer = writer; }

        void put(byte b) {
            if (!buffer.hasRemaining()) flush();
            buffer.put(b);
        }

        private void flush() {
            writer.write(buffer.flip());
            buffer.clear();
        }

        DenseData finish() {
            flush();
            return writer.finish();
        }
    }
}
