package dev.pare.compiler.inspect;

import dev.pare.ir.DType;

/** The weights of one element type: how many tensors, parameters and stored bytes. */
public record DTypeTotal(DType dtype, long tensors, long parameters, long bytes) {}
