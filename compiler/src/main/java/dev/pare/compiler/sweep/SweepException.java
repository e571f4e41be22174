package dev.pare.compiler.sweep;

/** A sweep that cannot run as asked (a bad grid, an unusable report folder); the message is one line. */
public final class SweepException extends Exception {

    public SweepException(String message) { super(message); }

    public SweepException(String message, Throwable cause) { super(message, cause); }
}
