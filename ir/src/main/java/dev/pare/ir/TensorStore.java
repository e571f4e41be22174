package dev.pare.ir;

import java.nio.ByteBuffer;

/**
 * Where passes put the tensors they create, so that large ones need not stay on the heap until the
 * model is written. A tensor goes in once, as its canonical bytes, and comes back as
 * {@link DenseData} that every reader (later passes, writers) uses like any other constant.
 *
 * <p>{@link #heap()} keeps everything on the heap (tests, embedders); {@link FileTensorStore}
 * appends large tensors to a temporary file and maps them when they are read.
 */
public interface TensorStore extends AutoCloseable {

    /**
     * Stores the bytes from {@code bytes}' position to its limit (little-endian, sub-byte values
     * packed LSB-first, as {@link DenseData} holds them). The store may keep the buffer itself: the
     * caller must not change it afterwards.
     *
     * @throws java.io.UncheckedIOException if the bytes cannot be written
     */
    DenseData put(TensorType type, ByteBuffer bytes);

    /** Releases the store; tensors it returned may no longer be readable unless they were read before. */
    @Override void close();

    /** A store that keeps every tensor on the heap; closing it does nothing. */
    static TensorStore heap() { return HeapTensorStore.INSTANCE; }
}

/** {@link TensorStore#heap()}. */
final class HeapTensorStore implements TensorStore {

    static final HeapTensorStore INSTANCE = new HeapTensorStore();

    private HeapTensorStore() {}

    @Override public DenseData put(TensorType type, ByteBuffer bytes) { return TensorData.ofBuffer(type, bytes); }

    @Override public void close() {}
}
