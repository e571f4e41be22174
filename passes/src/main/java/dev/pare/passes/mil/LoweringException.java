package dev.pare.passes.mil;

import dev.pare.ir.Value;

/**
 * An ONNX node that has a lowering in general but not for these attributes or operands. When an
 * operand had to be a constant (or to have a static shape), it is named, so that the failure can
 * say what the user can do about it ({@link FixHints}).
 */
final class LoweringException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What the lowering needed to know about {@link #operand} at conversion time. */
    enum Need { NONE, VALUE, SHAPE }

    private final transient Value operand;
    private final Need need;

    LoweringException(String message) { this(message, null, Need.NONE); }

    LoweringException(String message, Value operand, Need need) {
        super(message, null, false, false);
        this.operand = operand;
        this.need = need;
    }

    Value operand() { return operand; }

    Need need() { return need; }
}
