package dev.pare.cli;

/** The exit codes of {@code pare}; README.md documents the same table. */
public final class ExitCodes {

    private ExitCodes() {}

    public static final int OK = 0;
    /** A pass failed, or the compiled model does not verify. */
    public static final int COMPILE_FAILED = 1;
    /** Bad command line: unknown flag, missing argument, output equal to input, output exists without --force. */
    public static final int USAGE = 2;
    /** The input model is missing, unreadable or invalid. */
    public static final int BAD_INPUT = 3;
    /** The output could not be written. */
    public static final int OUTPUT_FAILED = 4;
    /** The Java heap ran out; the message names the task and the -Xmx to try. */
    public static final int OUT_OF_MEMORY = 5;
    /** An internal error: an unexpected exception or JVM error (EX_SOFTWARE of sysexits.h). */
    public static final int INTERNAL = 70;
}
