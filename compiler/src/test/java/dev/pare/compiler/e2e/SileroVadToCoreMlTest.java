package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real models with ONNX {@code If} subgraphs and LSTMs inside them (Silero VAD, fetched by
 * scripts/fetch-test-models.sh) convert to Core ML, are written as a package, read back and run by
 * the MIL interpreter with the outputs ONNX Runtime gives, state outputs included.
 *
 * <p>The legacy model keeps one {@code mil.cond} on its sample-rate input, so both branches run
 * here (16 kHz and 8 kHz); v5 has its sample rate fixed with {@code input_values}, because its
 * 8 kHz branch expects 256-sample frames and cannot take the 512-sample shape the package has.
 */
class SileroVadToCoreMlTest {

    private static final double TOLERANCE = 2e-5;

    private static PassRegistry registry;

    @TempDir Path tmp;

    @BeforeAll
    static void discover() throws Exception {
        registry = PassRegistry.discover(SileroVadToCoreMlTest.class.getClassLoader());
    }

    @Test
    void legacyModelMatchesOrtAtBothSampleRates() throws Exception {
        Path pkg = convert(TestModels.VAD_LEGACY,
                "convert_to_mil{input_shapes=[\"input:1,512\", \"h:2,1,64\", \"c:2,1,64\"]}");
        for (long sampleRate : new long[] {16000, 8000}) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("input", noise(new long[] {1, 512}, 1, 0.5f));
            inputs.put("sr", Tensor.ofLongs(new long[0], new long[] {sampleRate}));
            inputs.put("h", noise(new long[] {2, 1, 64}, 2, 0.3f));
            inputs.put("c", noise(new long[] {2, 1, 64}, 3, 0.3f));
            assertMatches(TestModels.VAD_LEGACY, pkg, inputs, "legacy sr " + sampleRate);
        }
    }

    @Test
    void v5ModelWithItsSampleRateFixedMatchesOrt() throws Exception {
        Path pkg = convert(TestModels.VAD_V5,
                "convert_to_mil{input_shapes=[\"input:1,512\", \"state:2,1,128\"], input_values=[\"sr:16000\"]}");
        for (int seed = 0; seed < 2; seed++) {
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("input", noise(new long[] {1, 512}, 10 + seed, 0.5f));
            inputs.put("state", noise(new long[] {2, 1, 128}, 20 + seed, 0.3f));
            inputs.put("sr", Tensor.ofLongs(new long[0], new long[] {16000}));
            assertMatches(TestModels.VAD_V5, pkg, inputs, "v5 seed " + seed);
        }
    }

    private Path convert(Path onnxModel, String pipeline) throws Exception {
        assertTrue(Files.isRegularFile(onnxModel), onnxModel + " is missing; build from the repository root (mvn -B verify)");
        Model model = new OnnxFormat().read(onnxModel);
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        pm.run(new PipelineCompiler(registry).parseInline(pipeline), model);
        assertTrue(model.graph().allNodes().stream().noneMatch(n -> n.dialect().equals("onnx")),
                onnxModel.getFileName() + " kept ONNX ops after convert_to_mil");
        model.setProperty(CoreMlTarget.PROPERTY, "ios18");
        Path pkg = tmp.resolve(onnxModel.getFileName().toString().replace(".onnx", ".mlpackage"));
        LoweredCoreMl.write(model, pkg);
        return pkg;
    }

    private static void assertMatches(Path onnxModel, Path pkg, Map<String, Tensor> inputs, String what) throws Exception {
        Map<String, Tensor> expected = OrtRunner.run(onnxModel, inputs);
        Model read = new CoreMlFormat().read(pkg);
        Map<String, TensorData> in = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            Tensor t = e.getValue();
            in.put(e.getKey(), t.floats() != null ? TensorData.ofFloats(t.shape(), t.floats())
                    : MilTensor.ints(DType.INT32, new int[0], new int[] {Math.toIntExact(t.longs()[0])}).toData());
        }
        Map<String, TensorData> actual = new MilInterpreter(read.graph()).run(in);
        assertEquals(expected.size(), actual.size(), what + ": outputs " + actual.keySet() + " vs " + expected.keySet());
        List<String> actualNames = List.copyOf(actual.keySet());
        List<String> expectedNames = List.copyOf(expected.keySet());
        for (int k = 0; k < expectedNames.size(); k++) {
            float[] x = expected.get(expectedNames.get(k)).floats();
            float[] a = MilTensor.of(actual.get(actualNames.get(k))).toFloats();
            assertEquals(x.length, a.length, what + " " + expectedNames.get(k) + " element count");
            double maxAbs = 0;
            double scale = 0;
            for (int i = 0; i < x.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs((double) x[i] - a[i]));
                scale = Math.max(scale, Math.abs(x[i]));
            }
            double relative = maxAbs / Math.max(1, scale);
            System.out.printf(Locale.ROOT, "Silero %s %s: max abs %.3g, rel %.3g%n", what, expectedNames.get(k), maxAbs, relative);
            assertTrue(relative <= TOLERANCE, what + " " + expectedNames.get(k) + ": max abs " + maxAbs);
        }
    }

    private static Tensor noise(long[] shape, long seed, float amplitude) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * amplitude);
        return Tensor.ofFloats(shape, v);
    }
}
