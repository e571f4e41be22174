package dev.pare.compiler.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * The permissions of what Pare writes: files {@code 0644} and folders {@code 0755}, less the
 * process's umask (read from {@code /proc/self/status} on Linux; {@code 022} assumed elsewhere).
 * Needed because temporary files and folders, which become the output by a rename, are created
 * owner-only ({@code 0600}, {@code 0700}). Nothing is done where the file system is not POSIX.
 */
public final class OutputPermissions {

    private static final int UMASK = readUmask();

    private OutputPermissions() {}

    /** {@code 0644} less the umask. */
    public static Set<PosixFilePermission> file() { return permissions(0644 & ~UMASK); }

    /** {@code 0755} less the umask. */
    public static Set<PosixFilePermission> directory() { return permissions(0755 & ~UMASK); }

    public static void applyToFile(Path p) throws IOException {
        if (posix(p)) Files.setPosixFilePermissions(p, file());
    }

    public static void applyToDirectory(Path p) throws IOException {
        if (posix(p)) Files.setPosixFilePermissions(p, directory());
    }

    /** Every folder and file under {@code root}, {@code root} too. */
    public static void applyToTree(Path root) throws IOException {
        if (!posix(root)) return;
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setPosixFilePermissions(p, Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? directory() : file());
            }
        }
    }

    private static boolean posix(Path p) throws IOException {
        return Files.getFileStore(p).supportsFileAttributeView(PosixFileAttributeView.class);
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << (bits.length - 1 - i))) != 0) s.add(bits[i]);
        }
        return s;
    }

    /** The {@code Umask:} line of {@code status} text (octal), or 022. */
    static int umask(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Umask:")) {
                try {
                    return Integer.parseInt(line.substring(6).strip(), 8) & 0777;
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        return 022;
    }

    private static int readUmask() {
        try {
            return umask(new String(Files.readAllBytes(Path.of("/proc/self/status")), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return 022;
        }
    }
}
