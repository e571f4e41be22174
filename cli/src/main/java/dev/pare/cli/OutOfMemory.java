package dev.pare.cli;

import java.util.Locale;
import java.util.Optional;

/**
 * Running out of Java heap as one line with what to do:
 * {@code pare: error: out of memory in prune: compress (12 of 800 weights done; the last was 'fc1.weight');
 * the Java heap is limited to 0.5 GiB: try JAVA_OPTS=-Xmx1g}, and exit code
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
                + String.format(Locale.ROOT, "%.1f GiB", maxHeapBytes / (double) (1L << 30))
                + ": try JAVA_OPTS=-Xmx" + twice(maxHeapBytes);
    }

    /** Twice the heap as an -Xmx value: whole gigabytes from 1g, megabytes below. */
    static String twice(long maxHeapBytes) {
        long mib = Math.max(1, 2 * maxHeapBytes / (1L << 20));
        return mib >= 1024 ? (mib + 1023) / 1024 + "g" : mib + "m";
    }
}
