package dev.pare.compiler.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The temporary files and folders writers create next to an output before moving them into place
 * (e.g. {@code .out.onnx.123.tmp}, a {@code .out.mlpackage.456} folder). They are registered here
 * when created and released when moved or deleted, so that a process being stopped (SIGINT, SIGTERM:
 * the CLI's shutdown hook calls {@link #removeAll}) leaves none behind. Created with
 * {@link OutputPermissions}, not owner-only, since they become the output.
 */
public final class TempFiles {

    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean closed;

    /** Test-only: milliseconds to sleep after a temporary file is created, so a test can stop the process then. */
    static final String PAUSE_PROPERTY = "pare.test.pauseAfterTempFile";

    private TempFiles() {}

    /** A new registered temporary file {@code dir/prefix<random>suffix} with output permissions. */
    public static Path createFile(Path dir, String prefix, String suffix) throws IOException {
        Path p = register(Files.createTempFile(dir, prefix, suffix));
        OutputPermissions.applyToFile(p);
        pauseForTests();
        return p;
    }

    /** A new registered temporary folder {@code dir/prefix<random>} with output permissions. */
    public static Path createDirectory(Path dir, String prefix) throws IOException {
        Path p = register(Files.createTempDirectory(dir, prefix));
        OutputPermissions.applyToDirectory(p);
        pauseForTests();
        return p;
    }

    /** The file is moved into place or deleted: no longer ours to clean up. */
    public static void release(Path p) {
        if (p != null) LIVE.remove(p);
    }

    /** Registers a temporary file created elsewhere (e.g. a probe); returns it. */
    public static Path track(Path p) throws IOException { return register(p); }

    private static Path register(Path p) throws IOException {
        LIVE.add(p);
        if (closed) { // the shutdown hook already ran: this one would be left behind
            removeQuietly(p);
            throw new IOException("the process is stopping");
        }
        return p;
    }

    /** Bytes in the registered files now (a folder: the files in it); for showing write progress. */
    public static long bytes() {
        long total = 0;
        for (Path p : LIVE) total += size(p);
        return total;
    }

    /**
     * Deletes every registered file and folder and refuses new ones; returns how many existed.
     * For the shutdown hook: the writer may still be running.
     */
    public static int removeAll() {
        closed = true;
        int removed = 0;
        for (Path p : new ArrayList<>(LIVE)) {
            if (Files.exists(p) && removeQuietly(p)) removed++;
            LIVE.remove(p);
        }
        return removed;
    }

    /**
     * Deletes a temporary file or folder of a write that failed, as far as it can; returns whether
     * it is gone. Never throws, so the write's own error is the one reported.
     */
    public static boolean removeNow(Path p) {
        return !Files.exists(p) || removeQuietly(p) && !Files.exists(p);
    }

    /** The registered paths (for tests). */
    static List<Path> live() { return List.copyOf(LIVE); }

    private static boolean removeQuietly(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static long size(Path p) {
        try {
            if (!Files.isDirectory(p)) return Files.size(p);
            try (Stream<Path> s = Files.walk(p)) {
                return s.filter(Files::isRegularFile).mapToLong(f -> {
                    try {
                        return Files.size(f);
                    } catch (IOException e) {
                        return 0;
                    }
                }).sum();
            }
        } catch (IOException | UncheckedIOException e) {
            return 0; // moved or deleted meanwhile
        }
    }

    private static void pauseForTests() {
        String ms = System.getProperty(PAUSE_PROPERTY);
        if (ms == null) return;
        try {
            Thread.sleep(Long.parseLong(ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
