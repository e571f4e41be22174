package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs never touch inputs: every file the output would create (the model, its external data,
 * a package folder) is checked against every file the input reads, by any name, and against
 * existing files, before any pass runs.
 */
class OutputFilesTest {

    static final Path CORE_ML = Path.of("../compiler/src/test/resources/models/coreml/mnist_dwnet_fp16_ios16.mlpackage");

    @TempDir Path dir;

    private static CliRun pare(String... args) {
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args);
    }

    private static ValueInfoProto info(String name) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(1))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    /** {@code model}: y = x + w, with w (4 floats) in the external data file {@code location} next to it. */
    static Path externalModel(Path model, String location) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i <= 4; i++) data.putFloat(i);
        Files.write(model.resolveSibling(location), data.array());
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1).addDims(4)
                .addExternalData(entry("location", location)).addExternalData(entry("offset", "0"))
                .addExternalData(entry("length", "16")).setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(info("x")).addOutput(info("y")).addInitializer(w)
                .addNode(NodeProto.newBuilder().setName("add").setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        Files.write(model, m.toByteArray());
        return model;
    }

    private static List<Path> files(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(Path::getFileName).sorted().toList();
        }
    }

    @Test
    void theInputsExternalDataNamedLikeTheOutputsIsNeverReplaced() throws IOException {
        Path in = externalModel(dir.resolve("in.onnx"), "out.onnx.data");
        Path out = dir.resolve("out.onnx");
        Path data = dir.resolve("out.onnx.data");
        byte[] before = Files.readAllBytes(data);
        String expected = "pare: error: " + data + ": the input " + in + " reads this file; writing " + out
                + " would replace it (choose another output name)\n";
        assertEquals(new CliRun(2, "", expected), pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY"));
        assertEquals(new CliRun(2, "", expected),
                pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY", "--force"));
        assertArrayEquals(before, Files.readAllBytes(data));
        assertEquals(List.of(Path.of("in.onnx"), Path.of("out.onnx.data")), files(dir));
        // another output name works, and the input still reads
        CliRun ok = pare("compile", in.toString(), "-o", dir.resolve("other.onnx").toString(), "--pipeline", "EMPTY");
        assertEquals(0, ok.exitCode(), ok.err());
        assertEquals(0, pare("inspect", in.toString()).exitCode());
    }

    @Test
    void anUnrelatedExistingDataFileIsReplacedOnlyWithForce() throws Exception {
        Path in = externalModel(dir.resolve("in.onnx"), "in.onnx.data");
        Path out = dir.resolve("out.onnx");
        Path data = Files.writeString(dir.resolve("out.onnx.data"), "stale");
        assertEquals(new CliRun(2, "", "pare: error: " + data + ": already exists (use --force to replace it)\n"),
                pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY"));
        assertEquals("stale", Files.readString(data));
        assertFalse(Files.exists(out));

        CliRun forced = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "EMPTY", "--force");
        assertEquals(0, forced.exitCode(), forced.err());
        assertNotEquals("stale", Files.readString(data, java.nio.charset.StandardCharsets.ISO_8859_1));
        assertArrayEquals(Files.readAllBytes(dir.resolve("in.onnx.data")), java.util.Arrays.copyOf(Files.readAllBytes(data), 16));
        assertEquals(0, pare("inspect", out.toString()).exitCode());
    }

    @Test
    void aDataFileLinkedToTheInputsWeightsIsRefusedEvenWithForce() throws IOException {
        Path in = externalModel(dir.resolve("in.onnx"), "weights.bin");
        Path weights = dir.resolve("weights.bin");
        Path out = dir.resolve("out.onnx");
        Path data = dir.resolve("out.onnx.data");
        String expected = "pare: error: " + data + ": the input " + in + " reads this file (it is " + weights
                + "); writing " + out + " would replace it (choose another output name)\n";

        Files.createSymbolicLink(data, weights.getFileName());
        assertEquals(new CliRun(2, "", expected), pare("compile", in.toString(), "-o", out.toString(), "--force"));
        Files.delete(data);

        Files.createLink(data, weights);  // a hard link: another name, the same file
        assertEquals(new CliRun(2, "", expected), pare("compile", in.toString(), "-o", out.toString(), "--force"));
        assertEquals(16, Files.size(weights));
    }

    @Test
    void aSymlinkedInputIsStillTheInput() throws IOException {
        Path real = externalModel(dir.resolve("real.onnx"), "real.onnx.data");
        Path link = Files.createSymbolicLink(dir.resolve("link.onnx"), real.getFileName());
        assertEquals(new CliRun(2, "", "pare: error: " + real + ": output would overwrite the input model\n"),
                pare("compile", link.toString(), "-o", real.toString(), "--force"));
        assertEquals(0, pare("inspect", real.toString()).exitCode());
    }

    @Test
    void aPackageOutputThatHoldsTheInputIsRefused() throws IOException {
        Path pkg = Files.createDirectories(dir.resolve("model.mlpackage"));
        Path in = externalModel(pkg.resolve("in.onnx"), "in.onnx.data");
        CliRun r = pare("compile", in.toString(), "-o", pkg.toString(), "--force");
        assertEquals(new CliRun(2, "", "pare: error: " + pkg + ": holds " + in + ", which the input " + in
                + " reads; writing " + pkg + " would replace it (choose another output name)\n"), r);
        assertEquals(List.of(Path.of("in.onnx"), Path.of("in.onnx.data")), files(pkg));
    }

    @Test
    void anOutputInsideTheInputPackageIsRefused() throws IOException {
        Path pkg = copyTree(CORE_ML, dir.resolve("in.mlpackage"));
        Path out = pkg.resolve("out.mlmodel");
        CliRun r = pare("compile", pkg.toString(), "-o", out.toString());
        assertEquals(new CliRun(2, "", "pare: error: " + out + ": is inside the input package " + pkg
                + "; writing there would change the input (choose an output outside it)\n"), r);
        assertFalse(Files.exists(out));
    }

    @Test
    void anUnwritableFolderSaysWhy() throws IOException {
        Path in = externalModel(dir.resolve("in.onnx"), "in.onnx.data");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        assertEquals(new CliRun(4, "", "pare: error: /proc/out.onnx: cannot create files in /proc (the file system does not allow it)\n"),
                pare("compile", in.toString(), "-o", "/proc/out.onnx"));
        Path file = Files.writeString(dir.resolve("file.txt"), "x");
        Path under = file.resolve("out.onnx");
        assertEquals(new CliRun(4, "", "pare: error: " + under + ": " + file + " is not a directory\n"),
                pare("compile", in.toString(), "-o", under.toString()));
    }

    private static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        assertTrue(Files.isDirectory(to));
        return to;
    }
}
