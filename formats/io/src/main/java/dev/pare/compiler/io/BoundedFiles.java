package dev.pare.compiler.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads small input files (pipeline files, label lists, preprocessing specs, Core ML manifests)
 * whole, but never more than a limit: the file must be a regular file (not {@code /dev/zero}, a
 * FIFO or a directory) and is read through a bounded loop, so a file that grows while it is read
 * cannot make Pare read without end either.
 */
public final class BoundedFiles {

    private BoundedFiles() {}

    /** Why a file was not read; the message is one line without the file's name. */
    public static final class RefusedFile extends IOException {
        public RefusedFile(String message) { super(message); }
    }

    /**
     * The bytes of {@code file}, at most {@code maxBytes} of them.
     *
     * @throws java.nio.file.NoSuchFileException if it does not exist
     * @throws RefusedFile if it is not a regular file or is larger than {@code maxBytes}
     */
    public static byte[] read(Path file, long maxBytes) throws IOException {
        if (!Files.exists(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        if (Files.isDirectory(file)) throw new RefusedFile("it is a directory");
        if (!Files.isRegularFile(file)) throw new RefusedFile("it is not a regular file (a device, FIFO or socket)");
        if (Files.size(file) > maxBytes) throw tooLarge(maxBytes);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[(int) Math.min(Files.size(file) + 1, maxBytes + 1)];
            int n = 0;
            while (true) {
                if (n == buffer.length) {
                    if (n > maxBytes) throw tooLarge(maxBytes);
                    buffer = Arrays.copyOf(buffer, (int) Math.min(maxBytes + 1, Math.max(4096, 2L * n)));
                }
                int r = in.read(buffer, n, buffer.length - n);
                if (r < 0) break;
                n += r;
            }
            if (n > maxBytes) throw tooLarge(maxBytes);
            return Arrays.copyOf(buffer, n);
        }
    }

    private static RefusedFile tooLarge(long maxBytes) {
        return new RefusedFile("it is larger than the limit of " + size(maxBytes));
    }

    /** {@code 1 MiB}, {@code 64 KiB}, or bytes when not a whole number of KiB. */
    public static String size(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) return (bytes >> 20) + " MiB";
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) return (bytes >> 10) + " KiB";
        return bytes + " bytes";
    }
}
