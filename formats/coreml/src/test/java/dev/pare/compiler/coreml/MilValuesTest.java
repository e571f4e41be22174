package dev.pare.compiler.coreml;

import com.google.protobuf.ByteString;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MilValuesTest {

    private static final Path FILE = Path.of("m.mlmodel");

    private static MilProto.Value value(MilProto.DataType dt, long[] shape, MilProto.TensorValue tv) {
        MilProto.TensorType.Builder t = MilProto.TensorType.newBuilder().setDataType(dt).setRank(shape.length);
        for (long s : shape) {
            t.addDimensions(MilProto.Dimension.newBuilder()
                    .setConstant(MilProto.Dimension.ConstantDimension.newBuilder().setSize(s)));
        }
        return MilProto.Value.newBuilder()
                .setType(MilProto.ValueType.newBuilder().setTensorType(t))
                .setImmediateValue(MilProto.Value.ImmediateValue.newBuilder().setTensor(tv))
                .build();
    }

    private static MilProto.TensorValue bytes(byte... b) {
        return MilProto.TensorValue.newBuilder()
                .setBytes(MilProto.TensorValue.RepeatedBytes.newBuilder().setValues(ByteString.copyFrom(b))).build();
    }

    @Test
    void packedUint3AndScalarInt32Decode() throws Exception {
        byte[] packed = SubByte.pack(DType.UINT3, new long[] {1, 7, 2, 5});
        TensorData u3 = MilValues.immediate(value(MilProto.DataType.UINT3, new long[] {4}, bytes(packed)), FILE);
        assertEquals("u3[4]", u3.type().toString());
        assertEquals(2, SubByte.get(u3.bytes(), DType.UINT3, 2));
        MilProto.TensorValue ints = MilProto.TensorValue.newBuilder()
                .setInts(MilProto.TensorValue.RepeatedInts.newBuilder().addValues(-3)).build();
        TensorData s = MilValues.immediate(value(MilProto.DataType.INT32, new long[0], ints), FILE);
        assertEquals(-3, s.bytes().getInt(0));
    }

    @Test
    void wrongFieldAndWrongLengthAreOneLineErrors() {
        MilProto.TensorValue floats = MilProto.TensorValue.newBuilder()
                .setFloats(MilProto.TensorValue.RepeatedFloats.newBuilder().addValues(1f)).build();
        assertEquals("m.mlmodel: immediate value of type i32[] is stored in FLOATS; expected INTS",
                BlobFileTest.message(() -> MilValues.immediate(value(MilProto.DataType.INT32, new long[0], floats), FILE)));
        assertEquals("m.mlmodel: immediate value of type f16[2] holds 3 bytes; expected 4",
                BlobFileTest.message(() -> MilValues.immediate(
                        value(MilProto.DataType.FLOAT16, new long[] {2}, bytes((byte) 1, (byte) 2, (byte) 3)), FILE)));
        assertEquals("m.mlmodel: immediate value of type f32[3] holds 1 elements; expected 3",
                BlobFileTest.message(() -> MilValues.immediate(value(MilProto.DataType.FLOAT32, new long[] {3}, floats), FILE)));
    }
}
