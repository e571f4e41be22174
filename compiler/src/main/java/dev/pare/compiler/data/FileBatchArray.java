package dev.pare.compiler.data;

import dev.pare.ir.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A batch stored contiguously in a file from {@code offset}: a batch {@code .npy} or raw data. */
final class FileBatchArray implements BatchArray {

    private final Path file;
    private final DType dtype;
    private final long[] shape;
    private final long offset;
    private final int sliceBytes;

    FileBatchArray(Path file, DType dtype, long[] shape, long offset) throws DataException {
        BatchArray.checkSampleAxis(file.toString(), shape);
        this.file = file;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.offset = offset;
        this.sliceBytes = sliceBytes();
    }

    @Override public String where() { return file.toString(); }

    @Override public DType dtype() { return dtype; }

    @Override public long[] shape() { return shape.clone(); }

    @Override public byte[] read(int index) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(sliceBytes);
        long at = offset + (long) index * sliceBytes;
        // A channel per read: the data set needs no closing and the file can be many GB.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                int n = ch.read(buf, at + buf.position());
                if (n < 0) throw new DataException(file + ": ends inside sample " + index);
            }
        }
        return buf.array();
    }

    @Override public void close() {}
}
