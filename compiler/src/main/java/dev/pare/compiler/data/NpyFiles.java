package dev.pare.compiler.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading whole {@code .npy} arrays (one sample per file). */
final class NpyFiles {

    private NpyFiles() {}

    /** The array in {@code file}; its element bytes must be exactly what the header announces. */
    static Sample read(Path file) throws IOException {
        String where = file.toString();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return read(in, where, Files.size(file));
        } catch (NoSuchFileException e) {
            throw new DataException(where + ": no such file");
        }
    }

    /**
     * The array in {@code in}.
     *
     * @param size the stream's total byte count, or -1 if unknown
     */
    static Sample read(InputStream in, String where, long size) throws IOException {
        NpyHeader h = NpyHeader.read(in, where);
        long bytes = h.dataBytes();
        if (size >= 0 && size != h.dataOffset() + bytes) {
            throw new DataException(where + ": .npy " + DTypeNames.describe(h.dtype(), h.shape()) + " needs "
                    + bytes + " data bytes, the file has " + (size - h.dataOffset()));
        }
        if (bytes > Integer.MAX_VALUE - 8) throw new DataException(where + ": array of " + bytes + " bytes is too large for one sample");
        byte[] data = in.readNBytes((int) bytes);
        if (data.length != bytes) {
            throw new DataException(where + ": .npy " + DTypeNames.describe(h.dtype(), h.shape()) + " needs "
                    + bytes + " data bytes, the file has " + data.length);
        }
        if (size < 0 && in.read() != -1) throw new DataException(where + ": .npy has bytes after the array data");
        return new Sample(h.dtype(), h.shape(), data);
    }
}
