package dev.pare.passes.mil;

import dev.pare.ir.DType;

/** Element types MIL tensors can have, and the MIL dtype strings {@code cast} takes. */
final class MilDTypes {

    private MilDTypes() {}

    /** The MIL element type an ONNX value of this dtype becomes (MIL has no int64 or float64 tensors). */
    static DType milOf(DType d) {
        return switch (d) {
            case INT64, UINT32, UINT64, INT16, UINT16 -> DType.INT32;
            case FLOAT64 -> DType.FLOAT32;
            default -> d;
        };
    }

    /** Whether MIL tensors (and so convert_to_mil results) may have this element type. */
    static boolean isMil(DType d) {
        return switch (d) {
            case FLOAT32, FLOAT16, INT32, BOOL, INT8, UINT8, STRING -> true;
            default -> false;
        };
    }

    /** The {@code dtype} string of mil.cast. */
    static String milName(DType d) {
        return switch (d) {
            case FLOAT32 -> "fp32";
            case FLOAT16 -> "fp16";
            case INT32 -> "int32";
            case BOOL -> "bool";
            case INT8 -> "int8";
            case UINT8 -> "uint8";
            default -> throw new IllegalArgumentException("MIL cast has no dtype " + d.shortName());
        };
    }

    static DType fromMilName(String s) {
        return switch (s) {
            case "fp32" -> DType.FLOAT32;
            case "fp16" -> DType.FLOAT16;
            case "int32" -> DType.INT32;
            case "bool" -> DType.BOOL;
            case "int8" -> DType.INT8;
            case "uint8" -> DType.UINT8;
            default -> throw new IllegalArgumentException("unknown MIL dtype '" + s + "'");
        };
    }
}
