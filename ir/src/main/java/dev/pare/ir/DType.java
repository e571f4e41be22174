package dev.pare.ir;

import java.util.Arrays;
import java.util.Optional;

/**
 * Element types. Sub-byte types are packed LSB-first: element {@code i} occupies bits
 * {@code [i*bits, (i+1)*bits)} of the little-endian bit stream, so for 4-bit types element 0
 * is the low nibble of byte 0 (the ONNX int4/uint4 and Core ML blob rule).
 */
public enum DType {
    UNDEFINED("?", 0, 0),
    FLOAT32("f32", 1, 32),
    UINT8("u8", 2, 8),
    INT8("i8", 3, 8),
    UINT16("u16", 4, 16),
    INT16("i16", 5, 16),
    INT32("i32", 6, 32),
    INT64("i64", 7, 64),
    STRING("str", 8, 0),
    BOOL("bool", 9, 8),
    FLOAT16("f16", 10, 16),
    FLOAT64("f64", 11, 64),
    UINT32("u32", 12, 32),
    UINT64("u64", 13, 64),
    COMPLEX64("c64", 14, 64),
    COMPLEX128("c128", 15, 128),
    BFLOAT16("bf16", 16, 16),
    FLOAT8E4M3FN("f8e4m3fn", 17, 8),
    FLOAT8E4M3FNUZ("f8e4m3fnuz", 18, 8),
    FLOAT8E5M2("f8e5m2", 19, 8),
    FLOAT8E5M2FNUZ("f8e5m2fnuz", 20, 8),
    UINT4("u4", 21, 4),
    INT4("i4", 22, 4),
    FLOAT4E2M1("f4e2m1", 23, 4),
    FLOAT8E8M0("f8e8m0", 24, 8),
    UINT2("u2", 25, 2),
    INT2("i2", 26, 2),
    // Core ML palettization index types; no ONNX code.
    UINT1("u1", -1, 1),
    UINT3("u3", -1, 3),
    UINT6("u6", -1, 6);

    private final String shortName;
    private final int onnxCode;
    private final int bits;

    DType(String shortName, int onnxCode, int bits) {
        this.shortName = shortName;
        this.onnxCode = onnxCode;
        this.bits = bits;
    }

    /** Short name used by the IR printer, e.g. {@code f32}, {@code i4}. */
    public String shortName() { return shortName; }

    /** ONNX {@code TensorProto.DataType} code, or -1 if ONNX has none. */
    public int onnxCode() { return onnxCode; }

    /** Bits per element (0 for strings and undefined). */
    public int bits() { return bits; }

    public boolean isSubByte() { return bits > 0 && bits < 8; }

    public boolean isFloatingPoint() {
        return switch (this) {
            case FLOAT32, FLOAT16, FLOAT64, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2,
                 FLOAT8E5M2FNUZ, FLOAT4E2M1, FLOAT8E8M0 -> true;
            default -> false;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64, UINT4, INT4, UINT2, INT2,
                 UINT1, UINT3, UINT6 -> true;
            default -> false;
        };
    }

    public boolean isSigned() {
        return switch (this) {
            case INT8, INT16, INT32, INT64, INT4, INT2 -> true;
            default -> isFloatingPoint();
        };
    }

    /**
     * Bytes needed for {@code elements} values, sub-byte types rounded up to whole bytes.
     *
     * @throws ArithmeticException if the size does not fit in a long
     */
    public long byteSize(long elements) {
        if (bits == 0) {
            throw new IllegalStateException("dtype " + shortName + " has no fixed byte size");
        }
        long totalBits = Math.multiplyExact(elements, (long) bits);
        return Math.addExact(totalBits, 7) / 8;
    }

    public static Optional<DType> fromOnnx(int code) {
        if (code < 0) return Optional.empty();
        return Arrays.stream(values()).filter(d -> d.onnxCode == code).findFirst();
    }

    public static Optional<DType> fromShortName(String s) {
        return Arrays.stream(values()).filter(d -> d.shortName.equals(s)).findFirst();
    }
}
