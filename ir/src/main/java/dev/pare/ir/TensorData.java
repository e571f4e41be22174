package dev.pare.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Immutable constant payload. Dense data is held lazily: heap bytes, a slice of a memory-mapped
 * input file, or a region of an external-data file mapped on first use, so loading a model never
 * copies its weights onto the heap.
 *
 * <p>{@code annotations} carry how a format stored the tensor (for example ONNX's {@code raw_data}
 * versus {@code float_data}, or an external-data location) so that writers can round-trip it.
 */
public abstract sealed class TensorData permits DenseData, StringData, SparseData {

    private final TensorType type;
    private final Map<String, String> annotations;
    private volatile String sha256;

    TensorData(TensorType type, Map<String, String> annotations) {
        if (!type.isStatic()) {
            throw new IllegalArgumentException("constant tensors need a static shape, got " + type);
        }
        this.type = type;
        this.annotations = Map.copyOf(annotations);
    }

    public final TensorType type() { return type; }

    public final DType dtype() { return type.dtype(); }

    public final long elementCount() { return type.elementCount(); }

    /** Format hints (storage form, original tensor name, doc string); never affects the value. */
    public final Map<String, String> annotations() { return annotations; }

    public final String annotation(String key) { return annotations.get(key); }

    /** Same value, different annotations. */
    public abstract TensorData withAnnotations(Map<String, String> annotations);

    /** Size in bytes of the dense, canonical little-endian encoding. */
    public abstract long byteSize();

    /**
     * The dense value as a read-only little-endian buffer positioned at 0. For dense data that is
     * a view (no copy); sparse data is expanded. A buffer addresses at most 2 GiB - 1 bytes: a
     * larger tensor is refused with an {@link IllegalStateException}; read it with {@link #slice}
     * or {@link #writeTo}.
     */
    public abstract ByteBuffer bytes();

    /**
     * Bytes {@code [offset, offset + length)} of the dense value, read-only and little-endian,
     * positioned at 0: a view where the bytes are contiguous in memory, else a copy.
     */
    public ByteBuffer slice(long offset, int length) {
        checkSlice(offset, length);
        ByteBuffer b = bytes();
        return b.limit((int) offset + length).position((int) offset).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes the dense value to {@code out} piece by piece, never as one buffer of the whole tensor. */
    public void writeTo(WritableByteChannel out) throws IOException {
        long size = byteSize();
        int step = chunkSize();
        for (long at = 0; at < size; at += step) {
            ByteBuffer b = slice(at, (int) Math.min(step, size - at));
            while (b.hasRemaining()) out.write(b);
        }
    }

    /** Piece size for {@link #writeTo} and digests; dense file regions use their mapping size. */
    int chunkSize() { return 1 << 30; }

    /** Refuses {@link #bytes()} on a tensor one buffer cannot hold, naming the way out. */
    final void checkFitsOneBuffer() {
        if (byteSize() > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + type + " holds " + byteSize() + " bytes, more than the "
                    + Integer.MAX_VALUE + " one buffer can hold; read it in pieces with slice(offset, length) "
                    + "or writeTo(channel)");
        }
    }

    final void checkSlice(long offset, int length) {
        if (offset < 0 || length < 0 || offset > byteSize() - length) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + length) + ") of tensor "
                    + type + " (" + byteSize() + " bytes)");
        }
    }

    /** Hex SHA-256 of dtype, shape and the dense bytes; used for deduplication and hashes. */
    public final String sha256() {
        String s = sha256;
        if (s == null) {
            s = computeDigest();
            sha256 = s;
        }
        return s;
    }

    protected String computeDigest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        md.update(type.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0);
        try {
            writeTo(new WritableByteChannel() {
                @Override public int write(ByteBuffer src) {
                    int n = src.remaining();
                    md.update(src);
                    return n;
                }

                @Override public boolean isOpen() { return true; }

                @Override public void close() {}
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    // ---- factories -------------------------------------------------------------------------

    public static DenseData of(TensorType type, byte[] bytes) {
        return DenseData.ofBuffer(type, ByteBuffer.wrap(bytes.clone()), Map.of());
    }

    public static DenseData ofBuffer(TensorType type, ByteBuffer buffer) {
        return DenseData.ofBuffer(type, buffer, Map.of());
    }

    public static DenseData ofFloats(long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return DenseData.ofBuffer(TensorType.of(DType.FLOAT32, shape), b.flip(), Map.of());
    }

    public static DenseData ofLongs(long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return DenseData.ofBuffer(TensorType.of(DType.INT64, shape), b.flip(), Map.of());
    }

    @Override public String toString() {
        return getClass().getSimpleName() + "(" + type + ", " + byteSize() + " B)";
    }
}
