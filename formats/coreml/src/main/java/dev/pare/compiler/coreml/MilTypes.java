package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorType;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Conversions between MIL.proto tensor types and IR tensor types. */
public final class MilTypes {

    private MilTypes() {}

    /** The IR dtype of a MIL data type, empty for UNUSED_TYPE or unrecognized codes. */
    public static Optional<DType> dtype(MilProto.DataType t) {
        switch (t) {
            case BOOL: return Optional.of(DType.BOOL);
            case STRING: return Optional.of(DType.STRING);
            case FLOAT16: return Optional.of(DType.FLOAT16);
            case FLOAT32: return Optional.of(DType.FLOAT32);
            case FLOAT64: return Optional.of(DType.FLOAT64);
            case BFLOAT16: return Optional.of(DType.BFLOAT16);
            case INT8: return Optional.of(DType.INT8);
            case INT16: return Optional.of(DType.INT16);
            case INT32: return Optional.of(DType.INT32);
            case INT64: return Optional.of(DType.INT64);
            case INT4: return Optional.of(DType.INT4);
            case UINT8: return Optional.of(DType.UINT8);
            case UINT16: return Optional.of(DType.UINT16);
            case UINT32: return Optional.of(DType.UINT32);
            case UINT64: return Optional.of(DType.UINT64);
            case UINT4: return Optional.of(DType.UINT4);
            case UINT2: return Optional.of(DType.UINT2);
            case UINT1: return Optional.of(DType.UINT1);
            case UINT6: return Optional.of(DType.UINT6);
            case UINT3: return Optional.of(DType.UINT3);
            case FLOAT8E4M3FN: return Optional.of(DType.FLOAT8E4M3FN);
            case FLOAT8E5M2: return Optional.of(DType.FLOAT8E5M2);
            default: return Optional.empty();
        }
    }

    /**
     * The IR type of a MIL tensor type: constant dimensions become fixed sizes, unknown ones
     * anonymous symbols.
     */
    public static TensorType tensorType(MilProto.TensorType t) {
        DType dtype = dtype(t.getDataType()).orElse(DType.UNDEFINED);
        List<Dim> dims = new ArrayList<>(t.getDimensionsCount());
        for (MilProto.Dimension d : t.getDimensionsList()) {
            dims.add(d.hasConstant() ? new Dim.Fixed(d.getConstant().getSize()) : Dim.UNKNOWN);
        }
        return new TensorType(dtype, dims);
    }
}
