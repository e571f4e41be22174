package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * weight.bin of a hand-checked case, byte by byte. The weight is W: f32[3, 5] palettized to
 * 4 bits (15 indices 8, 7, 6, ..., packed LSB-first: 60 bits = 8 bytes, 4 padding bits) with a
 * 16-entry f32 LUT [1, 1, 16, 1] (64 bytes), written for iOS18. The bias f32[3] has fewer than
 * 10 elements and stays immediate. Expected layout (ir/MIL_DIALECT.md, weight.bin):
 * <pre>
 *   0   header: count 2, version 2, reserved zeros
 *   64  metadata 0: 0xDEADBEEF, dtype UInt4 = 11, size 8, data offset 128, padding 4 bits
 *   128 indices: 0x78 0x56 0x34 0x12 0xF0 0xDE 0xBC 0x0A
 *   136 zeros up to 192
 *   192 metadata 1: 0xDEADBEEF, dtype Float32 = 2, size 64, data offset 256, padding 0
 *   256 lut (16 floats); file ends at 320
 * </pre>
 */
class WeightBinLayoutTest {

    @TempDir Path tmp;

    /** Indices 8, 7, 6, ..., 0, 15, 14, ... (descending mod 16). */
    private static long[] indices() {
        long[] v = new long[15];
        for (int i = 0; i < v.length; i++) v[i] = Math.floorMod(8 - i, 16);
        return v;
    }

    @Test
    void lutWeightBlobsAtHandComputedOffsets() throws Exception {
        MilGraphs g = new MilGraphs(5).target("ios18");
        TensorData idx = MilGraphs.packed(DType.UINT4, new long[]{3, 5}, indices());
        TensorData lut = MilGraphs.f32(new long[]{1, 1, 16, 1}, 16, -2f);
        Value w = g.lut("W", idx, lut, DType.FLOAT32, new long[]{3, 5}, null);
        g.linear(w, g.constant("b", TensorData.ofFloats(new long[]{3}, 0.5f, 1f, 1.5f)));
        Path out = tmp.resolve("tiny.mlpackage");
        LoweredCoreMl.write(g.model, out);

        byte[] bin = Files.readAllBytes(out.resolve("Data/com.apple.CoreML/weights/weight.bin"));
        ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(320, bin.length);
        // header
        assertEquals(2, b.getInt(0), "blob count");
        assertEquals(2, b.getInt(4), "storage version");
        for (int i = 8; i < 64; i++) assertEquals(0, bin[i], "header reserved byte " + i);
        // metadata 0: the indices
        assertEquals(0xDEADBEEF, b.getInt(64), "sentinel 0");
        assertEquals(11, b.getInt(68), "dtype UInt4");
        assertEquals(8, b.getLong(72), "sizeInBytes: 15 x 4 bits = 60 bits -> 8 bytes");
        assertEquals(128, b.getLong(80), "data offset");
        assertEquals(4, b.getLong(88), "padding_size_in_bits: 64 - 60");
        for (int i = 96; i < 128; i++) assertEquals(0, bin[i], "metadata 0 reserved byte " + i);
        // data 0: two indices per byte, the first in the low nibble
        assertEquals((byte) 0x78, bin[128], "indices 8, 7");
        byte[] expected = {0x78, 0x56, 0x34, 0x12, (byte) 0xF0, (byte) 0xDE, (byte) 0xBC, 0x0A};
        for (int i = 0; i < 8; i++) assertEquals(expected[i], bin[128 + i], "index byte " + i);
        for (int i = 136; i < 192; i++) assertEquals(0, bin[i], "alignment padding byte " + i);
        // metadata 1: the LUT, on the next 64-byte boundary
        assertEquals(0xDEADBEEF, b.getInt(192), "sentinel 1");
        assertEquals(2, b.getInt(196), "dtype Float32");
        assertEquals(64, b.getLong(200), "sizeInBytes");
        assertEquals(256, b.getLong(208), "data offset");
        assertEquals(0, b.getLong(216), "padding bits");
        for (int i = 0; i < 16; i++) assertEquals(-2f + i * 0.25f, b.getFloat(256 + 4 * i), "lut entry " + i);

        // model.mlmodel points at the metadata records, not at the data
        MlPackage pkg = MlPackage.read(out);
        MilProto.Operation op = pkg.program().getFunctionsOrThrow("main").getBlockSpecializationsOrThrow("CoreML8").getOperations(0);
        assertEquals("constexpr_lut_to_dense", op.getType());
        MilProto.Value indicesValue = op.getInputsOrThrow("indices").getArguments(0).getValue();
        MilProto.Value lutValue = op.getInputsOrThrow("lut").getArguments(0).getValue();
        assertEquals("@model_path/weights/weight.bin", indicesValue.getBlobFileValue().getFileName());
        assertEquals(64, indicesValue.getBlobFileValue().getOffset());
        assertEquals(192, lutValue.getBlobFileValue().getOffset());
        // and the reader gets the same tensors back
        assertEquals(idx.sha256(), pkg.blobValue(indicesValue).sha256());
        assertEquals(lut.sha256(), pkg.blobValue(lutValue).sha256());
    }
}
