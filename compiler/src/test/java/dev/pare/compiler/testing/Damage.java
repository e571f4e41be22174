package dev.pare.compiler.testing;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded damage to a file's bytes for reader fuzz tests; what was done is appended to a description. */
public final class Damage {

    private Damage() {}

    /**
     * 1-4 changed bytes (random or one flipped bit), a cut, or 1-8 inserted bytes. With {@code headBytes}
     * > 0, half of the byte changes fall in the first {@code headBytes} bytes (headers, records).
     */
    public static byte[] apply(byte[] in, SplittableRandom r, StringBuilder what, int headBytes) {
        int kind = r.nextInt(4);
        int limit = headBytes > 0 && r.nextBoolean() ? Math.min(in.length, headBytes) : in.length;
        if (kind == 0) {
            int at = r.nextInt(in.length);
            what.append(" cut at ").append(at);
            return Arrays.copyOf(in, at);
        }
        if (kind == 1) {
            int at = r.nextInt(in.length);
            int n = 1 + r.nextInt(8);
            byte[] out = new byte[in.length + n];
            System.arraycopy(in, 0, out, 0, at);
            for (int i = 0; i < n; i++) out[at + i] = (byte) r.nextInt(256);
            System.arraycopy(in, at, out, at + n, in.length - at);
            what.append(" ").append(n).append(" bytes inserted at ").append(at);
            return out;
        }
        byte[] out = in.clone();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            int at = r.nextInt(limit);
            int v = kind == 2 ? r.nextInt(256) : out[at] ^ (1 << r.nextInt(8));
            what.append(" byte ").append(at).append(" 0x").append(Integer.toHexString(out[at] & 0xFF)).append("->0x")
                    .append(Integer.toHexString(v & 0xFF));
            out[at] = (byte) v;
        }
        return out;
    }
}
