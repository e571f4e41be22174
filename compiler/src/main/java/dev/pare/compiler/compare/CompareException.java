package dev.pare.compiler.compare;

/** {@code pare compare} cannot proceed; the kind tells a bad request, bad input and a failed run apart. */
public final class CompareException extends Exception {

    public enum Kind {
        /** Options that do not fit together (e.g. labels without data). */
        BAD_REQUEST,
        /** A model, the data or the labels are missing, malformed or do not fit the models. */
        BAD_INPUT,
        /** A model could not be run, or the two models' outputs cannot be compared. */
        RUN_FAILED
    }

    private final Kind kind;

    public CompareException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public CompareException(Kind kind, String message) { this(kind, message, null); }

    public Kind kind() { return kind; }
}
