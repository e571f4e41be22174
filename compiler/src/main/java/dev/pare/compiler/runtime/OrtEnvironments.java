package dev.pare.compiler.runtime;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's ONNX Runtime environment, created on a thread of its own whose stack is large
 * enough for ONNX Runtime's start-up, whatever stack the calling thread has.
 *
 * <p>Why: creating the environment (the first {@link OrtEnvironment#getEnvironment()} of a process)
 * makes ONNX Runtime's Linux build (1.29) read {@code /proc/self/cmdline} and match it with a
 * libstdc++ {@code std::regex} while it collects system information; that regex engine recurses
 * once per character, about 256 bytes of native stack each. A JVM command line longer than about
 * 4,000 bytes (a long {@code -cp}) overflows a 1 MiB Java thread stack, the JVM's default, and the
 * process dies of SIGSEGV (exit 139) with no Java exception. Loading and running sessions does not
 * recurse like this, so once the environment exists any thread can use it (README "The
 * {@code pare} launcher").
 */
public final class OrtEnvironments {

    /** Stack for the creating thread beyond what the command line needs (reserved, not committed). */
    static final long BASE_STACK_BYTES = 16L << 20;

    /** Twice the ~256 bytes of native stack that ONNX Runtime's regex uses per command-line byte. */
    static final long STACK_BYTES_PER_COMMAND_LINE_BYTE = 512;

    private static final Path COMMAND_LINE = Path.of("/proc/self/cmdline");

    private static OrtEnvironment shared;

    private OrtEnvironments() {}

    /**
     * ONNX Runtime's environment; the first call creates it on a thread whose stack fits this
     * process's command line (see {@link #stackBytes(long)}) and waits for it.
     *
     * @throws IllegalStateException as {@link OrtEnvironment#getEnvironment()}, e.g. when the native
     *                               library cannot be loaded
     */
    public static synchronized OrtEnvironment shared() {
        if (shared == null) shared = createOnLargeStack(stackBytes(commandLineBytes()));
        return shared;
    }

    /** The stack the creating thread gets for a command line of this many bytes. */
    static long stackBytes(long commandLineBytes) {
        return BASE_STACK_BYTES + STACK_BYTES_PER_COMMAND_LINE_BYTE * commandLineBytes;
    }

    /** Length of this process's command line; 0 where there is no {@code /proc} (only Linux has been seen to need it). */
    static long commandLineBytes() {
        try {
            return Files.readAllBytes(COMMAND_LINE).length;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return 0;
        }
    }

    private static OrtEnvironment createOnLargeStack(long stackBytes) {
        OrtEnvironment[] created = new OrtEnvironment[1];
        Throwable[] failure = new Throwable[1];
        Thread creator = new Thread(null, () -> {
            try {
                created[0] = OrtEnvironment.getEnvironment();
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "pare-ort-environment", stackBytes);
        creator.setDaemon(true);
        creator.start();
        joinUninterruptibly(creator);
        if (failure[0] instanceof RuntimeException e) throw e;
        if (failure[0] instanceof Error e) throw e;
        if (failure[0] != null) throw new IllegalStateException("cannot create the ONNX Runtime environment: " + failure[0], failure[0]);
        return created[0];
    }

    /** The environment must exist before the caller goes on; an interrupt is kept for the caller to see. */
    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
