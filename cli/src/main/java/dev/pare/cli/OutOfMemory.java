package dev.pare.cli;

import java.util.Locale;
import java.util.Optional;

/**
 * Running out of Java heap as one line with what to do:
 * {@code pare: error: out of memory in prune: compress (12 of 800 weights done; the last was 'fc1.weight');
 * the Java heap is limited to 512 MiB: try JAVA_OPTS=-Xmx1g}, and exit code
 * {@link ExitCodes#OUT_OF_MEMORY}.
 */
final class OutOfMemory {

    private OutOfMemory() {}

    /** The OutOfMemoryError in {@code t}'s causes (a pass may wrap it), or null. */
    static OutOfMemoryError in(Throwable t) {
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            if (t instanceof OutOfMemoryError e) return e;
        }
        return null;
    }

    static CliException failure(OutOfMemoryError e, Optional<String> where) {
        return new CliException(ExitCodes.OUT_OF_MEMORY, message(where, Runtime.getRuntime().maxMemory()), e);
    }

    static String message(Optional<String> where, long maxHeapBytes) {
        return "out of memory" + where.map(w -> " in " + w).orElse("") + "; the Java heap is limited to "
                + heap(maxHeapBytes)
                + ": try JAVA_OPTS=-Xmx" + twice(maxHeapBytes);
    }

    /** {@code 4.0 GiB}; below a gibibyte {@code 61 MiB}, which {@code 0.1 GiB} would hide. */
    static String heap(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30)) : (bytes >> 20) + " MiB";
    }

    /** Twice the heap as an -Xmx value: whole gigabytes from 1g, megabytes below. */
    static String twice(long maxHeapBytes) {
        long mib = Math.max(1, 2 * maxHeapBytes / (1L << 20));
        return mib >= 1024 ? (mib + 1023) / 1024 + "g" : mib + "m";
    }
}
