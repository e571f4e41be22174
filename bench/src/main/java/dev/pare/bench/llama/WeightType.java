package dev.pare.bench.llama;

import java.util.Locale;

/** The float type of generated weights and activations, with its ONNX data type number. */
public enum WeightType {
    FP16(10, 2),
    FP32(1, 4);

    final int onnxType;
    final int bytes;

    WeightType(int onnxType, int bytes) {
        this.onnxType = onnxType;
        this.bytes = bytes;
    }

    public static WeightType parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "fp16", "float16" -> FP16;
            case "fp32", "float32", "float" -> FP32;
            default -> throw new IllegalArgumentException("--dtype must be fp16 or fp32, got '" + s + "'");
        };
    }

    /**
     * IEEE 754 binary16 bits of {@code f}, rounded to nearest even (Java 17 has no
     * {@code Float.floatToFloat16}).
     */
    static short toHalf(float f) {
        int b = Float.floatToRawIntBits(f);
        int sign = (b >>> 16) & 0x8000;
        int abs = b & 0x7fffffff;
        if (abs >= 0x7f800000) return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00);   // >= 65520 rounds to infinity
        if (abs < 0x38800000) {                                  // below 2^-14: a subnormal half or 0
            if (abs < 0x33000000) return (short) sign;           // below 2^-25, or a tie to 0
            int e = abs >>> 23;
            int m = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - e;
            int q = m >>> shift;
            int r = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (r > halfway || (r == halfway && (q & 1) != 0)) q++;
            return (short) (sign | q);
        }
        int h = (abs - 0x38000000) >>> 13;                       // rebias the exponent from 127 to 15
        int r = abs & 0x1fff;
        if (r > 0x1000 || (r == 0x1000 && (h & 1) != 0)) h++;
        return (short) (sign | h);
    }
}
