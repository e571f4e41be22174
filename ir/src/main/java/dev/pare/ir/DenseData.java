package dev.pare.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Dense tensor bytes in the canonical layout: little-endian, sub-byte values packed LSB-first.
 *
 * <p>A file region is mapped in chunks of at most {@link #DEFAULT_CHUNK} bytes, so a tensor may be
 * larger than the 2 GiB one {@link ByteBuffer} can address; such a tensor is read with
 * {@link #slice} or {@link #writeTo}, and {@link #bytes()} refuses it.
 */
public final class DenseData extends TensorData {

    /** Bytes per mapping of a file region: a power of two well below the 2 GiB a buffer addresses. */
    static final int DEFAULT_CHUNK = 1 << 30;

    /** Maps {@code size} bytes at {@code from}, relative to the start of a region, read-only. */
    @FunctionalInterface
    public interface RegionMapper {
        ByteBuffer map(long from, long size);
    }

    /** A region mapped chunk by chunk on first use; shared by copies with other annotations. */
    private record Region(RegionMapper mapper, long length, int chunkSize, AtomicReferenceArray<ByteBuffer> chunks) {

        Region(RegionMapper mapper, long length, int chunkSize) {
            this(mapper, length, chunkSize,
                    new AtomicReferenceArray<>((int) Math.max(1, (length + chunkSize - 1) / chunkSize)));
        }

        /** Chunk {@code i} as a read-only little-endian buffer positioned at 0. */
        ByteBuffer chunk(int i) {
            ByteBuffer b = chunks.get(i);
            if (b == null) {
                long from = (long) i * chunkSize;
                b = map(from, Math.min(chunkSize, length - from));
                if (!chunks.compareAndSet(i, null, b)) b = chunks.get(i);
            }
            return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        ByteBuffer map(long from, long size) {
            return mapper.map(from, size).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Maps part of {@code [offset, offset+length)} of {@code file}, opening it only for the mapping. */
    private static RegionMapper fileMapper(Path file, long offset, long length) {
        return (from, size) -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                if (offset + length > ch.size()) {
                    throw new IllegalStateException("external data " + file + " holds " + ch.size()
                            + " bytes; tensor needs [" + offset + ", " + (offset + length) + ")");
                }
                return ch.map(FileChannel.MapMode.READ_ONLY, offset + from, size);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot map " + file, e);
            }
        };
    }

    private final long byteSize;
    private final Region region;
    private volatile ByteBuffer buffer;
    private final String origin;

    private DenseData(TensorType type, long byteSize, Region region, ByteBuffer eager,
                      String origin, Map<String, String> annotations) {
        super(type, annotations);
        long expected = type.byteSize().orElseThrow(
                () -> new IllegalArgumentException("dtype " + type.dtype() + " has no dense byte layout"));
        if (expected != byteSize) {
            throw new IllegalArgumentException(
                    "tensor " + type + " needs " + expected + " bytes but the data holds " + byteSize);
        }
        this.byteSize = byteSize;
        this.region = region;
        this.buffer = eager;
        this.origin = origin;
    }

    static DenseData ofBuffer(TensorType type, ByteBuffer buffer, Map<String, String> annotations) {
        ByteBuffer ro = buffer.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return new DenseData(type, ro.remaining(), null, ro, buffer.isDirect() ? "mapped" : "heap", annotations);
    }

    /**
     * A region of a file, mapped read-only the first time the bytes are needed. The file is not
     * opened until then. The region may be larger than 2 GiB (see {@link #slice}).
     */
    public static DenseData ofFileRegion(TensorType type, Path file, long offset, long length,
                                         Map<String, String> annotations) {
        return ofFileRegion(type, file, offset, length, annotations, DEFAULT_CHUNK);
    }

    /** As above with mappings of {@code chunkSize} bytes; tests lower it to cross chunk boundaries cheaply. */
    static DenseData ofFileRegion(TensorType type, Path file, long offset, long length,
                                  Map<String, String> annotations, int chunkSize) {
        if (offset < 0 || length < 0) throw new IllegalArgumentException("negative file region " + offset + "+" + length);
        if (chunkSize <= 0) throw new IllegalArgumentException("chunk size must be positive");
        return new DenseData(type, length, new Region(fileMapper(file, offset, length), length, chunkSize), null,
                "file " + file.getFileName() + "@" + offset, annotations);
    }

    /**
     * Bytes that {@code mapper} maps the first time they are needed, chunk by chunk (for example a
     * region of a {@link FileTensorStore}'s temporary file, which may exceed 2 GiB).
     */
    public static DenseData ofMappedRegion(TensorType type, long byteSize, RegionMapper mapper, String origin) {
        return new DenseData(type, byteSize, new Region(mapper, byteSize, DEFAULT_CHUNK), null, origin, Map.of());
    }

    @Override public DenseData withAnnotations(Map<String, String> annotations) {
        return new DenseData(type(), byteSize, region, buffer, origin, annotations);
    }

    /**
     * The same bytes under {@code type} (for example packed codes seen as bytes), without copying
     * them: a region not mapped yet stays unmapped. Annotations are not carried over, since they
     * describe the original tensor.
     *
     * @throws IllegalArgumentException if {@code type} needs another byte size
     */
    public DenseData withType(TensorType type) {
        return new DenseData(type, byteSize, region, buffer, origin, Map.of());
    }

    @Override public long byteSize() { return byteSize; }

    /** Whether the bytes live in memory already (heap or mapped) rather than waiting to be mapped. */
    public boolean isMaterialized() {
        if (buffer != null) return true;
        if (region == null) return false;
        for (int i = 0; i < region.chunks().length(); i++) if (region.chunks().get(i) != null) return true;
        return false;
    }

    /** Where the bytes come from: heap, mapped input, or a file region. */
    public String origin() { return origin; }

    @Override public ByteBuffer bytes() {
        ByteBuffer b = buffer;
        if (b == null) {
            checkFitsOneBuffer();
            synchronized (this) {
                b = buffer;
                if (b == null) {
                    b = byteSize <= region.chunkSize() ? region.chunk(0) : region.map(0, byteSize);
                    buffer = b;
                }
            }
        }
        return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override public ByteBuffer slice(long offset, int length) {
        checkSlice(offset, length);
        ByteBuffer whole = buffer;
        if (whole != null) return view(whole, offset, length);
        int first = (int) (offset / region.chunkSize());
        long chunkStart = (long) first * region.chunkSize();
        if (offset + length <= chunkStart + region.chunkSize()) {
            return view(region.chunk(first), offset - chunkStart, length);
        }
        // Straddles chunks: copy the pieces into one buffer.
        ByteBuffer out = ByteBuffer.allocate(length);
        long at = offset;
        while (out.hasRemaining()) {
            int c = (int) (at / region.chunkSize());
            long start = (long) c * region.chunkSize();
            int n = (int) Math.min(out.remaining(), start + region.chunkSize() - at);
            out.put(view(region.chunk(c), at - start, n));
            at += n;
        }
        return out.flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override public void writeTo(WritableByteChannel out) throws IOException {
        ByteBuffer whole = buffer;
        if (whole != null || region == null) {
            super.writeTo(out);
            return;
        }
        for (int i = 0; i < region.chunks().length(); i++) {
            if (byteSize == 0) break;
            ByteBuffer b = region.chunk(i);
            while (b.hasRemaining()) out.write(b);
        }
    }

    @Override int chunkSize() { return region == null ? super.chunkSize() : region.chunkSize(); }

    private static ByteBuffer view(ByteBuffer b, long offset, int length) {
        return b.duplicate().limit((int) offset + length).position((int) offset).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
}
