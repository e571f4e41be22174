package dev.pare.compiler.inspect;

/** How many nodes (in all graphs) have op {@code op}, e.g. {@code onnx.Conv}. */
public record OpCount(String op, long count) {}
