package dev.pare.spi;

import java.nio.file.Path;

/**
 * A model file cannot be read or written; the message is one line that names the file. Control
 * characters in it (a name read from a damaged or hostile file may hold a newline) are escaped as
 * {@code \n}, {@code \t}, {@code \r} or {@code \u001b}, so the message stays one line.
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

    /** {@code text} with control characters escaped. */
    public static String oneLine(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(text.length() + 8).append(text, 0, i);
            switch (c) {
                case '\n': sb.append("\\n"); break;
                case '\t': sb.append("\\t"); break;
                case '\r': sb.append("\\r"); break;
                default: sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? text : sb.toString();
    }
}
