package dev.pare.compiler.coreml;

import dev.pare.ir.DenseData;
import dev.pare.ir.TensorData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The blobs of a weight.bin to be written, with each blob's metadata offset known before any byte
 * is written (the v2 layout depends only on the blob sizes). Equal tensors (same type and bytes,
 * e.g. the all-zero zero points of several weights) are stored once, as coremltools does after
 * const deduplication. Tensors stay where they are (heap, mapped file or lazily mapped file region) until
 * {@link #write} streams them one after the other.
 *
 * <p>Equal tensors have the same type and the same {@linkplain #fingerprint fingerprint} (a CRC of
 * a few sampled pieces), so only tensors that agree on both are compared by SHA-256: the layers of
 * a LLaMA-shaped model all have the same weight types, and hashing every weight of the same type
 * read the whole output once more before writing it (7 GB for a 7B PRUNE_50 package).
 */
final class BlobPlan {

    private final List<DenseData> blobs = new ArrayList<>();
    private final List<Long> offsets = new ArrayList<>();
    private final Map<TensorData, Long> known = new IdentityHashMap<>();
    /** Per type (dtype and shape), the one tensor planned with it so far, not yet fingerprinted. */
    private final Map<String, DenseData> aloneOfType = new HashMap<>();
    /** Per type and fingerprint, the planned blobs with both not yet hashed. */
    private final Map<String, List<DenseData>> unhashed = new HashMap<>();
    private final Map<String, Long> byContent = new HashMap<>();
    private long end = BlobFile.HEADER_SIZE;

    /** The metadata offset {@code data} will have (the BlobFileValue offset). */
    long add(DenseData data) {
        Long at = known.get(data);
        if (at != null) return at;
        // Only tensors of one type and fingerprint can be equal. A tensor alone of its type is not
        // read at all; the second of a type fingerprints both (a few sampled pages), and a tensor
        // is hashed only once a second one with the same type and fingerprint comes (the first
        // then too): most weights are never read for a digest. sha256() covers dtype, shape and
        // bytes; it streams the tensor once and is cached on it.
        String typeName = data.type().toString();
        if (!aloneOfType.containsKey(typeName)) {
            aloneOfType.put(typeName, data);
            return planNew(data);
        }
        DenseData alone = aloneOfType.put(typeName, null);
        if (alone != null) unhashed.put(typeName + " " + fingerprint(alone), new ArrayList<>(List.of(alone)));
        String type = typeName + " " + fingerprint(data);
        List<DenseData> sameType = unhashed.get(type);
        boolean compare = sameType != null;
        if (compare) {
            for (DenseData earlier : sameType) byContent.put(earlier.sha256(), known.get(earlier));
            sameType.clear();
            at = byContent.get(data.sha256());
            if (at != null) {
                known.put(data, at);
                return at;
            }
        }
        long offset = planNew(data);
        if (compare) byContent.put(data.sha256(), offset);
        else unhashed.put(type, new ArrayList<>(List.of(data)));
        return offset;
    }

    /** Gives {@code data} a blob of its own after the last one. */
    private long planNew(DenseData data) {
        long offset = BlobFile.align(end);
        blobs.add(data);
        offsets.add(offset);
        known.put(data, offset);
        end = offset + BlobFile.METADATA_SIZE + data.byteSize();
        return offset;
    }

    /** Bytes read from each sampled place of a tensor for its fingerprint. */
    static final int SAMPLE = 512;
    /** Places sampled, spread evenly from the first byte to the last. */
    static final int SAMPLES = 9;

    /**
     * A CRC-32C of {@link #SAMPLES} pieces of {@link #SAMPLE} bytes spread over the tensor (all of
     * it when smaller): equal tensors have equal fingerprints; unequal ones almost never do, and
     * then the SHA-256 tells them apart. Reads a few pages, not the tensor.
     */
    static long fingerprint(DenseData data) {
        long size = data.byteSize();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        if (size <= (long) SAMPLE * SAMPLES) {
            crc.update(data.slice(0, (int) size));
            return crc.getValue();
        }
        long last = size - SAMPLE;
        for (int i = 0; i < SAMPLES; i++) crc.update(data.slice(last * i / (SAMPLES - 1), SAMPLE));
        return crc.getValue();
    }

    boolean isEmpty() { return blobs.isEmpty(); }

    int count() { return blobs.size(); }

    /** The size weight.bin will have. */
    long fileSize() { return end; }

    /** Writes weight.bin; fails if the written layout differs from the planned offsets. */
    void write(Path file) throws IOException {
        List<Long> written = BlobFile.write(file, blobs);
        if (!written.equals(offsets)) {
            throw new IOException("blob layout differs from the plan (wrote offsets " + written + ", planned " + offsets + ")");
        }
    }
}
