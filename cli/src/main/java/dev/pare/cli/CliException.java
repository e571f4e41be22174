package dev.pare.cli;

import dev.pare.spi.MessageText;
import java.util.List;

/**
 * A command failed in a way the user can act on, with the exit code. Usually one line, printed as
 * {@code pare: error: <message>}. Messages that already carry their own {@code error[CODE]}
 * prefix (registry and pass-manager errors, one per line) are printed as {@code pare: <line>};
 * rendered pipeline errors (location, source line, caret) are printed as they are.
 */
final class CliException extends RuntimeException {

    /** How the message is printed. */
    enum Style { PLAIN, CODED, RENDERED }

    private final int exitCode;
    private final Style style;

    private CliException(int exitCode, Style style, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.style = style;
    }

    CliException(int exitCode, String message, Throwable cause) { this(exitCode, Style.PLAIN, message, cause); }

    CliException(int exitCode, String message) { this(exitCode, message, null); }

    /** Lines that start with their own {@code error[CODE]}. */
    CliException(int exitCode, List<String> codedLines, Throwable cause) {
        this(exitCode, Style.CODED, String.join("\n", codedLines), cause);
    }

    /** Text rendered with locations and carets, printed without a prefix. */
    static CliException rendered(int exitCode, String text, Throwable cause) {
        return new CliException(exitCode, Style.RENDERED, text, cause);
    }

    int exitCode() { return exitCode; }

    /** The lines for stderr, escaped and cut ({@link MessageText}). */
    String render() {
        String message = String.valueOf(getMessage());
        return switch (style) {
            case PLAIN -> "pare: error: " + MessageText.forDisplay(message);
            case CODED -> "pare: " + MessageText.lines(message).replace("\n", "\npare: ");
            case RENDERED -> MessageText.lines(message);
        };
    }
}
