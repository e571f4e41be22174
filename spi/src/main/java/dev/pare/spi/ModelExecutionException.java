package dev.pare.spi;

/** A graph could not be loaded or run by a {@link ModelExecutor}; the message is one line. */
public class ModelExecutionException extends Exception {

    public ModelExecutionException(String message) { super(message); }

    public ModelExecutionException(String message, Throwable cause) { super(message, cause); }
}
