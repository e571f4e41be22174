package dev.pare.compiler.coreml;

import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.spi.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Core ML's weight.bin (MIL blob storage, format version 2): a 64-byte header (blob count,
 * version), then per blob a 64-byte metadata record (sentinel 0xDEADBEEF, dtype, size, absolute
 * data offset, sub-byte padding bits) followed by the data, each record on a 64-byte boundary.
 *
 * <p>The reader reads only the header and the metadata records it is asked for. Tensors are either
 * file regions mapped on first use ({@link #region}, what the model reader uses) or slices of one
 * read-only mapping of the whole file ({@link #read}); nothing is copied onto the heap.
 */
public final class BlobFile {

    public static final int HEADER_SIZE = 64;
    public static final int METADATA_SIZE = 64;
    public static final int ALIGNMENT = 64;
    public static final int VERSION = 2;
    public static final int SENTINEL = 0xDEADBEEF;

    private final Path file;
    private final long fileSize;
    private final int count;
    private volatile ByteBuffer mapping;

    private BlobFile(Path file, long fileSize, int count) {
        this.file = file;
        this.fileSize = fileSize;
        this.count = count;
    }

    /**
     * Opens {@code file} and checks its header. Nothing is mapped: metadata records are read as
     * needed, so weight files beyond the 2 GiB mapping limit open too.
     */
    public static BlobFile open(Path file) throws ModelFormatException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long size;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            readFully(ch, header, 0);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read blob storage: " + e.getMessage(), e);
        }
        if (size < HEADER_SIZE) {
            throw new ModelFormatException(file, "blob storage header needs " + HEADER_SIZE
                    + " bytes but the file holds " + size);
        }
        int version = header.getInt(4);
        if (version != VERSION) {
            throw new ModelFormatException(file, "blob storage version " + Integer.toUnsignedString(version)
                    + " at offset 4; only version " + VERSION + " is supported");
        }
        return new BlobFile(file, size, header.getInt(0));
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            int n = ch.read(into, position + into.position());
            if (n < 0) break;
        }
    }

    public Path file() { return file; }

    /** The blob count recorded in the header. */
    public long count() { return Integer.toUnsignedLong(count); }

    public long fileSize() { return fileSize; }

    /** Reads and validates the metadata record at {@code offset} (a BlobFileValue offset). */
    public BlobMetadata metadata(long offset) throws ModelFormatException {
        long fileSize = fileSize();
        if (offset < HEADER_SIZE || offset > fileSize - METADATA_SIZE) {
            throw new ModelFormatException(file, "blob metadata at offset " + offset
                    + " lies outside the blob area [" + HEADER_SIZE + ", " + fileSize + ")");
        }
        if (offset % ALIGNMENT != 0) {
            throw new ModelFormatException(file, "blob metadata at offset " + offset + " is not "
                    + ALIGNMENT + "-byte aligned");
        }
        ByteBuffer record = ByteBuffer.allocate(METADATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            readFully(ch, record, offset);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read blob metadata at offset " + offset + ": " + e.getMessage(), e);
        }
        int at = 0;
        int sentinel = record.getInt(at);
        if (sentinel != SENTINEL) {
            throw new ModelFormatException(file, String.format(
                    "blob metadata at offset %d has sentinel 0x%08X, expected 0xDEADBEEF", offset, sentinel));
        }
        long code = Integer.toUnsignedLong(record.getInt(at + 4));
        BlobDataType dtype = BlobDataType.fromCode(code).orElseThrow(() -> new ModelFormatException(file,
                "blob metadata at offset " + offset + " has unknown blob dtype " + code));
        long size = record.getLong(at + 8);
        long dataOffset = record.getLong(at + 16);
        long padding = record.getLong(at + 24);
        if (dataOffset < offset + METADATA_SIZE || dataOffset > fileSize) {
            throw new ModelFormatException(file, "blob at offset " + offset + " has data offset "
                    + Long.toUnsignedString(dataOffset) + " outside [" + (offset + METADATA_SIZE) + ", " + fileSize + "]");
        }
        if (size < 0 || size > fileSize - dataOffset) {
            throw new ModelFormatException(file, "blob at offset " + offset + " has size "
                    + Long.toUnsignedString(size) + " at data offset " + dataOffset
                    + " beyond the file end (" + fileSize + " bytes)");
        }
        if (padding < 0 || padding >= 8) {
            throw new ModelFormatException(file, "blob at offset " + offset + " records "
                    + Long.toUnsignedString(padding) + " padding bits; must be below 8");
        }
        return new BlobMetadata(offset, dtype, size, dataOffset, padding);
    }

    /** All blobs in file order, following the header count and the 64-byte layout rule. */
    public List<BlobMetadata> blobs() throws ModelFormatException {
        List<BlobMetadata> out = new ArrayList<>();
        long offset = HEADER_SIZE;
        long n = Integer.toUnsignedLong(count);
        for (long i = 0; i < n; i++) {
            BlobMetadata m = metadata(offset);
            out.add(m);
            offset = m.nextMetadataOffset();
        }
        return out;
    }

    /**
     * The raw stored bytes of a blob, a read-only slice of the whole file mapped once on first
     * use (files up to 2 GiB; {@link #region} has no such limit).
     */
    public ByteBuffer rawData(BlobMetadata m) {
        return mapping().slice((int) m.dataOffset(), (int) m.sizeInBytes())
                .asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer mapping() {
        ByteBuffer m = mapping;
        if (m == null) {
            synchronized (this) {
                m = mapping;
                if (m == null) {
                    if (fileSize > Integer.MAX_VALUE) {
                        throw new IllegalStateException(file + ": blob storage of " + fileSize
                                + " bytes exceeds the 2 GiB mapping limit; read tensors as file regions");
                    }
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                        m = ch.map(FileChannel.MapMode.READ_ONLY, 0, fileSize).order(ByteOrder.LITTLE_ENDIAN);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot map " + file, e);
                    }
                    mapping = m;
                }
            }
        }
        return m;
    }

    /**
     * The blob at {@code metadataOffset} as a tensor of {@code type}; the blob's dtype, size and
     * sub-byte padding must agree with the type.
     */
    public DenseData read(long metadataOffset, TensorType type) throws ModelFormatException {
        return TensorData.ofBuffer(type, rawData(check(metadataOffset, type)));
    }

    /**
     * Like {@link #read} (same checks against the metadata), but the tensor is a region of the
     * file that is mapped only when its bytes are first asked for: reading a model keeps no
     * weight on the heap and maps nothing per tensor until a pass or writer needs the values.
     */
    public DenseData region(long metadataOffset, TensorType type, java.util.Map<String, String> annotations)
            throws ModelFormatException {
        BlobMetadata m = check(metadataOffset, type);
        return DenseData.ofFileRegion(type, file, m.dataOffset(), m.sizeInBytes(), annotations);
    }

    private BlobMetadata check(long metadataOffset, TensorType type) throws ModelFormatException {
        BlobMetadata m = metadata(metadataOffset);
        if (m.dtype().dtype() != type.dtype()) {
            throw new ModelFormatException(file, "blob at offset " + metadataOffset + " holds " + m.dtype()
                    + " but the program declares " + type);
        }
        long expected = type.byteSize().orElseThrow(() -> new ModelFormatException(file,
                "blob at offset " + metadataOffset + " is read as " + type + ", which has no static size"));
        if (expected != m.sizeInBytes()) {
            throw new ModelFormatException(file, "blob at offset " + metadataOffset + " holds " + m.sizeInBytes()
                    + " bytes but " + type + " needs " + expected);
        }
        long padding = paddingBits(type);
        if (m.paddingBits() != padding) {
            throw new ModelFormatException(file, "blob at offset " + metadataOffset + " records " + m.paddingBits()
                    + " padding bits but " + type + " leaves " + padding);
        }
        return m;
    }

    /** Unused bits in the last byte when {@code type}'s elements are packed (0 for whole-byte types). */
    static long paddingBits(TensorType type) {
        long bits = type.dtype().bits();
        if (bits >= 8) return 0;
        long used = type.elementCount() * bits;
        return (8 - used % 8) % 8;
    }

    static long align(long offset) {
        return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * Writes {@code blobs} in order as a version-2 blob storage file and returns each blob's
     * metadata offset. The output depends only on the tensors' types and bytes: reserved fields and
     * alignment gaps are zero, and there is no padding after the last blob. The data is streamed
     * from each tensor in chunks ({@link TensorData#writeTo}); sizes and offsets are 64-bit.
     */
    public static List<Long> write(Path out, List<DenseData> blobs) throws IOException {
        List<Long> offsets = new ArrayList<>(blobs.size());
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(0, blobs.size()).putInt(4, VERSION);
            writeFully(ch, header);
            long position = HEADER_SIZE;
            for (DenseData blob : blobs) {
                TensorType type = blob.type();
                BlobDataType dtype = BlobDataType.of(type.dtype()).orElseThrow(() ->
                        new IllegalArgumentException("dtype " + type.dtype() + " has no Core ML blob type"));
                long aligned = align(position);
                if (aligned > position) writeFully(ch, ByteBuffer.allocate((int) (aligned - position)));
                position = aligned;
                offsets.add(position);
                long size = blob.byteSize();
                ByteBuffer meta = ByteBuffer.allocate(METADATA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                meta.putInt(0, SENTINEL).putInt(4, dtype.code()).putLong(8, size)
                        .putLong(16, position + METADATA_SIZE).putLong(24, paddingBits(type));
                writeFully(ch, meta);
                blob.writeTo(ch);   // in pieces: a blob may exceed the 2 GiB one buffer holds
                position += METADATA_SIZE + size;
            }
        }
        return offsets;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
