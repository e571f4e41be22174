package dev.pare.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link TensorStore} that appends each tensor of at least {@link #HEAP_LIMIT} bytes to one
 * temporary file and returns it as {@link DenseData} mapped (read-only, off the heap) the first
 * time it is read; smaller tensors (LUTs, scales) stay on the heap. The file is created on the
 * first large tensor and deleted right after it is opened, while the channel stays open, so it
 * takes no name in the folder and nothing is left behind however the process ends; where an open
 * file cannot be deleted it is deleted on {@link #close()} or at exit. Closing releases the file:
 * tensors read before stay readable (their mapping outlives the channel), others fail to map.
 * Thread-safe.
 */
public final class FileTensorStore implements TensorStore {

    /** Tensors smaller than this many bytes stay on the heap. */
    public static final int HEAP_LIMIT = 4096;

    /** Tensors start at multiples of this, so that mapped floats are aligned. */
    private static final int ALIGNMENT = 64;

    private final Path folder;
    private FileChannel channel;
    private Path undeleted; // the file, where it could not be deleted while open
    private long size;
    private long stored;
    private boolean closed;

    private FileTensorStore(Path folder) { this.folder = folder; }

    /** A store whose file will be created in {@code folder} when the first large tensor arrives. */
    public static FileTensorStore in(Path folder) { return new FileTensorStore(folder); }

    /** A store in the system's temporary folder ({@code java.io.tmpdir}). */
    public static FileTensorStore temporary() { return in(Path.of(System.getProperty("java.io.tmpdir"))); }

    @Override public DenseData put(TensorType type, ByteBuffer bytes) {
        ByteBuffer src = bytes.slice();
        int length = src.remaining();
        if (length < HEAP_LIMIT) return TensorData.ofBuffer(type, src);
        long offset;
        FileChannel ch;
        synchronized (this) {
            if (closed) throw new IllegalStateException("tensor store is closed");
            ch = open();
            offset = size;
            size = align(offset + length);
            stored += length;
        }
        try {
            for (long at = offset; src.hasRemaining(); ) at += ch.write(src, at); // positional: writers need no lock
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a " + length + "-byte tensor to the temporary tensor file in " + folder, e);
        }
        return DenseData.ofMappedRegion(type, length, (from, size) -> map(ch, offset + from, size), "store@" + offset);
    }

    /**
     * A writer whose tensor of at least {@link #HEAP_LIMIT} bytes gets its region of the file
     * reserved now and each piece written straight to it, so no more than one piece is on the heap.
     */
    @Override public Writer writer(TensorType type) {
        int length = Writer.length(type);
        if (length < HEAP_LIMIT) return TensorStore.super.writer(type);
        long offset;
        FileChannel ch;
        synchronized (this) {
            if (closed) throw new IllegalStateException("tensor store is closed");
            ch = open();
            offset = size;
            size = align(offset + length);
            stored += length;
        }
        return new Writer() {
            private long written;

            @Override public void write(ByteBuffer piece) {
                if (written + piece.remaining() > length) throw new java.nio.BufferOverflowException();
                try {
                    while (piece.hasRemaining()) written += ch.write(piece, offset + written);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write a " + length + "-byte tensor to the temporary tensor file in " + folder, e);
                }
            }

            @Override public DenseData finish() {
                Writer.requireFull(written, length);
                return DenseData.ofMappedRegion(type, length, (from, size) -> map(ch, offset + from, size), "store@" + offset);
            }
        };
    }

    /** Bytes of the tensors written to the file so far (not counting those kept on the heap). */
    public synchronized long storedBytes() { return stored; }

    /** Whether the file is still visible in the folder (only where an open file cannot be deleted). */
    synchronized boolean fileVisible() { return undeleted != null && Files.exists(undeleted); }

    private FileChannel open() {
        if (channel != null) return channel;
        try {
            Path file = Files.createTempFile(folder, "pare-tensors-", ".bin");
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                Files.delete(file); // the open channel keeps the data (POSIX)
            } catch (IOException e) {
                undeleted = file;
                file.toFile().deleteOnExit();
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary tensor file in " + folder + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer map(FileChannel ch, long offset, long length) {
        try {
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (ClosedChannelException e) {
            throw new IllegalStateException("tensor store was closed before this tensor was read", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map the temporary tensor file", e);
        }
    }

    private static long align(long n) { return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        if (channel == null) return;
        try {
            channel.close();
            if (undeleted != null) Files.deleteIfExists(undeleted);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the temporary tensor file", e);
        }
    }
}
