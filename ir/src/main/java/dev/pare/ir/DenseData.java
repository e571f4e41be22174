package dev.pare.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.function.Supplier;

/** Dense tensor bytes in the canonical layout: little-endian, sub-byte values packed LSB-first. */
public final class DenseData extends TensorData {

    private final long byteSize;
    private final Supplier<ByteBuffer> source;
    private volatile ByteBuffer buffer;
    private final String origin;

    private DenseData(TensorType type, long byteSize, Supplier<ByteBuffer> source, ByteBuffer eager,
                      String origin, Map<String, String> annotations) {
        super(type, annotations);
        long expected = type.byteSize().orElseThrow(
                () -> new IllegalArgumentException("dtype " + type.dtype() + " has no dense byte layout"));
        if (expected != byteSize) {
            throw new IllegalArgumentException(
                    "tensor " + type + " needs " + expected + " bytes but the data holds " + byteSize);
        }
        this.byteSize = byteSize;
        this.source = source;
        this.buffer = eager;
        this.origin = origin;
    }

    static DenseData ofBuffer(TensorType type, ByteBuffer buffer, Map<String, String> annotations) {
        ByteBuffer ro = buffer.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return new DenseData(type, ro.remaining(), null, ro, buffer.isDirect() ? "mapped" : "heap", annotations);
    }

    /**
     * A region of a file, mapped read-only the first time the bytes are needed. The file is not
     * opened until then.
     */
    public static DenseData ofFileRegion(TensorType type, Path file, long offset, long length,
                                         Map<String, String> annotations) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + length + " bytes exceeds the 2 GiB per-tensor limit");
        }
        Supplier<ByteBuffer> mapper = () -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (offset + length > ch.size()) {
                    throw new IllegalStateException("external data " + file + " holds " + ch.size()
                            + " bytes; tensor needs [" + offset + ", " + (offset + length) + ")");
                }
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, offset, length);
                return m.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot map " + file, e);
            }
        };
        return new DenseData(type, length, mapper, null, "file " + file.getFileName() + "@" + offset, annotations);
    }

    /**
     * Bytes that {@code source} maps the first time they are needed (for example a region of a
     * {@link FileTensorStore}'s temporary file); the source returns a buffer of exactly
     * {@code byteSize} bytes positioned at 0 and is called at most once.
     */
    public static DenseData ofLazySource(TensorType type, long byteSize, Supplier<ByteBuffer> source, String origin) {
        return new DenseData(type, byteSize, source, null, origin, Map.of());
    }

    @Override public DenseData withAnnotations(Map<String, String> annotations) {
        DenseData d = new DenseData(type(), byteSize, source, buffer, origin, annotations);
        return d;
    }

    @Override public long byteSize() { return byteSize; }

    /** Whether the bytes live in memory already (heap or mapped) rather than waiting to be mapped. */
    public boolean isMaterialized() { return buffer != null; }

    /** Where the bytes come from: heap, mapped input, or a file region. */
    public String origin() { return origin; }

    @Override public ByteBuffer bytes() {
        ByteBuffer b = buffer;
        if (b == null) {
            synchronized (this) {
                b = buffer;
                if (b == null) {
                    b = source.get();
                    buffer = b;
                }
            }
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
