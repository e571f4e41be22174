package dev.pare.compiler.onnx.upgrade;

/** A model that the opset upgrader cannot carry to the requested opset; the message is one line. */
public final class UpgradeException extends RuntimeException {

    public UpgradeException(String message) { super(message); }
}
