package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.ProtoDiff;
import dev.pare.ir.DenseData;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** External data: exact round trip, lazy mapping, and a 1 GB model in a 256 MB heap. */
class OnnxExternalDataTest {

    @TempDir Path tmp;

    @Test
    void smallExternalModelRoundTripsAndRuns() throws Exception {
        Path inDir = Files.createDirectory(tmp.resolve("in"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Path in = ExternalModels.write(inDir, "model.onnx", 3, 1500);
        Model model = new OnnxFormat().read(in);
        DenseData w1 = (DenseData) model.graph().value("w1").orElseThrow().data();
        assertFalse(w1.isMaterialized(), "external data is mapped lazily");
        assertEquals(OnnxKeys.EXTERNAL, w1.annotation(OnnxKeys.STORAGE));

        Path out = outDir.resolve("model.onnx");
        new OnnxFormat().write(model, out);
        assertNull(ProtoDiff.firstDifference(ModelProto.parseFrom(Files.readAllBytes(in)),
                ModelProto.parseFrom(Files.readAllBytes(out))));
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));
        assertArrayEquals(Files.readAllBytes(inDir.resolve("model.onnx.data")), Files.readAllBytes(outDir.resolve("model.onnx.data")));
        try (Stream<Path> files = Files.list(outDir)) {
            assertEquals(List.of("model.onnx", "model.onnx.data"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }

        float[] x = new float[1500];
        for (int i = 0; i < x.length; i++) x[i] = i * 0.5f;
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {1500}, x));
        Map<String, Tensor> expected = OrtRunner.run(in, feeds);
        Map<String, Tensor> actual = OrtRunner.run(out, feeds);
        for (String name : List.of("y0", "y1", "y2")) assertArrayEquals(expected.get(name).floats(), actual.get(name).floats());
    }

    @Test
    void failedWriteLeavesNothingBehind() throws Exception {
        Path inDir = Files.createDirectory(tmp.resolve("in"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Path in = ExternalModels.write(inDir, "model.onnx", 2, 100);
        Model model = new OnnxFormat().read(in);
        Files.delete(inDir.resolve("model.onnx.data")); // the lazily mapped weights are gone
        Path out = outDir.resolve("model.onnx");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new OnnxFormat().write(model, out));
        assertTrue(e.getMessage().startsWith(out + ": cannot write: cannot map "), e.getMessage());
        try (Stream<Path> files = Files.list(outDir)) {
            assertEquals(List.of(), files.toList());
        }
    }

    @Test
    void writingIntoAMissingFolderFails() throws Exception {
        Path inDir = Files.createDirectory(tmp.resolve("in"));
        Model model = new OnnxFormat().read(ExternalModels.write(inDir, "model.onnx", 1, 10));
        Path missing = tmp.resolve("missing");
        Path out = missing.resolve("model.onnx");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new OnnxFormat().write(model, out));
        assertEquals(out + ": cannot write: folder " + missing.toAbsolutePath() + " does not exist", e.getMessage());
        assertFalse(Files.exists(missing));

        Path file = Files.writeString(tmp.resolve("plain"), "x");
        Path under = file.resolve("model.onnx");
        e = assertThrows(ModelFormatException.class, () -> new OnnxFormat().write(model, under));
        assertEquals(under + ": cannot write: " + file.toAbsolutePath() + " is not a folder", e.getMessage());
    }

    @Test
    void oneGigabyteModelRoundTripsInA256MegabyteHeap() throws Exception {
        Path inDir = Files.createDirectory(tmp.resolve("in"));
        Path outDir = Files.createDirectory(tmp.resolve("out"));
        Path in = ExternalModels.write(inDir, "big.onnx", 4, 64L << 20); // 4 x 256 MiB
        Path out = outDir.resolve("big.onnx");
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ExternalRoundTripMain.class.getName(), in.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM did not finish");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));
        assertEquals(Files.size(inDir.resolve("big.onnx.data")), Files.size(outDir.resolve("big.onnx.data")));
        assertEquals(ExternalModels.sha256(inDir.resolve("big.onnx.data")), ExternalModels.sha256(outDir.resolve("big.onnx.data")));
        System.out.println("child: " + output.trim());
    }
}
