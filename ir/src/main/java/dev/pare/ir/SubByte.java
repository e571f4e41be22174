package dev.pare.ir;

import java.nio.ByteBuffer;

/** Reads and writes sub-byte elements packed LSB-first (element 0 in the lowest bits of byte 0). */
public final class SubByte {

    private SubByte() {}

    /** Element {@code i}, sign-extended for signed types. */
    public static long get(ByteBuffer packed, DType dtype, long i) {
        int bits = dtype.bits();
        long bitPos = i * bits;
        int v = 0;
        for (int k = 0; k < bits; k++) {
            long p = bitPos + k;
            int bit = (packed.get((int) (p >>> 3)) >>> (p & 7)) & 1;
            v |= bit << k;
        }
        if (dtype.isSigned() && (v & (1 << (bits - 1))) != 0) v -= 1 << bits;
        return v;
    }

    /** Packs {@code values} (each must fit the type) into a fresh byte array. */
    public static byte[] pack(DType dtype, long[] values) {
        int bits = dtype.bits();
        byte[] out = new byte[(int) dtype.byteSize(values.length)];
        long lo = dtype.isSigned() ? -(1L << (bits - 1)) : 0;
        long hi = dtype.isSigned() ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (v < lo || v > hi) throw new IllegalArgumentException(v + " does not fit " + dtype);
            int u = (int) (v & ((1 << bits) - 1));
            long bitPos = (long) i * bits;
            for (int k = 0; k < bits; k++) {
                if (((u >>> k) & 1) != 0) {
                    long p = bitPos + k;
                    out[(int) (p >>> 3)] |= (byte) (1 << (p & 7));
                }
            }
        }
        return out;
    }
}
