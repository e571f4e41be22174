package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.spi.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes MIL immediate tensor values into IR tensor data. Which TensorValue field carries a
 * dtype follows coremltools' writer: fp32 in floats, fp64 in doubles, int16/uint16/int32 in ints,
 * int64/uint64 in longInts, bool in bools, string in strings, and every other type (fp16, 8-bit,
 * sub-byte, uint32) as raw little-endian bytes, sub-byte values packed LSB-first.
 */
public final class MilValues {

    private MilValues() {}

    /** The immediate tensor in {@code value}; {@code modelFile} names the file in errors. */
    public static TensorData immediate(MilProto.Value value, Path modelFile) throws ModelFormatException {
        if (!value.hasImmediateValue() || !value.getImmediateValue().hasTensor()) {
            throw new ModelFormatException(modelFile, "value is not an immediate tensor (" + value.getValueCase() + ")");
        }
        if (!value.getType().hasTensorType()) {
            throw new ModelFormatException(modelFile, "immediate value has no tensor type");
        }
        TensorType type = MilTypes.tensorType(value.getType().getTensorType());
        if (!type.isStatic()) {
            throw new ModelFormatException(modelFile, "immediate value of type " + type + " has no static shape");
        }
        MilProto.TensorValue tv = value.getImmediateValue().getTensor();
        long n = type.elementCount();
        DType d = type.dtype();
        if (d == DType.STRING) {
            List<byte[]> elements = new ArrayList<>();
            for (String s : need(tv, MilProto.TensorValue.ValueCase.STRINGS, type, modelFile).getStrings().getValuesList()) {
                elements.add(s.getBytes(StandardCharsets.UTF_8));
            }
            count(elements.size(), n, type, modelFile);
            return new StringData(type, elements, java.util.Map.of());
        }
        ByteBuffer out;
        if (d == DType.FLOAT32) {
            List<Float> v = need(tv, MilProto.TensorValue.ValueCase.FLOATS, type, modelFile).getFloats().getValuesList();
            count(v.size(), n, type, modelFile);
            out = allocate(v.size() * 4L);
            for (float f : v) out.putFloat(f);
        } else if (d == DType.FLOAT64) {
            List<Double> v = need(tv, MilProto.TensorValue.ValueCase.DOUBLES, type, modelFile).getDoubles().getValuesList();
            count(v.size(), n, type, modelFile);
            out = allocate(v.size() * 8L);
            for (double f : v) out.putDouble(f);
        } else if (d == DType.INT16 || d == DType.UINT16 || d == DType.INT32) {
            List<Integer> v = need(tv, MilProto.TensorValue.ValueCase.INTS, type, modelFile).getInts().getValuesList();
            count(v.size(), n, type, modelFile);
            out = allocate(v.size() * (long) (d.bits() / 8));
            for (int i : v) {
                if (d == DType.INT32) out.putInt(i); else out.putShort((short) i);
            }
        } else if (d == DType.INT64 || d == DType.UINT64) {
            List<Long> v = need(tv, MilProto.TensorValue.ValueCase.LONGINTS, type, modelFile).getLongInts().getValuesList();
            count(v.size(), n, type, modelFile);
            out = allocate(v.size() * 8L);
            for (long l : v) out.putLong(l);
        } else if (d == DType.BOOL) {
            List<Boolean> v = need(tv, MilProto.TensorValue.ValueCase.BOOLS, type, modelFile).getBools().getValuesList();
            count(v.size(), n, type, modelFile);
            out = allocate(v.size());
            for (boolean b : v) out.put((byte) (b ? 1 : 0));
        } else if (type.byteSize().isPresent()) {
            byte[] raw = need(tv, MilProto.TensorValue.ValueCase.BYTES, type, modelFile).getBytes().getValues().toByteArray();
            long expected = type.byteSize().getAsLong();
            if (raw.length != expected) {
                throw new ModelFormatException(modelFile, "immediate value of type " + type + " holds " + raw.length
                        + " bytes; expected " + expected);
            }
            return TensorData.of(type, raw);
        } else {
            throw new ModelFormatException(modelFile, "immediate value has unsupported type " + type);
        }
        return TensorData.ofBuffer(type, out.flip());
    }

    private static MilProto.TensorValue need(MilProto.TensorValue tv, MilProto.TensorValue.ValueCase field,
                                             TensorType type, Path modelFile) throws ModelFormatException {
        if (tv.getValueCase() != field) {
            throw new ModelFormatException(modelFile, "immediate value of type " + type + " is stored in "
                    + tv.getValueCase() + "; expected " + field);
        }
        return tv;
    }

    private static void count(long actual, long expected, TensorType type, Path modelFile) throws ModelFormatException {
        if (actual != expected) {
            throw new ModelFormatException(modelFile, "immediate value of type " + type + " holds " + actual
                    + " elements; expected " + expected);
        }
    }

    private static ByteBuffer allocate(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
