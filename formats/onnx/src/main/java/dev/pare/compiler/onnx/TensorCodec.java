package dev.pare.compiler.onnx;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code TensorProto} to and from {@link TensorData}. Typed fields ({@code float_data},
 * {@code int32_data}, ...) are decoded into the canonical little-endian bytes and the storage form
 * is remembered in the {@link OnnxKeys#STORAGE} annotation, so the writer emits the same form.
 */
final class TensorCodec {

    /** Where raw_data placeholders and external files are resolved while reading. */
    interface Sources {
        /** The bytes of raw_data placeholder {@code index} (a view of the mapped file). */
        ByteBuffer rawRegion(int index);

        ExternalDataResolver external();
    }

    /** Where the writer puts tensor payloads. */
    interface Sink {
        /** Sets raw_data of {@code b} to the bytes of {@code data} (or a placeholder for them, or nothing). */
        void raw(TensorProto.Builder b, DenseData data);

        /** Stores an external tensor and sets its external_data entries (or inlines it). */
        void external(TensorProto.Builder b, DenseData data, List<StringStringEntryProto> extra);

        /**
         * Whether a tensor that is not external yet goes to external data: {@code storage} is the form
         * it was read with (null when a pass made it), {@code initializer} whether it is a graph
         * initializer (only those are moved).
         */
        default boolean toExternal(DenseData data, String storage, boolean initializer) { return false; }
    }

    /** Canonical form without any payload: used at read time to compute patches. */
    static final Sink NO_DATA = new Sink() {
        @Override public void raw(TensorProto.Builder b, DenseData data) {}

        @Override public void external(TensorProto.Builder b, DenseData data, List<StringStringEntryProto> extra) {
            b.setDataLocation(TensorProto.DataLocation.EXTERNAL);
        }
    };

    /** Everything inline as raw_data copies (in-memory models, e.g. for ONNX Runtime sessions). */
    static final Sink INLINE = new Sink() {
        @Override public void raw(TensorProto.Builder b, DenseData data) { b.setRawData(ByteString.copyFrom(data.bytes())); }

        @Override public void external(TensorProto.Builder b, DenseData data, List<StringStringEntryProto> extra) {
            b.setRawData(ByteString.copyFrom(data.bytes()));
        }
    };

    private TensorCodec() {}

    // ---- reading ---------------------------------------------------------------------------

    /**
     * Decodes {@code t}; {@code label} names it in errors (e.g. {@code initializer 'w'}). The
     * annotations hold everything needed to write it back, including a patch for what the IR
     * does not model.
     */
    static TensorData decode(TensorProto t, String label, Sources sources, boolean keepName) {
        DType dtype = dtype(t, label);
        long[] shape = new long[t.getDimsCount()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.getDims(i);
        long count = checkedCount(shape, label);
        TensorType type = TensorType.of(dtype, shape);
        Map<String, String> ann = new LinkedHashMap<>();
        if (keepName && t.hasName() && !t.getName().isEmpty()) ann.put(OnnxKeys.NAME, t.getName());
        if (t.hasDocString()) ann.put(OnnxKeys.DOC_STRING, t.getDocString());
        TensorData data;
        Set<Integer> ignored;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            data = decodeExternal(t, label, type, count, sources.external(), ann);
            ignored = Set.of(TensorProto.EXTERNAL_DATA_FIELD_NUMBER);
        } else if (dtype == DType.STRING) {
            if (t.getStringDataCount() != count) {
                throw new OnnxInputError(label + " has " + t.getStringDataCount() + " string_data values but shape "
                        + Arrays.toString(shape) + " needs " + count);
            }
            List<byte[]> elements = new ArrayList<>(t.getStringDataCount());
            for (ByteString s : t.getStringDataList()) elements.add(s.toByteArray());
            ann.put(OnnxKeys.STORAGE, "string_data");
            data = new StringData(type, elements, ann);
            ignored = Set.of();
        } else if (t.hasRawData()) {
            long need = byteSize(dtype, count, shape, label);
            ByteString raw = t.getRawData();
            int ph = WireSkeleton.placeholderIndex(raw);
            ByteBuffer bytes = ph >= 0 ? sources.rawRegion(ph) : raw.asReadOnlyByteBuffer();
            if (bytes.remaining() != need) {
                throw new OnnxInputError(label + " raw_data holds " + bytes.remaining() + " bytes but shape "
                        + Arrays.toString(shape) + " of " + dtype.shortName() + " needs " + need);
            }
            ann.put(OnnxKeys.STORAGE, OnnxKeys.RAW_DATA);
            data = TensorData.ofBuffer(type, bytes).withAnnotations(ann);
            ignored = Set.of(TensorProto.RAW_DATA_FIELD_NUMBER);
        } else {
            data = decodeTyped(t, label, type, shape, count, ann);
            ignored = Set.of();
        }
        String patch = ProtoPatch.diff(t, encode(data, keepName ? null : t.getName(), NO_DATA).build(), ignored);
        if (patch != null) {
            ann.put(OnnxKeys.PATCH, patch);
            data = data.withAnnotations(ann);
        }
        return data;
    }

    private static DType dtype(TensorProto t, String label) {
        Optional<DType> d = DType.fromOnnx(t.getDataType());
        if (!t.hasDataType() || d.isEmpty() || d.get() == DType.UNDEFINED) {
            throw new OnnxInputError(label + " has unsupported data_type " + t.getDataType());
        }
        return d.get();
    }

    /** Element count with overflow and sign checks, before anything is allocated. */
    static long checkedCount(long[] shape, String label) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new OnnxInputError(label + " has negative dimension " + d + " in shape " + Arrays.toString(shape));
        }
        try {
            for (long d : shape) n = Math.multiplyExact(n, d);
        } catch (ArithmeticException e) {
            throw overflow(shape, label);
        }
        return n;
    }

    /** The dense byte size of {@code shape}; an input error if a dimension is negative or the size overflows. */
    static long checkedByteSize(DType dtype, long[] shape, String label) {
        return byteSize(dtype, checkedCount(shape, label), shape, label);
    }

    private static long byteSize(DType dtype, long count, long[] shape, String label) {
        try {
            return dtype.byteSize(count);
        } catch (ArithmeticException e) {
            throw overflow(shape, label);
        }
    }

    private static OnnxInputError overflow(long[] shape, String label) {
        return new OnnxInputError(label + " declares shape " + Arrays.toString(shape) + " whose size overflows 64 bits");
    }

    private static TensorData decodeExternal(TensorProto t, String label, TensorType type, long count,
                                             ExternalDataResolver resolver, Map<String, String> ann) {
        if (type.dtype() == DType.STRING) throw new OnnxInputError(label + " is a string tensor with external data");
        long need = byteSize(type.dtype(), count, type.shape(), label);
        String location = null;
        String offsetText = null;
        String lengthText = null;
        TensorProto.Builder extra = TensorProto.newBuilder();
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location": location = e.getValue(); break;
                case "offset": offsetText = e.getValue(); break;
                case "length": lengthText = e.getValue(); break;
                default: extra.addExternalData(e);
            }
        }
        if (location == null) throw new OnnxInputError(label + " external data has no location");
        long offset = offsetText == null ? 0 : parseNonNegative(offsetText, label, "offset");
        long length = lengthText == null ? need : parseNonNegative(lengthText, label, "length");
        ExternalDataResolver.DataFile file = resolver.resolve(label, location);
        long end;
        try {
            end = Math.addExact(offset, length);
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
        }
        if (end > file.size()) {
            throw new OnnxInputError(label + " external data [offset " + offset + ", length " + length
                    + "] extends past the end of '" + location + "' (" + file.size() + " bytes)");
        }
        if (length != need) {
            throw new OnnxInputError(label + " external data length " + length + " does not match shape "
                    + Arrays.toString(type.shape()) + " of " + type.dtype().shortName() + " (" + need + " bytes)");
        }
        ann.put(OnnxKeys.STORAGE, OnnxKeys.EXTERNAL);
        ann.put(OnnxKeys.EXTERNAL_LOCATION, location);
        if (extra.getExternalDataCount() > 0) {
            ann.put(OnnxKeys.EXTERNAL_EXTRA, Base64.getEncoder().encodeToString(extra.build().toByteArray()));
        }
        return DenseData.ofFileRegion(type, file.realPath(), offset, length, ann);
    }

    private static long parseNonNegative(String text, String label, String key) {
        try {
            long v = Long.parseLong(text.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new OnnxInputError(label + " external data " + key + " '" + text + "' is not a non-negative integer");
    }

    /** The typed field that holds values of a dtype when raw_data is not used. */
    private static String typedField(DType d) {
        switch (d) {
            case FLOAT32: case COMPLEX64: return "float_data";
            case FLOAT64: case COMPLEX128: return "double_data";
            case INT64: return "int64_data";
            case UINT32: case UINT64: return "uint64_data";
            default: return "int32_data";
        }
    }

    private static TensorData decodeTyped(TensorProto t, String label, TensorType type, long[] shape, long count,
                                          Map<String, String> ann) {
        DType d = type.dtype();
        String field = typedField(d);
        long need = byteSize(d, count, shape, label);
        int entries;
        switch (field) {
            case "float_data": entries = t.getFloatDataCount(); break;
            case "double_data": entries = t.getDoubleDataCount(); break;
            case "int64_data": entries = t.getInt64DataCount(); break;
            case "uint64_data": entries = t.getUint64DataCount(); break;
            default: entries = t.getInt32DataCount();
        }
        long expected = expectedEntries(d, count);
        if (entries == 0 && count == 0 && noTypedData(t)) {
            ann.put(OnnxKeys.STORAGE, OnnxKeys.NONE);
            return TensorData.ofBuffer(type, ByteBuffer.allocate(0)).withAnnotations(ann);
        }
        if (entries != expected) {
            throw new OnnxInputError(label + " has " + entries + " " + field + " values but shape "
                    + Arrays.toString(shape) + " of " + d.shortName() + " needs " + expected);
        }
        ByteBuffer out = ByteBuffer.allocate((int) need).order(ByteOrder.LITTLE_ENDIAN);
        switch (field) {
            case "float_data": for (int i = 0; i < entries; i++) out.putFloat(t.getFloatData(i)); break;
            case "double_data": for (int i = 0; i < entries; i++) out.putDouble(t.getDoubleData(i)); break;
            case "int64_data": for (int i = 0; i < entries; i++) out.putLong(t.getInt64Data(i)); break;
            case "uint64_data":
                if (d == DType.UINT32) for (int i = 0; i < entries; i++) out.putInt((int) t.getUint64Data(i));
                else for (int i = 0; i < entries; i++) out.putLong(t.getUint64Data(i));
                break;
            default: {
                int width = d.isSubByte() ? 1 : d.bits() / 8;
                for (int i = 0; i < entries; i++) {
                    int v = t.getInt32Data(i);
                    if (width == 1) out.put((byte) v);
                    else if (width == 2) out.putShort((short) v);
                    else out.putInt(v);
                }
            }
        }
        ann.put(OnnxKeys.STORAGE, field);
        return TensorData.ofBuffer(type, out.flip()).withAnnotations(ann);
    }

    private static boolean noTypedData(TensorProto t) {
        return t.getFloatDataCount() == 0 && t.getInt32DataCount() == 0 && t.getInt64DataCount() == 0
                && t.getDoubleDataCount() == 0 && t.getUint64DataCount() == 0 && t.getStringDataCount() == 0;
    }

    private static long expectedEntries(DType d, long count) {
        if (d == DType.COMPLEX64 || d == DType.COMPLEX128) return count * 2;
        if (d.isSubByte()) return d.byteSize(count);
        return count;
    }

    // ---- writing ---------------------------------------------------------------------------

    /**
     * The {@code TensorProto} of {@code data}; {@code name} overrides the name annotation (the
     * value name of an initializer). Patches from reading are applied.
     */
    static TensorProto.Builder encode(TensorData data, String name, Sink sink) {
        return encode(data, name, sink, false);
    }

    /** As {@link #encode(TensorData, String, Sink)}; {@code initializer} lets the sink move the tensor to external data. */
    static TensorProto.Builder encode(TensorData data, String name, Sink sink, boolean initializer) {
        TensorProto.Builder b = TensorProto.newBuilder();
        for (long d : data.type().shape()) b.addDims(d);
        if (data.dtype().onnxCode() <= 0) {
            throw new IllegalArgumentException("element type " + data.dtype().shortName() + " has no ONNX equivalent");
        }
        b.setDataType(data.dtype().onnxCode());
        String n = name != null ? name : data.annotation(OnnxKeys.NAME);
        if (n != null && !n.isEmpty()) b.setName(n);
        String doc = data.annotation(OnnxKeys.DOC_STRING);
        if (doc != null) b.setDocString(doc);
        String storage = data.annotation(OnnxKeys.STORAGE);
        if (data instanceof StringData s) {
            for (int i = 0; i < s.size(); i++) b.addStringData(ByteString.copyFrom(s.element(i)));
        } else if (data instanceof DenseData dense) {
            if (OnnxKeys.EXTERNAL.equals(storage)) {
                sink.external(b, dense, externalExtra(data));
            } else if (dense.byteSize() > 0 && sink.toExternal(dense, storage, initializer)) {
                sink.external(b, dense, List.of());
            } else if (storage == null || OnnxKeys.RAW_DATA.equals(storage)) {
                sink.raw(b, dense);
            } else if (!OnnxKeys.NONE.equals(storage) || dense.byteSize() != 0) {
                encodeTyped(b, dense, storage);
            }
        } else {
            throw new IllegalArgumentException("sparse data cannot be a dense TensorProto");
        }
        return b;
    }

    /** Applies the read-time patch of {@code data} to {@code b}. */
    static TensorProto finish(TensorProto.Builder b, TensorData data) {
        ProtoPatch.apply(b, data.annotation(OnnxKeys.PATCH));
        return b.build();
    }

    private static List<StringStringEntryProto> externalExtra(TensorData data) {
        String extra = data.annotation(OnnxKeys.EXTERNAL_EXTRA);
        if (extra == null) return List.of();
        try {
            return TensorProto.parseFrom(Base64.getDecoder().decode(extra)).getExternalDataList();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed " + OnnxKeys.EXTERNAL_EXTRA + " annotation", e);
        }
    }

    private static void encodeTyped(TensorProto.Builder b, DenseData data, String storage) {
        DType d = data.dtype();
        String field = typedField(d);
        if (!field.equals(storage)) {
            // The annotation no longer fits (a pass changed the dtype): fall back to raw_data.
            b.setRawData(ByteString.copyFrom(data.bytes()));
            return;
        }
        ByteBuffer in = data.bytes();
        switch (field) {
            case "float_data": while (in.hasRemaining()) b.addFloatData(in.getFloat()); break;
            case "double_data": while (in.hasRemaining()) b.addDoubleData(in.getDouble()); break;
            case "int64_data": while (in.hasRemaining()) b.addInt64Data(in.getLong()); break;
            case "uint64_data":
                if (d == DType.UINT32) while (in.hasRemaining()) b.addUint64Data(in.getInt() & 0xFFFFFFFFL);
                else while (in.hasRemaining()) b.addUint64Data(in.getLong());
                break;
            default: {
                int width = d.isSubByte() ? 1 : d.bits() / 8;
                boolean signed = d == DType.INT8 || d == DType.INT16 || d == DType.INT32;
                while (in.hasRemaining()) {
                    int v;
                    if (width == 1) v = signed ? in.get() : in.get() & 0xFF;
                    else if (width == 2) v = signed ? in.getShort() : in.getShort() & 0xFFFF;
                    else v = in.getInt();
                    b.addInt32Data(v);
                }
            }
        }
    }
}
