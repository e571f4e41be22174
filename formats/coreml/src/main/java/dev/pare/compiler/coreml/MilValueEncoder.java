package dev.pare.compiler.coreml;

import com.google.protobuf.ByteString;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Dim;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Encodes IR types and tensors as MIL.proto types and values: what goes to weight.bin and what is
 * immediate follows coremltools' rule (ir/MIL_DIALECT.md, weight.bin), and immediate values use the TensorValue
 * field coremltools uses for the dtype (same section), so {@link MilValues} reads them back.
 */
final class MilValueEncoder {

    /** Dtypes whose constants of 10 or more elements go to weight.bin on every target. */
    private static final Set<DType> BLOB_TYPES = Set.of(DType.FLOAT16, DType.FLOAT32, DType.UINT8, DType.INT8,
            DType.INT4, DType.UINT1, DType.UINT2, DType.UINT3, DType.UINT4, DType.UINT6);
    /** Added to the blob dtypes from iOS18 on. */
    private static final Set<DType> BLOB_TYPES_IOS18 = Set.of(DType.INT16, DType.UINT16, DType.INT32, DType.UINT32);
    static final int BLOB_MIN_ELEMENTS = 10;

    private final CoreMlTarget target;
    private final BlobPlan blobs;

    MilValueEncoder(CoreMlTarget target, BlobPlan blobs) {
        this.target = target;
        this.blobs = blobs;
    }

    /** Whether a constant of {@code type} is stored in weight.bin for the target. */
    boolean usesBlob(TensorType type) {
        if (type.elementCount() < BLOB_MIN_ELEMENTS) return false;
        return BLOB_TYPES.contains(type.dtype()) || (target.atLeast(CoreMlTarget.IOS18) && BLOB_TYPES_IOS18.contains(type.dtype()));
    }

    /** The value for a constant: a weight.bin reference or an immediate tensor. */
    MilProto.Value value(TensorData data) {
        if (!(data instanceof StringData) && usesBlob(data.type())) {
            DenseData d = data instanceof DenseData dense ? dense : TensorData.ofBuffer(data.type(), data.bytes());
            long offset = blobs.add(d);
            return MilProto.Value.newBuilder().setType(valueType(d.type()))
                    .setBlobFileValue(MilProto.Value.BlobFileValue.newBuilder()
                            .setFileName(CoreMlExporter.WEIGHT_FILE_NAME).setOffset(offset))
                    .build();
        }
        return immediate(data);
    }

    static MilProto.Value immediate(TensorData data) {
        TensorType type = data.type();
        MilProto.TensorValue.Builder tv = MilProto.TensorValue.newBuilder();
        DType d = type.dtype();
        if (data instanceof StringData s) {
            MilProto.TensorValue.RepeatedStrings.Builder b = MilProto.TensorValue.RepeatedStrings.newBuilder();
            for (int i = 0; i < s.size(); i++) b.addValues(new String(s.element(i), StandardCharsets.UTF_8));
            tv.setStrings(b);
        } else {
            ByteBuffer buf = data.bytes();
            int n = Math.toIntExact(type.elementCount());
            switch (d) {
                case FLOAT32 -> {
                    MilProto.TensorValue.RepeatedFloats.Builder b = MilProto.TensorValue.RepeatedFloats.newBuilder();
                    for (int i = 0; i < n; i++) b.addValues(buf.getFloat(i * 4));
                    tv.setFloats(b);
                }
                case FLOAT64 -> {
                    MilProto.TensorValue.RepeatedDoubles.Builder b = MilProto.TensorValue.RepeatedDoubles.newBuilder();
                    for (int i = 0; i < n; i++) b.addValues(buf.getDouble(i * 8));
                    tv.setDoubles(b);
                }
                case INT16, UINT16, INT32 -> {
                    MilProto.TensorValue.RepeatedInts.Builder b = MilProto.TensorValue.RepeatedInts.newBuilder();
                    for (int i = 0; i < n; i++) {
                        b.addValues(d == DType.INT32 ? buf.getInt(i * 4)
                                : d == DType.INT16 ? buf.getShort(i * 2) : Short.toUnsignedInt(buf.getShort(i * 2)));
                    }
                    tv.setInts(b);
                }
                case INT64, UINT64 -> {
                    MilProto.TensorValue.RepeatedLongInts.Builder b = MilProto.TensorValue.RepeatedLongInts.newBuilder();
                    for (int i = 0; i < n; i++) b.addValues(buf.getLong(i * 8));
                    tv.setLongInts(b);
                }
                case BOOL -> {
                    MilProto.TensorValue.RepeatedBools.Builder b = MilProto.TensorValue.RepeatedBools.newBuilder();
                    for (int i = 0; i < n; i++) b.addValues(buf.get(i) != 0);
                    tv.setBools(b);
                }
                default -> tv.setBytes(MilProto.TensorValue.RepeatedBytes.newBuilder().setValues(ByteString.copyFrom(buf)));
            }
        }
        return MilProto.Value.newBuilder().setType(valueType(type))
                .setImmediateValue(MilProto.Value.ImmediateValue.newBuilder().setTensor(tv))
                .build();
    }

    /** A string scalar (op names, dtype names). */
    static MilProto.Value string(String s) {
        return MilProto.Value.newBuilder()
                .setType(MilProto.ValueType.newBuilder().setTensorType(
                        MilProto.TensorType.newBuilder().setDataType(MilProto.DataType.STRING).setRank(0)))
                .setImmediateValue(MilProto.Value.ImmediateValue.newBuilder().setTensor(MilProto.TensorValue.newBuilder()
                        .setStrings(MilProto.TensorValue.RepeatedStrings.newBuilder().addValues(s))))
                .build();
    }

    /**
     * The MIL type of an IR tensor type; fixed dimensions become constants, symbolic and unknown
     * ones unknown dimensions.
     *
     * @throws IllegalArgumentException for an unranked type or a dtype MIL lacks
     */
    static MilProto.ValueType valueType(TensorType type) {
        if (!type.hasRank()) throw new IllegalArgumentException("has unknown rank; Core ML needs every tensor's rank");
        MilProto.TensorType.Builder t = MilProto.TensorType.newBuilder().setDataType(dataType(type.dtype())).setRank(type.rank());
        for (Dim d : type.dims()) {
            MilProto.Dimension.Builder b = MilProto.Dimension.newBuilder();
            if (d instanceof Dim.Fixed f) {
                b.setConstant(MilProto.Dimension.ConstantDimension.newBuilder().setSize(f.size()));
            } else {
                b.setUnknown(MilProto.Dimension.UnknownDimension.newBuilder().setVariadic(false));
            }
            t.addDimensions(b);
        }
        return MilProto.ValueType.newBuilder().setTensorType(t).build();
    }

    /** @throws IllegalArgumentException for a dtype MIL has no type for */
    static MilProto.DataType dataType(DType d) {
        switch (d) {
            case BOOL: return MilProto.DataType.BOOL;
            case STRING: return MilProto.DataType.STRING;
            case FLOAT16: return MilProto.DataType.FLOAT16;
            case FLOAT32: return MilProto.DataType.FLOAT32;
            case FLOAT64: return MilProto.DataType.FLOAT64;
            case BFLOAT16: return MilProto.DataType.BFLOAT16;
            case INT8: return MilProto.DataType.INT8;
            case INT16: return MilProto.DataType.INT16;
            case INT32: return MilProto.DataType.INT32;
            case INT64: return MilProto.DataType.INT64;
            case INT4: return MilProto.DataType.INT4;
            case UINT8: return MilProto.DataType.UINT8;
            case UINT16: return MilProto.DataType.UINT16;
            case UINT32: return MilProto.DataType.UINT32;
            case UINT64: return MilProto.DataType.UINT64;
            case UINT4: return MilProto.DataType.UINT4;
            case UINT2: return MilProto.DataType.UINT2;
            case UINT1: return MilProto.DataType.UINT1;
            case UINT6: return MilProto.DataType.UINT6;
            case UINT3: return MilProto.DataType.UINT3;
            case FLOAT8E4M3FN: return MilProto.DataType.FLOAT8E4M3FN;
            case FLOAT8E5M2: return MilProto.DataType.FLOAT8E5M2;
            default: throw new IllegalArgumentException("has dtype " + d.shortName() + ", which Core ML MIL has no type for");
        }
    }
}
