package dev.pare.spi;

import java.nio.file.Path;

/**
 * A model file cannot be read or written; the message is one line that names the file. Control
 * characters in it (a name read from a damaged or hostile file may hold a newline) are escaped as
 * {@code \n}, {@code \t}, {@code \r} or {@code \u001b} ({@link MessageText}), so the message stays one line.
 */
public class ModelFormatException extends Exception {

    private final Path file;

    public ModelFormatException(Path file, String message) {
        super(oneLine(file + ": " + message));
        this.file = file;
    }

    public ModelFormatException(Path file, String message, Throwable cause) {
        super(oneLine(file + ": " + message), cause);
        this.file = file;
    }

    public Path file() { return file; }

    /** {@code text} with control characters escaped ({@link MessageText#oneLine}). */
    public static String oneLine(String text) {
        return MessageText.oneLine(text);
    }
}
