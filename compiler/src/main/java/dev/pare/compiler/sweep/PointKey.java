package dev.pare.compiler.sweep;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The key of a sweep point: SHA-256 over the input model's bytes (every file of a package), the
 * point's canonical pipeline and the settings that change its result (output format, seed, data,
 * labels, sample count, calibration data; files among those by path, size and modification
 * time). A re-run whose key matches a stored result skips the point. 16 hex digits.
 */
public final class PointKey {

    private PointKey() {}

    /** SHA-256 of the model's content, hex: the bytes of a file, or of every file of a folder in path order. */
    public static String modelDigest(Path model) throws IOException {
        MessageDigest md = sha256();
        if (Files.isDirectory(model)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(model)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                md.update(model.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                update(md, f);
            }
        } else {
            update(md, model);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The key of one point; {@code settings} describes everything but the model and the pipeline. */
    public static String of(String modelDigest, String settings, String canonicalPipeline) {
        MessageDigest md = sha256();
        String text = "pare sweep point 1\n" + modelDigest + "\n" + settings + "\n" + canonicalPipeline;
        return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    /** A file a setting names, as the key sees it: path, size and modification time ("-" if none). */
    public static String fileStamp(Path p) {
        if (p == null) return "-";
        try {
            Path abs = p.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                try (Stream<Path> walk = Files.walk(abs)) {
                    long[] sum = {0, 0};
                    walk.filter(Files::isRegularFile).forEach(f -> {
                        try {
                            sum[0] += Files.size(f);
                            sum[1] = Math.max(sum[1], Files.getLastModifiedTime(f).toMillis());
                        } catch (IOException e) {
                            sum[0] = -1;
                        }
                    });
                    return abs + " " + sum[0] + " " + sum[1];
                }
            }
            return abs + " " + Files.size(abs) + " " + Files.getLastModifiedTime(abs).toMillis();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize() + " unreadable";
        }
    }

    private static void update(MessageDigest md, Path f) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JVM has SHA-256", e);
        }
    }
}
