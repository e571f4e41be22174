package dev.pare.compiler.onnx;

/** A problem with an ONNX file; the one-line message does not include the file name yet. */
final class OnnxInputError extends RuntimeException {
    OnnxInputError(String message) { super(message); }

    OnnxInputError(String message, Throwable cause) { super(message, cause); }
}
