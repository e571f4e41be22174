package dev.pare.compiler.inspect;

/** A main-graph input or output: its name and printed type, e.g. {@code f32[N,1,28,28]}. */
public record GraphPort(String name, String type) {}
