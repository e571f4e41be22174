package dev.pare.compiler.onnx.lower;

/** The smallest default-domain opset and IR version the lowered ops need, collected while lowering. */
final class Requirements {

    private long opset;
    private long irVersion;
    private String opsetReason = "";

    /** {@code why} names what needs it, for the error when the model cannot be raised. */
    void opset(long version, String why) {
        if (version > opset) {
            opset = version;
            opsetReason = why;
        }
    }

    void ir(long version) { irVersion = Math.max(irVersion, version); }

    long opset() { return opset; }

    long irVersion() { return irVersion; }

    String opsetReason() { return opsetReason; }
}
