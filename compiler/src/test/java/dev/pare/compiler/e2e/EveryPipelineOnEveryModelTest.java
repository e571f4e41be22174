package dev.pare.compiler.e2e;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.OnnxModelChecker;
import dev.pare.compiler.onnx.SubgraphModels;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.TensorData;
import dev.pare.spi.CalibrationData;
import dev.pare.testkit.TestCalibrationData;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every built-in pipeline (as {@code pare pipelines} lists them, from the registry) on every real
 * ONNX test model plus a synthetic If/Loop model: compiled through the Guice wiring {@code pare
 * compile} uses, written as ONNX, checked by {@link OnnxModelChecker}, loaded in ONNX Runtime and
 * run once on the model's deterministic inputs, which must give the original's outputs with the
 * original's shapes.
 *
 * <p>Every combination gets calibration data, so W8A8 runs everywhere: mnist's own calibration
 * images (16), and for the other models their test inputs as the one sample. To keep the test near
 * two minutes, MiniLM (86 MB) runs only {@link #MINILM_PIPELINES}: cleanup, weight quantization,
 * palettization and activation quantization (its PRUNE_50 and the rest run in
 * CompressedModelsRunInOrtTest and CleanupOnRealModelsTest); and PALETTIZE_8BIT (k-means with 256
 * clusters: 100-160 s on PP-OCRv4 det and rec alone) runs on the small models only. It writes the
 * same LUT decode as PALETTIZE_4BIT with 8-bit indices.
 */
class EveryPipelineOnEveryModelTest {

    /** MiniLM's representative subset (see the class comment). */
    static final Set<String> MINILM_PIPELINES = Set.of("DEFAULT", "QUANTIZE_INT8", "PALETTIZE_4BIT", "W8A8");

    /** Models on which PALETTIZE_8BIT is not run (see the class comment). */
    static final Set<String> NO_PALETTIZE_8BIT = Set.of("det", "rec", "minilm");

    private static final List<String> MODELS = List.of("mnist", "vad_legacy", "vad_v5", "det", "rec", "minilm");

    @TempDir static Path tmp;

    private static List<String> pipelines;
    private static final List<String> rows = new ArrayList<>();

    @BeforeAll
    static void listPipelines() throws Exception {
        PassRegistry registry = PassRegistry.discover(EveryPipelineOnEveryModelTest.class.getClassLoader());
        pipelines = List.copyOf(new PipelineCompiler(registry).availablePipelines().keySet());
        assertTrue(pipelines.size() >= 12, "built-in pipelines: " + pipelines);
    }

    @AfterAll
    static void summary() {
        System.out.printf(Locale.ROOT, "every pipeline x every model: %d combinations%n", rows.size());
        rows.forEach(System.out::println);
    }

    @TestFactory
    Stream<DynamicContainer> everyPipelineOnEveryModel() throws Exception {
        List<DynamicContainer> containers = new ArrayList<>();
        List<String> names = new ArrayList<>(MODELS);
        names.add(0, "if_loop");
        for (String name : names) {
            List<DynamicTest> tests = new ArrayList<>();
            for (String pipeline : pipelines) {
                if (name.equals("minilm") && !MINILM_PIPELINES.contains(pipeline)) continue;
                if (pipeline.equals("PALETTIZE_8BIT") && NO_PALETTIZE_8BIT.contains(name)) continue;
                tests.add(DynamicTest.dynamicTest(pipeline, () -> compileWriteAndRun(name, pipeline)));
            }
            containers.add(DynamicContainer.dynamicContainer(name, tests));
        }
        return containers.stream();
    }

    private static final Map<String, Map<String, Tensor>> EXPECTED = new LinkedHashMap<>();

    private static Path model(String name) throws IOException {
        if (!name.equals("if_loop")) {
            Path p = TestModels.byName(name);
            assertTrue(Files.isRegularFile(p), p + " is missing; build from the repository root (mvn -B verify)");
            return p;
        }
        Path p = tmp.resolve("if_loop.onnx");
        if (!Files.exists(p)) Files.write(p, SubgraphModels.vadLike().toByteArray());
        return p;
    }

    private static Map<String, Tensor> inputs(String name) throws IOException {
        if (!name.equals("if_loop")) return RealModelInputs.forModel(name, 4);
        return Map.of("x", Tensor.ofFloats(new long[] {1, 8}, new float[] {1, -2, 3, -4, 5, -6, 7, -8}),
                "sr", Tensor.ofLongs(new long[0], new long[] {16000}));
    }

    private static CalibrationData calibration(String name) throws IOException {
        if (name.equals("mnist")) {
            return new RawFloatSamples(TestModels.MNIST.resolveSibling("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, 16);
        }
        Map<String, TensorData> sample = new LinkedHashMap<>();
        inputs(name).forEach((k, t) -> sample.put(k, t.floats() != null
                ? TensorData.ofFloats(t.shape(), t.floats()) : TensorData.ofLongs(t.shape(), t.longs())));
        return TestCalibrationData.of(name + " test inputs", List.of(sample));
    }

    private static void compileWriteAndRun(String name, String pipeline) throws Exception {
        Path original = model(name);
        Map<String, Tensor> in = inputs(name);
        Map<String, Tensor> expected = EXPECTED.get(name);
        if (expected == null) {
            expected = OrtRunner.run(original, in);
            EXPECTED.put(name, expected);
        }
        long t0 = System.nanoTime();
        CalibratedCompile.Compiled compiled = CalibratedCompile.compile(original, pipeline, calibration(name));
        Path out = tmp.resolve(name + "-" + pipeline + ".onnx");
        new OnnxFormat().write(OnnxLowering.lower(compiled.model()), out);
        try {
            ModelProto written;
            try (InputStream s = Files.newInputStream(out)) {
                written = ModelProto.parseFrom(s);
            }
            assertEquals(List.of(), OnnxModelChecker.check(written), name + " " + pipeline);
            Map<String, Tensor> actual = OrtRunner.run(out, in);
            assertEquals(expected.keySet(), actual.keySet(), name + " " + pipeline + " outputs");
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                Tensor a = actual.get(e.getKey());
                assertArrayEquals(e.getValue().shape(), a.shape(), name + " " + pipeline + " output " + e.getKey());
                if (a.floats() != null) {
                    for (float f : a.floats()) assertFalse(Float.isNaN(f), name + " " + pipeline + " output " + e.getKey() + " has NaN");
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Path data = out.resolveSibling(out.getFileName() + ".data");
            long outBytes = Files.size(out) + (Files.exists(data) ? Files.size(data) : 0);   // with its external data
            synchronized (rows) {
                rows.add(String.format(Locale.ROOT, "  %-10s %-22s file %,12d -> %,12d bytes (%5.1f%%)  %,6d ms",
                        name, pipeline, Files.size(original), outBytes, 100.0 * outBytes / Files.size(original), ms));
            }
        } finally {
            try {
                Files.deleteIfExists(out);
                Files.deleteIfExists(out.resolveSibling(out.getFileName() + ".data"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
