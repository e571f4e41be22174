package dev.pare.ir;

import java.util.Arrays;

/**
 * A type Pare does not model (ONNX sequences, maps, optionals, sparse tensor types), kept as the
 * format's encoded bytes so that a round trip is lossless.
 */
public record OpaqueType(String format, String summary, byte[] encoded) implements Type {
    public OpaqueType {
        encoded = encoded.clone();
    }

    @Override public byte[] encoded() { return encoded.clone(); }

    @Override public boolean equals(Object o) {
        return o instanceof OpaqueType t && t.format.equals(format) && Arrays.equals(t.encoded, encoded);
    }

    @Override public int hashCode() { return format.hashCode() * 31 + Arrays.hashCode(encoded); }

    @Override public String toString() { return summary; }
}
