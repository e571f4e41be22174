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

    /**
     * A writer that takes one tensor's canonical bytes in order, in pieces, so that a tensor built
     * piece by piece (for example the codes of a weight larger than one array) need not be on the
     * heap whole before it is stored. By default the pieces are gathered on the heap and {@link #put}
     * when the writer finishes.
     *
     * @throws IllegalArgumentException if the type has no static size or holds more than
     *                                  {@link Integer#MAX_VALUE} bytes
     */
    default Writer writer(TensorType type) {
        ByteBuffer whole = ByteBuffer.allocate(Writer.length(type));
        return new Writer() {
            @Override public void write(ByteBuffer piece) { whole.put(piece); }

            @Override public DenseData finish() {
                Writer.requireFull(whole.position(), whole.capacity());
                return put(type, whole.flip());
            }
        };
    }

    /** Receives one tensor's bytes in order; not thread-safe. */
    interface Writer {
        /**
         * Appends the bytes from {@code piece}'s position to its limit (consumed).
         *
         * @throws java.nio.BufferOverflowException if they go past the tensor's size
         */
        void write(ByteBuffer piece);

        /**
         * The stored tensor.
         *
         * @throws IllegalStateException if fewer bytes than the tensor's size were written
         */
        DenseData finish();

        /** The byte size of a tensor a writer can take. */
        static int length(TensorType type) {
            long n = type.byteSize().orElseThrow(() -> new IllegalArgumentException("tensor store: " + type + " has no static size"));
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor store: a written tensor holds at most "
                    + Integer.MAX_VALUE + " bytes, " + type + " has " + n);
            return (int) n;
        }

        static void requireFull(long written, long length) {
            if (written != length) throw new IllegalStateException("tensor store: " + written + " of " + length + " bytes were written");
        }
    }

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
