package dev.pare.compiler.data;

import dev.pare.ir.DType;
import java.util.Arrays;

/**
 * One array as read from a file, before it is checked against a model input: dtype, shape and the
 * little-endian element bytes.
 */
record Sample(DType dtype, long[] shape, byte[] bytes) {

    @Override public String toString() { return DTypeNames.describe(dtype, shape); }

    @Override public boolean equals(Object o) {
        return o instanceof Sample s && dtype == s.dtype && Arrays.equals(shape, s.shape) && Arrays.equals(bytes, s.bytes);
    }

    @Override public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(bytes); }
}
