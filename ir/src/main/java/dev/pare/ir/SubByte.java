package dev.pare.ir;

import java.nio.ByteBuffer;

/** Reads and writes sub-byte elements packed LSB-first (element 0 in the lowest bits of byte 0). */
public final class SubByte {

    private SubByte() {}

    /** Element {@code i}, sign-extended for signed types. */
    public static long get(ByteBuffer packed, DType dtype, long i) {
        int bits = dtype.bits();
        long bitPos = i * bits;
        int at = (int) (bitPos >>> 3);
        int shift = (int) (bitPos & 7);
        // bits < 8, so an element spans at most two bytes; the second is read only if needed
        int window = packed.get(at) & 0xFF;
        if (shift + bits > 8) window |= (packed.get(at + 1) & 0xFF) << 8;
        int v = (window >>> shift) & ((1 << bits) - 1);
        if (dtype.isSigned() && (v & (1 << (bits - 1))) != 0) v -= 1 << bits;
        return v;
    }

    /** Packs {@code values} (each must fit the type) into a fresh byte array. */
    public static byte[] pack(DType dtype, long[] values) {
        int bits = dtype.bits();
        byte[] out = new byte[(int) dtype.byteSize(values.length)];
        long lo = dtype.isSigned() ? -(1L << (bits - 1)) : 0;
        long hi = dtype.isSigned() ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        long mask = (1L << bits) - 1;
        // A bit accumulator: whole bytes leave it as soon as they are full (one store per byte,
        // not one read-modify-write per bit; packing a 16M-element weight was a third of a run).
        long acc = 0;
        int filled = 0;
        int o = 0;
        for (long v : values) {
            if (v < lo || v > hi) throw new IllegalArgumentException(v + " does not fit " + dtype);
            acc |= (v & mask) << filled;
            filled += bits;
            if (filled >= 8) {
                out[o++] = (byte) acc;
                acc >>>= 8;
                filled -= 8;
            }
        }
        if (filled > 0) out[o] = (byte) acc;
        return out;
    }
}
