package dev.pare.compiler.driver;

/** A compilation stopped; {@link #kind()} says whose fault it was. The message is one line. */
public final class CompilationException extends Exception {

    /** Why a compilation stopped; the CLI maps each to an exit code. */
    public enum Kind {
        /** The request itself is wrong (output is the input, output exists, unknown output format). */
        BAD_REQUEST,
        /** The input model cannot be read or is structurally invalid. */
        BAD_INPUT,
        /** A pass failed, or the compiled model does not verify. */
        COMPILE_FAILED,
        /** The output could not be written. */
        OUTPUT_FAILED
    }

    private final Kind kind;

    public CompilationException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public CompilationException(Kind kind, String message) { this(kind, message, null); }

    public Kind kind() { return kind; }
}
