package dev.pare.compiler.coreml;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.spi.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Hostile packages: a fixture copied to a temporary folder and damaged one way each. Every error
 * is one line naming the file, the op and the field.
 */
class CoreMlImporterErrorsTest {

    @TempDir Path tmp;

    /** block_fp32_ios18: first op is const fc1_weight_0, f32[256,64], blob at metadata offset 64. */
    private Path copy() throws IOException {
        Path src = CoreMlFixtures.PACKAGES.get(9).path();
        Path dst = tmp.resolve("block.mlpackage");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to); else Files.copy(p, to);
            }
        }
        return dst;
    }

    private static Path modelFile(Path pkg) {
        return pkg.resolve("Data/com.apple.CoreML/model.mlmodel").toAbsolutePath().normalize();
    }

    private static Path weightFile(Path pkg) {
        return pkg.resolve("Data/com.apple.CoreML/weights/weight.bin").toAbsolutePath().normalize();
    }

    private static void editModel(Path pkg, UnaryOperator<CoreMlModelProto.Model> edit) throws IOException {
        CoreMlModelProto.Model m = CoreMlModelProto.Model.parseFrom(Files.readAllBytes(modelFile(pkg)));
        Files.write(modelFile(pkg), edit.apply(m).toByteArray());
    }

    /** Replaces op {@code index} of main's block. */
    private static CoreMlModelProto.Model withOp(CoreMlModelProto.Model m, int index,
                                                  UnaryOperator<MilProto.Operation> edit) {
        MilProto.Program.Builder program = m.getMlProgram().toBuilder();
        MilProto.Function.Builder fn = program.getFunctionsOrThrow("main").toBuilder();
        String opset = fn.getOpset();
        MilProto.Block.Builder block = fn.getBlockSpecializationsOrThrow(opset).toBuilder();
        block.setOperations(index, edit.apply(block.getOperations(index)));
        fn.putBlockSpecializations(opset, block.build());
        program.putFunctions("main", fn.build());
        return m.toBuilder().setMlProgram(program).build();
    }

    private static void patchWeights(Path pkg, long at, int value) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(weightFile(pkg).toFile(), "rw")) {
            f.seek(at);
            f.write(new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)});
        }
    }

    private static String message(Path pkg) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new CoreMlFormat().read(pkg));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void neuralNetworkModelIsRefusedWithAHint() throws Exception {
        Path file = tmp.resolve("old.mlmodel");
        CoreMlModelProto.Model nn = CoreMlModelProto.Model.newBuilder().setSpecificationVersion(4)
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(500, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.EMPTY).build()).build())
                .build();
        Files.write(file, nn.toByteArray());
        assertEquals(file.toAbsolutePath() + ": is a neuralNetwork model (specificationVersion 4); Pare needs an "
                + "ML Program (convert with coremltools using convert_to=\"mlprogram\")", message(file));
    }

    @Test
    void otherModelTypesAreNamed() throws Exception {
        Path file = tmp.resolve("pipe.mlmodel");
        Files.write(file, CoreMlModelProto.Model.newBuilder().setSpecificationVersion(4)
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(202, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.EMPTY).build()).build()).build().toByteArray());
        assertEquals(file.toAbsolutePath() + ": is a pipeline model; Pare reads only ML Programs", message(file));
    }

    @Test
    void manifestPathLeavingThePackage() throws Exception {
        Path pkg = copy();
        Path manifest = pkg.resolve("Manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"com.apple.CoreML/model.mlmodel\"",
                "\"../../model.mlmodel\""));
        assertEquals(manifest + ": entry " + rootId(manifest) + " path \"../../model.mlmodel\" leaves the package folder "
                + pkg.resolve("Data").toAbsolutePath().normalize(), message(pkg));
    }

    private static String rootId(Path manifest) throws IOException {
        @SuppressWarnings("unchecked")
        java.util.Map<String, Object> m = (java.util.Map<String, Object>) JsonValues.parse(Files.readString(manifest));
        return (String) m.get("rootModelIdentifier");
    }

    @Test
    void blobOffsetBeyondTheFile() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withOp(m, 0, op -> {
            MilProto.Value val = op.getAttributesOrThrow("val");
            return op.toBuilder().putAttributes("val", val.toBuilder()
                    .setBlobFileValue(val.getBlobFileValue().toBuilder().setOffset(1 << 20)).build()).build();
        }));
        long size = Files.size(weightFile(pkg));
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': blob metadata at offset 1048576 "
                + "lies outside the blob area [64, " + size + ")", message(pkg));
    }

    @Test
    void blobSizeBeyondTheFile() throws Exception {
        Path pkg = copy();
        patchWeights(pkg, 64 + 8, 1 << 30);
        long size = Files.size(weightFile(pkg));
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': blob at offset 64 has size "
                + (1 << 30) + " at data offset 128 beyond the file end (" + size + " bytes)", message(pkg));
    }

    @Test
    void wrongSentinel() throws Exception {
        Path pkg = copy();
        patchWeights(pkg, 64, 0x12345678);
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': blob metadata at offset 64 has "
                + "sentinel 0x12345678, expected 0xDEADBEEF", message(pkg));
    }

    @Test
    void blobDTypeDisagreesWithTheOp() throws Exception {
        Path pkg = copy();
        patchWeights(pkg, 64 + 4, BlobDataType.FLOAT16.code());
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': blob at offset 64 holds FLOAT16 "
                + "but the program declares f32[256,64]", message(pkg));
    }

    @Test
    void constValueDisagreesWithItsOutputType() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withOp(m, 0, op -> {
            MilProto.NamedValueType out = op.getOutputs(0);
            MilProto.TensorType.Builder t = out.getType().getTensorType().toBuilder();
            t.setDimensions(0, MilProto.Dimension.newBuilder()
                    .setConstant(MilProto.Dimension.ConstantDimension.newBuilder().setSize(128)));
            return op.toBuilder().setOutputs(0, out.toBuilder().setType(MilProto.ValueType.newBuilder().setTensorType(t)))
                    .build();
        }));
        assertEquals(modelFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': holds f32[256,64] but the op "
                + "declares output 'fc1_weight_0' as f32[128,64]", message(pkg));
    }

    /** Gives the blob value of op 0 (and its output) the shape {@code dims}. */
    private static CoreMlModelProto.Model withValueShape(CoreMlModelProto.Model m, long... dims) {
        return withOp(m, 0, op -> {
            MilProto.Value val = op.getAttributesOrThrow("val");
            MilProto.TensorType.Builder t = val.getType().getTensorType().toBuilder().clearDimensions().setRank(dims.length);
            for (long d : dims) {
                t.addDimensions(MilProto.Dimension.newBuilder().setConstant(MilProto.Dimension.ConstantDimension.newBuilder().setSize(d)));
            }
            MilProto.ValueType type = MilProto.ValueType.newBuilder().setTensorType(t).build();
            return op.toBuilder().putAttributes("val", val.toBuilder().setType(type).build())
                    .setOutputs(0, op.getOutputs(0).toBuilder().setType(type)).build();
        });
    }

    @Test
    void negativeDimension() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withValueShape(m, 256, -64));
        assertEquals(modelFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': has negative dimension -64 in shape [256, -64]",
                message(pkg));
    }

    @Test
    void shapeWhoseSizeOverflows() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withValueShape(m, 1L << 32, 1L << 32, 16));
        assertEquals(modelFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': declares shape "
                + "[4294967296, 4294967296, 16] whose size overflows 64 bits", message(pkg));
    }

    @Test
    void blobDeclaringMoreThanItHolds() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withValueShape(m, 40000, 40000));
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': blob at offset 64 holds 65536 bytes "
                + "but f32[40000,40000] needs 6400000000", message(pkg));
    }

    @Test
    void blocksNestedTooDeep() throws Exception {
        Path pkg = copy();
        MilProto.Block block = MilProto.Block.newBuilder().build();
        for (int i = 0; i < 60; i++) {
            block = MilProto.Block.newBuilder().addOperations(MilProto.Operation.newBuilder().setType("cond").addBlocks(block)).build();
        }
        MilProto.Block deep = block;
        editModel(pkg, m -> withOp(m, 0, op -> op.toBuilder().addBlocks(deep).build()));
        assertEquals(modelFile(pkg) + ": not a Core ML Model protobuf: messages nest deeper than the protobuf limit of 100 (nested blocks)",
                message(pkg));
    }

    @Test
    void truncatedProtobuf() throws Exception {
        Path pkg = copy();
        byte[] bytes = Files.readAllBytes(modelFile(pkg));
        Files.write(modelFile(pkg), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        String m = message(pkg);
        assertEquals(modelFile(pkg) + ": not a Core ML Model protobuf: While parsing a protocol message, the input "
                + "ended unexpectedly in the middle of a field.  This could mean either that the input has been "
                + "truncated or that an embedded message misreported its own length.", m);
    }

    @Test
    void missingWeightFile() throws Exception {
        Path pkg = copy();
        Files.delete(weightFile(pkg));
        assertEquals(weightFile(pkg) + ": op 'fc1_weight_0' (const) attribute 'val': weight file is missing "
                + "(named @model_path/weights/weight.bin)", message(pkg));
    }

    @Test
    void programVersionOtherThanOne() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> m.toBuilder().setMlProgram(m.getMlProgram().toBuilder().setVersion(2)).build());
        assertEquals(modelFile(pkg) + ": field mlProgram.version: ML Program version 2 is not supported; expected 1",
                message(pkg));
    }

    @Test
    void unknownValueReference() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> withOp(m, 2, op -> op.toBuilder().putInputs("x", MilProto.Argument.newBuilder()
                .addArguments(MilProto.Argument.Binding.newBuilder().setName("nowhere")).build()).build()));
        assertEquals(modelFile(pkg) + ": op 'fc1' (linear) input 'x': refers to unknown value 'nowhere'", message(pkg));
    }

    @Test
    void blockOutputNamingNoValue() throws Exception {
        Path pkg = copy();
        editModel(pkg, m -> {
            MilProto.Program.Builder program = m.getMlProgram().toBuilder();
            MilProto.Function.Builder fn = program.getFunctionsOrThrow("main").toBuilder();
            MilProto.Block.Builder block = fn.getBlockSpecializationsOrThrow(fn.getOpset()).toBuilder();
            block.setOutputs(0, "gone");
            fn.putBlockSpecializations(fn.getOpset(), block.build());
            return m.toBuilder().setMlProgram(program.putFunctions("main", fn.build())).build();
        });
        assertEquals(modelFile(pkg) + ": block 'main' outputs: names unknown value 'gone'", message(pkg));
    }
}
