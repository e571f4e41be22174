package dev.pare.compiler.onnx;

import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.OpaqueType;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code TypeProto} to and from IR types. Anything but a plain tensor type stays opaque. */
final class TypeCodec {

    static final String OPAQUE_FORMAT = "onnx";

    private TypeCodec() {}

    /** The IR type of {@code tp}; an empty {@code TypeProto} is an unknown tensor type. */
    static Type decode(TypeProto tp) {
        if (tp.getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET) return TensorType.unknown();
        if (tp.getValueCase() != TypeProto.ValueCase.TENSOR_TYPE) return opaque(tp);
        TypeProto.Tensor t = tp.getTensorType();
        DType dtype = DType.UNDEFINED;
        if (t.hasElemType()) {
            Optional<DType> d = DType.fromOnnx(t.getElemType());
            if (d.isEmpty()) return opaque(tp);
            dtype = d.get();
        }
        if (!t.hasShape()) return TensorType.unranked(dtype);
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
            if (d.hasDimValue()) {
                // -1 is not ONNX but exporters (Paddle) write it for "any size": an unknown dim, so that
                // the input keeps its element type and --input-shape can fix it
                dims.add(d.getDimValue() < 0 ? Dim.UNKNOWN : Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty() && !d.getDimParam().equals("?")) {
                // "?" (as Paddle writes it, and as ONNX tools print an unknown dim) names no size shared between dims
                dims.add(Dim.of(d.getDimParam()));
            } else {
                dims.add(Dim.UNKNOWN);
            }
        }
        return new TensorType(dtype, dims);
    }

    /** The canonical {@code TypeProto} of an IR type; null for the unknown tensor type (no type field). */
    static TypeProto encode(Type type) {
        if (type instanceof OpaqueType o) {
            try {
                return TypeProto.parseFrom(o.encoded());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("opaque type " + o + " is not an ONNX TypeProto", e);
            }
        }
        TensorType t = (TensorType) type;
        if (t.dtype() == DType.UNDEFINED && t.dims() == null) return null;
        TypeProto.Tensor.Builder tb = TypeProto.Tensor.newBuilder();
        if (t.dtype() != DType.UNDEFINED) {
            if (t.dtype().onnxCode() < 0) {
                throw new IllegalArgumentException("element type " + t.dtype().shortName() + " has no ONNX equivalent");
            }
            tb.setElemType(t.dtype().onnxCode());
        }
        if (t.dims() != null) {
            TensorShapeProto.Builder sb = TensorShapeProto.newBuilder();
            for (Dim d : t.dims()) {
                TensorShapeProto.Dimension.Builder db = sb.addDimBuilder();
                if (d instanceof Dim.Fixed f) db.setDimValue(f.size());
                else if (d instanceof Dim.Symbolic s) db.setDimParam(s.name());
            }
            tb.setShape(sb);
        }
        return TypeProto.newBuilder().setTensorType(tb).build();
    }

    private static OpaqueType opaque(TypeProto tp) {
        return new OpaqueType(OPAQUE_FORMAT, summary(tp), tp.toByteArray());
    }

    /** A short readable form, e.g. {@code seq(f32[*])} or {@code map(i64,f32[*])}. */
    static String summary(TypeProto tp) {
        switch (tp.getValueCase()) {
            case TENSOR_TYPE: {
                TypeProto.Tensor t = tp.getTensorType();
                return "tensor(" + dtypeName(t.getElemType()) + ")";
            }
            case SEQUENCE_TYPE: return "seq(" + summary(tp.getSequenceType().getElemType()) + ")";
            case OPTIONAL_TYPE: return "optional(" + summary(tp.getOptionalType().getElemType()) + ")";
            case MAP_TYPE: return "map(" + dtypeName(tp.getMapType().getKeyType()) + ","
                    + summary(tp.getMapType().getValueType()) + ")";
            case SPARSE_TENSOR_TYPE: return "sparse_tensor(" + dtypeName(tp.getSparseTensorType().getElemType()) + ")";
            case OPAQUE_TYPE: return "opaque(" + tp.getOpaqueType().getDomain() + "," + tp.getOpaqueType().getName() + ")";
            default: return "?";
        }
    }

    private static String dtypeName(int code) {
        return DType.fromOnnx(code).map(DType::shortName).orElse("type" + code);
    }
}
