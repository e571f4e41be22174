package dev.pare.compiler.data;

import java.io.IOException;

/**
 * Sample or label data that cannot be used: unreadable, malformed, or not matching the model's
 * inputs. The message is one line that names the file and, where it applies, the input.
 */
public final class DataException extends IOException {

    public DataException(String message) { super(message); }

    public DataException(String message, Throwable cause) { super(message, cause); }
}
