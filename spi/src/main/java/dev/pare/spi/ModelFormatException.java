package dev.pare.spi;

import java.nio.file.Path;

/** A model file cannot be read or written; the message is one line that names the file. */
public class ModelFormatException extends Exception {

    private final Path file;

    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    public ModelFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    public Path file() { return file; }
}
