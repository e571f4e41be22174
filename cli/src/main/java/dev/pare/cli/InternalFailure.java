package dev.pare.cli;

import dev.pare.spi.MessageText;
import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * An unexpected throwable (a bug in Pare or a plugin, or the JVM running out of memory or stack)
 * as one line, {@code pare: internal error: <what> (please report; rerun with --stacktrace)}, and
 * exit code {@link ExitCodes#INTERNAL}. Writers clean up their temporary files in {@code finally}
 * blocks before the throwable gets here, so no half-written output is left behind.
 */
final class InternalFailure {

    /** Freed on OutOfMemoryError so the one line can still be formatted and printed. */
    private static volatile byte[] reserve = new byte[512 * 1024];

    private InternalFailure() {}

    static int report(Throwable t, PrintWriter err, boolean stackTrace) {
        String line = line(t);
        err.println(line);
        if (stackTrace) t.printStackTrace(err);
        err.flush();
        restoreReserve();
        return ExitCodes.INTERNAL;
    }

    static int report(Throwable t, PrintStream err, boolean stackTrace) {
        String line = line(t);
        err.println(line);
        if (stackTrace) t.printStackTrace(err);
        err.flush();
        restoreReserve();
        return ExitCodes.INTERNAL;
    }

    /** The line for stderr: the throwable's simple class name and message, escaped and cut. */
    static String line(Throwable t) {
        if (t instanceof OutOfMemoryError) reserve = null;
        String what;
        try {
            String message = t.getMessage();
            what = t.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
        } catch (Throwable inMessage) { // a plugin's getMessage() may itself fail
            what = t.getClass().getName();
        }
        return "pare: internal error: " + MessageText.forDisplay(what) + " (please report; rerun with " + Main.STACKTRACE + ")";
    }

    /** Frees the reserve, so a message about running out of memory can be built. */
    static void releaseReserve() { reserve = null; }

    static void restoreReserve() {
        if (reserve != null) return;
        try {
            reserve = new byte[512 * 1024];
        } catch (OutOfMemoryError stillShort) {
            // the process exits next; nothing more to keep
        }
    }
}
