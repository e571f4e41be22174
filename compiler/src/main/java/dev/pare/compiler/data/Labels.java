package dev.pare.compiler.data;

import dev.pare.compiler.io.BoundedFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Class labels, one integer per sample in sample order, from a text file (one integer per line;
 * blank lines are skipped), a {@code .npy} of integers (shape {@code [N]} or {@code [N,1]}), or a
 * {@code .u8} file (one unsigned byte per label, as the MNIST test set ships).
 */
public final class Labels {

    private Labels() {}

    /** Largest labels file read (64 MiB holds millions of labels in any of the three forms). */
    public static final long MAX_FILE_BYTES = 64L << 20;

    public static int[] read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = BoundedFiles.read(file, MAX_FILE_BYTES);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": no such file");
        } catch (BoundedFiles.RefusedFile e) {
            throw new DataException(file + ": cannot read the labels: " + e.getMessage());
        }
        if (NpyHeader.hasMagic(bytes)) return npy(file, bytes);
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".u8")) {
            int[] out = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) out[i] = bytes[i] & 0xFF;
            return out;
        }
        return text(file, new String(bytes, StandardCharsets.UTF_8));
    }

    private static int[] npy(Path file, byte[] bytes) throws IOException {
        Sample s = NpyFiles.read(new ByteArrayInputStream(bytes), file.toString(), bytes.length);
        long[] shape = s.shape();
        if (!(shape.length == 1 || (shape.length == 2 && shape[1] == 1))) {
            throw new DataException(file + ": labels must be shape [N] or [N,1], got " + s);
        }
        int n = (int) shape[0];
        int[] out = new int[n];
        ByteBuffer b = ByteBuffer.wrap(s.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            long v = switch (s.dtype()) {
                case UINT8 -> b.get() & 0xFF;
                case INT8 -> b.get();
                case INT16 -> b.getShort();
                case UINT16 -> b.getShort() & 0xFFFF;
                case INT32 -> b.getInt();
                case INT64 -> b.getLong();
                default -> throw new DataException(file + ": labels must be integers, got " + s);
            };
            if (v < 0 || v > Integer.MAX_VALUE) throw new DataException(file + ": label " + i + " is " + v + ", not a class index");
            out[i] = (int) v;
        }
        return out;
    }

    private static int[] text(Path file, String text) throws DataException {
        String[] lines = text.split("\r?\n", -1);
        int[] out = new int[lines.length];
        int n = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.isEmpty()) continue;
            try {
                out[n] = Integer.parseInt(line);
            } catch (NumberFormatException e) {
                throw new DataException(file + ":" + (i + 1) + ": '" + abbreviate(line) + "' is not an integer label (one per line, or a .npy / .u8 file)");
            }
            if (out[n] < 0) throw new DataException(file + ":" + (i + 1) + ": label " + out[n] + " is negative");
            n++;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static String abbreviate(String s) { return s.length() <= 20 ? s : s.substring(0, 20) + "..."; }
}
