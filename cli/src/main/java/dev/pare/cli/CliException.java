package dev.pare.cli;

/** A command failed in a way the user can act on: one-line message plus the exit code. */
final class CliException extends RuntimeException {

    private final int exitCode;

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message) { this(exitCode, message, null); }

    int exitCode() { return exitCode; }
}
