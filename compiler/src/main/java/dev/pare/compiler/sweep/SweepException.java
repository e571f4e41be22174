package dev.pare.compiler.sweep;

/** A sweep that cannot run as asked (a bad grid, an unusable report folder); the message is one line. */
public final class SweepException extends Exception {

    /** What went wrong: the request (fixed on the command line), the input model, or writing the report. */
    public enum Kind { BAD_REQUEST, BAD_INPUT, OUTPUT_FAILED }

    private final Kind kind;

    public SweepException(String message) { this(Kind.BAD_REQUEST, message, null); }

    public SweepException(String message, Throwable cause) { this(Kind.BAD_REQUEST, message, cause); }

    public SweepException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
