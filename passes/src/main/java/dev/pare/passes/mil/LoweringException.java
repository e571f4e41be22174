package dev.pare.passes.mil;

/** An ONNX node that has a lowering in general but not for these attributes or operands. */
final class LoweringException extends RuntimeException {
    LoweringException(String message) { super(message, null, false, false); }
}
