package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.floats;
import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.testing.TestModels;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken or malicious files give one-line errors that name the file and the problem. */
class OnnxHostileInputTest {

    @TempDir Path tmp;

    private static String readError(Path file) {
        return assertThrows(ModelFormatException.class, () -> new OnnxFormat().read(file)).getMessage();
    }

    /** A model whose only initializer is {@code w}, used by node 'use'. */
    private Path withInitializer(TensorProto w) throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInitializer(w)
                .addNode(node("use", "Identity", List.of("w"), List.of("y")))
                .addOutput(tensorInfo("y", 1))).build();
        return Protos.save(m, tmp.resolve("model.onnx"));
    }

    private Path withExternal(String location, long offset, long length) throws Exception {
        return withInitializer(ExternalModels.externalTensor("w", length / 4, location, offset, length));
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] all = Files.readAllBytes(TestModels.MNIST);
        Path f = Files.write(tmp.resolve("cut.onnx"), Arrays.copyOf(all, all.length / 2));
        assertEquals(f + ": not an ONNX model: protobuf parse failed (truncated message)", readError(f));
    }

    @Test
    void randomBytes() throws Exception {
        byte[] junk = new byte[4096];
        new SplittableRandom(1).nextBytes(junk);
        Path f = Files.write(tmp.resolve("junk.onnx"), junk);
        assertEquals(f + ": not an ONNX model: protobuf parse failed (invalid wire type 6)", readError(f));
    }


    @Test
    void textFile() throws Exception {
        Path f = Files.writeString(tmp.resolve("notes.onnx"), "These are my notes about the model.\nNothing else.\n");
        assertEquals(f + ": not an ONNX model: protobuf parse failed (unexpected end-group tag)", readError(f));
    }


    @Test
    void emptyFile() throws Exception {
        Path f = Files.write(tmp.resolve("empty.onnx"), new byte[0]);
        assertEquals(f + ": not an ONNX model: the file is empty", readError(f));
    }

    @Test
    void cycle() throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInput(tensorInfo("x", 1))
                .addNode(node("start", "Relu", List.of("x"), List.of("s")))
                .addNode(node("a", "Add", List.of("s", "from_b"), List.of("from_a")))
                .addNode(node("b", "Relu", List.of("from_a"), List.of("from_b")))
                .addOutput(tensorInfo("from_b", 1))).build();
        Path f = Protos.save(m, tmp.resolve("cycle.onnx"));
        assertEquals(f + ": graph has a cycle: a -> b -> a", readError(f));
    }

    @Test
    void undefinedInput() throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInput(tensorInfo("x", 1, 1, 4, 4))
                .addInitializer(floats("w", new long[] {1, 1, 1, 1}, 1f))
                .addNode(node("conv1", "Conv", List.of("x9", "w"), List.of("y")))
                .addOutput(tensorInfo("y", 1))).build();
        Path f = Protos.save(m, tmp.resolve("undefined.onnx"));
        assertEquals(f + ": node 'conv1' (Conv) input 'x9' is not defined by any node, initializer or graph input", readError(f));
    }

    @Test
    void undefinedOutput() throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInput(tensorInfo("x", 1)).addOutput(tensorInfo("nowhere", 1))).build();
        Path f = Protos.save(m, tmp.resolve("output.onnx"));
        assertEquals(f + ": graph output 'nowhere' is not defined by any node, initializer or graph input", readError(f));
    }

    @Test
    void externalPathClimbingOut() throws Exception {
        Files.write(tmp.resolve("w.bin"), new byte[64]);
        Path sub = Files.createDirectory(tmp.resolve("sub"));
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(withExternal("../w.bin", 0, 64)));
        Path f = Protos.save(m, sub.resolve("model.onnx"));
        assertEquals(f + ": initializer 'w' external data location '../w.bin' is outside the model folder", readError(f));
    }

    @Test
    void externalAbsolutePath() throws Exception {
        Path data = Files.write(tmp.resolve("w.bin"), new byte[64]);
        Path f = withExternal(data.toAbsolutePath().toString(), 0, 64);
        assertEquals(f + ": initializer 'w' external data location '" + data.toAbsolutePath()
                + "' is an absolute path; it must be relative to the model folder", readError(f));
    }

    @Test
    void externalSymlinkLeavingTheFolder() throws Exception {
        Path outside = Files.write(tmp.resolve("secret.bin"), new byte[64]);
        Path sub = Files.createDirectory(tmp.resolve("sub"));
        Files.createSymbolicLink(sub.resolve("w.bin"), outside);
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(withExternal("w.bin", 0, 64)));
        Path f = Protos.save(m, sub.resolve("model.onnx"));
        assertEquals(f + ": initializer 'w' external data location 'w.bin' links to a file outside the model folder", readError(f));
    }

    @Test
    void externalRegionPastTheEnd() throws Exception {
        Files.write(tmp.resolve("w.bin"), new byte[100]);
        Path f = withExternal("w.bin", 4096, 64);
        assertEquals(f + ": initializer 'w' external data [offset 4096, length 64] extends past the end of 'w.bin' (100 bytes)",
                readError(f));
    }

    @Test
    void externalFileMissing() throws Exception {
        Path f = withExternal("nothing.bin", 0, 64);
        assertEquals(f + ": initializer 'w' external data file 'nothing.bin' does not exist", readError(f));
    }

    @Test
    void shapeWhoseSizeOverflows() throws Exception {
        Path f = withInitializer(TensorProto.newBuilder().setName("w").setDataType(1)
                .addDims(1L << 32).addDims(1L << 32).addDims(16).build());
        assertEquals(f + ": initializer 'w' declares shape [4294967296, 4294967296, 16] whose size overflows 64 bits", readError(f));
    }

    @Test
    void byteSizeThatOverflows() throws Exception {
        Path f = withInitializer(TensorProto.newBuilder().setName("w").setDataType(7).addDims(1L << 61).build());
        assertEquals(f + ": initializer 'w' declares shape [2305843009213693952] whose size overflows 64 bits", readError(f));
    }

    @Test
    void negativeDimension() throws Exception {
        Path f = withInitializer(floats("w", new long[] {2, -3}));
        assertEquals(f + ": initializer 'w' has negative dimension -3 in shape [2, -3]", readError(f));
    }

    @Test
    void rawDataOfTheWrongSize() throws Exception {
        Path f = withInitializer(floats("w", new long[] {3}, 1f, 2f));
        assertEquals(f + ": initializer 'w' raw_data holds 8 bytes but shape [3] of f32 needs 12", readError(f));
    }

    @Test
    void typedDataOfTheWrongSize() throws Exception {
        Path f = withInitializer(TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .addFloatData(1f).build());
        assertEquals(f + ": initializer 'w' has 1 float_data values but shape [4] of f32 needs 4", readError(f));
    }

    @Test
    void duplicateValueName() throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInput(tensorInfo("x", 1))
                .addNode(node("a", "Relu", List.of("x"), List.of("x")))
                .addOutput(tensorInfo("x", 1))).build();
        Path f = Protos.save(m, tmp.resolve("dup.onnx"));
        assertEquals(f + ": value 'x' is defined more than once", readError(f));
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("none.onnx");
        assertEquals(f + ": file not found", readError(f));
    }
}
