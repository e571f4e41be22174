package dev.pare.compiler.coreml.lower;

/** A {@code pare.*} or constexpr op the Core ML target cannot express; the message names the weight or node. */
public final class CoreMlLoweringException extends Exception {
    public CoreMlLoweringException(String message) { super(message); }
}
