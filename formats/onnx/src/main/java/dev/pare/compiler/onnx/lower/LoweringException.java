package dev.pare.compiler.onnx.lower;

/** A {@code pare.*} op (or the model around it) that cannot be written as ONNX; the message is one line. */
public final class LoweringException extends RuntimeException {

    public LoweringException(String message) { super(message); }
}
