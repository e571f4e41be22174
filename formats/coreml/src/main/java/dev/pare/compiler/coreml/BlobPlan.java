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
 */
final class BlobPlan {

    private final List<DenseData> blobs = new ArrayList<>();
    private final List<Long> offsets = new ArrayList<>();
    private final Map<TensorData, Long> known = new IdentityHashMap<>();
    /** Per type (dtype and shape, as the digest covers them), the planned blobs of that type not yet hashed. */
    private final Map<String, List<DenseData>> unhashed = new HashMap<>();
    private final Map<String, Long> byContent = new HashMap<>();
    private long end = BlobFile.HEADER_SIZE;

    /** The metadata offset {@code data} will have (the BlobFileValue offset). */
    long add(DenseData data) {
        Long at = known.get(data);
        if (at != null) return at;
        // Only tensors of one type can be equal, so a tensor is hashed only once a second one of its
        // type comes (the first then too): a model's one big weight is never read for a digest.
        // sha256() covers dtype, shape and bytes; it streams the tensor once and is cached on it.
        String type = data.type().toString();
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
        long offset = BlobFile.align(end);
        blobs.add(data);
        offsets.add(offset);
        known.put(data, offset);
        if (compare) byContent.put(data.sha256(), offset);
        else unhashed.put(type, new ArrayList<>(List.of(data)));
        end = offset + BlobFile.METADATA_SIZE + data.byteSize();
        return offset;
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
