package dev.pare.compiler.coreml;

import dev.pare.ir.DType;

import java.util.Optional;

/** The element type codes of weight.bin blob metadata (MIL blob storage v2). */
public enum BlobDataType {
    FLOAT16(1, DType.FLOAT16),
    FLOAT32(2, DType.FLOAT32),
    UINT8(3, DType.UINT8),
    INT8(4, DType.INT8),
    BFLOAT16(5, DType.BFLOAT16),
    INT16(6, DType.INT16),
    UINT16(7, DType.UINT16),
    INT4(8, DType.INT4),
    UINT1(9, DType.UINT1),
    UINT2(10, DType.UINT2),
    UINT4(11, DType.UINT4),
    UINT3(12, DType.UINT3),
    UINT6(13, DType.UINT6),
    INT32(14, DType.INT32),
    UINT32(15, DType.UINT32),
    FLOAT8E4M3FN(16, DType.FLOAT8E4M3FN),
    FLOAT8E5M2(17, DType.FLOAT8E5M2);

    private final int code;
    private final DType dtype;

    BlobDataType(int code, DType dtype) {
        this.code = code;
        this.dtype = dtype;
    }

    public int code() { return code; }

    public DType dtype() { return dtype; }

    public static Optional<BlobDataType> fromCode(long code) {
        for (BlobDataType t : values()) if (t.code == code) return Optional.of(t);
        return Optional.empty();
    }

    public static Optional<BlobDataType> of(DType dtype) {
        for (BlobDataType t : values()) if (t.dtype == dtype) return Optional.of(t);
        return Optional.empty();
    }
}
