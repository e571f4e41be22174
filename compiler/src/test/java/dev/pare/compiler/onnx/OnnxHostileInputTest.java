package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.floats;
import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.SparseData;
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
    void deviceOrFolderIsNotOpened() throws Exception {
        Path folder = java.nio.file.Files.createDirectories(tmp.resolve("folder.onnx"));
        assertEquals(folder + ": not an ONNX model: not a regular file (a directory, device, FIFO or socket)", readError(folder));
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(zero));
        assertEquals("/dev/zero: not an ONNX model: not a regular file (a directory, device, FIFO or socket)", readError(zero));
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("none.onnx");
        assertEquals(f + ": file not found", readError(f));
    }

    /** A model whose only constant is the sparse initializer {@code w} with the given dims, float values and int64 indices. */
    private Path withSparse(long[] dims, float[] values, long[] indexDims, long... indices) throws Exception {
        TensorProto.Builder ix = TensorProto.newBuilder().setDataType(7);
        for (long d : indexDims) ix.addDims(d);
        for (long i : indices) ix.addInt64Data(i);
        SparseTensorProto.Builder w = SparseTensorProto.newBuilder().setValues(floats("w", new long[] {values.length}, values))
                .setIndices(ix);
        for (long d : dims) w.addDims(d);
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addSparseInitializer(w)
                .addNode(node("use", "Identity", List.of("w"), List.of("y")))
                .addOutput(tensorInfo("y", 1))).build();
        return Protos.save(m, tmp.resolve("sparse.onnx"));
    }

    @Test
    void hugeSparseTensorIsReadWithoutExpandingIt() throws Exception {
        Path f = withSparse(new long[] {1L << 20, 1L << 20}, new float[] {1f, 2f}, new long[] {2}, 0, (1L << 40) - 1);
        SparseData w = (SparseData) new OnnxFormat().read(f).graph().value("w").orElseThrow().data();
        assertEquals(1L << 40, w.elementCount());
        assertEquals(false, w.isDensifiable());
    }

    @Test
    void sparseIndexOutOfRange() throws Exception {
        Path linear = withSparse(new long[] {40000, 40000}, new float[] {1f}, new long[] {1}, 1_600_000_000L);
        assertEquals(linear + ": sparse initializer 'w': sparse index 1600000000 out of range for f32[40000,40000]", readError(linear));
        Path coords = withSparse(new long[] {3, 4}, new float[] {1f}, new long[] {1, 2}, 1, 4);
        assertEquals(coords + ": sparse initializer 'w': sparse index 4 out of range for dim 1 of f32[3,4]", readError(coords));
    }

    @Test
    void sparseShapeWhoseSizeOverflows() throws Exception {
        Path f = withSparse(new long[] {1L << 61}, new float[] {1f}, new long[] {1}, 0);
        assertEquals(f + ": sparse initializer 'w' declares shape [2305843009213693952] whose size overflows 64 bits", readError(f));
        Path negative = withSparse(new long[] {4, -1}, new float[] {1f}, new long[] {1}, 0);
        assertEquals(negative + ": sparse initializer 'w' has negative dimension -1 in shape [4, -1]", readError(negative));
    }

    @Test
    void sparseValuesAndIndicesOfDifferentLengths() throws Exception {
        Path f = withSparse(new long[] {10}, new float[] {1f, 2f}, new long[] {3}, 0, 1, 2);
        assertEquals(f + ": sparse initializer 'w': sparse indices i64[3] do not fit 2 values of a rank-1 tensor", readError(f));
    }

    @Test
    void subgraphsNestedTooDeep() throws Exception {
        // 66 graphs inside each other (b0 is the main graph): b65 is nested 65 deep, one more than the limit.
        GraphProto body = GraphProto.newBuilder().setName("b66")
                .addNode(node("leaf", "Identity", List.of("x"), List.of("y66"))).addOutput(ValueInfoProto.newBuilder().setName("y66")).build();
        for (int i = 65; i >= 0; i--) {
            body = GraphProto.newBuilder().setName("b" + i)
                    .addNode(node("if" + i, "If", List.of("cond"), List.of("y" + i),
                            AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(body).build()))
                    .addOutput(ValueInfoProto.newBuilder().setName("y" + i)).build();
        }
        ModelProto m = Protos.model(13).setGraph(body.toBuilder().setName("main")
                .addInput(tensorInfo("x", 1)).addInput(tensorInfo("cond", 9))).build();
        Path f = Protos.save(m, tmp.resolve("deep.onnx"));
        assertEquals(f + ": subgraph 'b65' is nested deeper than the limit of 64 graphs (If/Loop/Scan bodies inside each other)",
                readError(f));
    }
}
