package dev.pare.compiler.e2e;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.upgrade.OpsetUpgrader;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seed workflow end to end, without a Mac: an ONNX model is compressed (or not), converted to
 * MIL, written as a {@code .mlpackage} for a deployment target, read back from disk (each constexpr
 * op decompressed from weight.bin), and run by the reference MIL interpreter. Its outputs must
 * match ONNX Runtime on the original model (uncompressed) or on the {@code decompress_weights}
 * version of the same compressed model (compressed): so the package holds exactly the weights the
 * passes intended, and the converted graph computes what the ONNX graph computes.
 *
 * <p>Tolerance: the largest absolute difference relative to the reference's largest magnitude (at
 * least 1). Both sides compute in float32 but sum in different orders (ORT's blocked GEMM and
 * fused kernels, the interpreter's direct loops), so outputs differ in the last bits.
 */
class CoreMlPackagesMatchOrtTest {

    private static final double TOLERANCE = 2e-5;

    private static PassRegistry registry;

    @TempDir Path tmp;

    @BeforeAll
    static void discover() throws Exception {
        registry = PassRegistry.discover(CoreMlPackagesMatchOrtTest.class.getClassLoader());
    }

    record Case(String model, String target, String pipeline) {
        @Override public String toString() { return model + " " + target + " " + pipeline; }
    }

    /** Every model at every target uncompressed; each compression mode the target allows. */
    static Stream<Arguments> cases() {
        List<String> models = List.of(System.getProperty("pare.e2e.models", "mnist,det,rec,minilm").split(","));
        List<String> targets = List.of("ios16", "ios17", "ios18");
        List<String> everyTarget = List.of("PALETTIZE_4BIT", "PALETTIZE_8BIT", "QUANTIZE_INT8", "PRUNE_50");
        List<String> ios18Only = List.of("QUANTIZE_INT4_BLOCK32", "JOINT_PRUNE_PALETTIZE");
        Stream.Builder<Arguments> b = Stream.builder();
        for (String m : models) {
            for (String t : targets) {
                b.add(Arguments.of(new Case(m, t, "EMPTY")));
                // The small CNN gets every mode at every target; the big models every mode once,
                // spread over the targets, so the suite stays within minutes.
                for (String p : everyTarget) {
                    if (m.equals("mnist") || targets.indexOf(t) == everyTarget.indexOf(p) % 3) b.add(Arguments.of(new Case(m, t, p)));
                }
                if (t.equals("ios18")) for (String p : ios18Only) b.add(Arguments.of(new Case(m, t, p)));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void packageMatchesOrt(Case c) throws Exception {
        Path original = TestModels.byName(c.model());
        assertTrue(Files.isRegularFile(original), original + " is missing; build from the repository root (mvn -B verify)");
        Map<String, Tensor> inputs = RealModelInputs.forModel(c.model(), 8);

        // Reference: the same pipeline, then decompress_weights, run by ONNX Runtime.
        OnnxFormat onnx = new OnnxFormat();
        Path reference = original;
        if (!c.pipeline().equals("EMPTY")) {
            Model decompressed = onnx.read(original);
            long opset = decompressed.opsetVersion("");
            run(c.pipeline(), decompressed);
            run("decompress_weights", decompressed);
            OpsetUpgrader.upgrade(decompressed, Math.max(opset, decompressed.opsetVersion("")));
            reference = tmp.resolve("reference.onnx");
            onnx.write(OnnxLowering.lower(decompressed), reference);
        }
        Map<String, Tensor> expected = OrtRunner.run(reference, inputs);

        Model model = onnx.read(original);
        run(c.pipeline(), model);
        if (!c.pipeline().equals("EMPTY")) {
            assertTrue(model.graph().allNodes().stream().map(Node::dialect).anyMatch("pare"::equals), c + " compressed nothing");
        }
        run("convert_to_mil{input_shapes=" + shapes(c.model(), inputs) + "}", model);
        model.setProperty(CoreMlTarget.PROPERTY, c.target());
        Path pkg = tmp.resolve(c.model() + ".mlpackage");
        CoreMlFormat coreml = new CoreMlFormat();
        LoweredCoreMl.write(model, pkg);

        Model read = coreml.read(pkg);
        Map<String, TensorData> in = new HashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) in.put(e.getKey(), toData(e.getValue()));
        long t0 = System.nanoTime();
        Map<String, TensorData> actual = new MilInterpreter(read.graph()).run(in);
        double seconds = (System.nanoTime() - t0) / 1e9;

        // Outputs in order: MIL names are identifiers, so e.g. 'softmax_11.tmp_0' is written as
        // 'softmax_11_tmp_0'.
        assertEquals(expected.size(), actual.size());
        List<String> actualNames = List.copyOf(actual.keySet());
        List<String> expectedNames = List.copyOf(expected.keySet());
        long weightBin = Files.size(pkg.resolve("Data/com.apple.CoreML/weights/weight.bin"));
        for (int k = 0; k < expectedNames.size(); k++) {
            String output = expectedNames.get(k);
            assertEquals(output.replaceAll("[^A-Za-z0-9_@]", "_"), actualNames.get(k));
            Tensor e = expected.get(output);
            float[] a = MilTensor.of(actual.get(actualNames.get(k))).toFloats();
            float[] x = e.floats() != null ? e.floats() : toFloats(e.longs());
            assertEquals(x.length, a.length, c + " " + output + " element count");
            double maxAbs = 0;
            double scale = 0;
            for (int i = 0; i < x.length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs((double) x[i] - a[i]));
                scale = Math.max(scale, Math.abs(x[i]));
            }
            double relative = maxAbs / Math.max(1, scale);
            System.out.printf(Locale.ROOT, "CoreML %-6s %-5s %-22s %s: max abs %.3g, rel %.3g; onnx %d B -> weight.bin %d B (%.1f%%); interpreter %.2f s%n",
                    c.model(), c.target(), c.pipeline(), output, maxAbs, relative, Files.size(original), weightBin,
                    100.0 * weightBin / Files.size(original), seconds);
            assertTrue(relative <= TOLERANCE, c + " " + output + ": max abs " + maxAbs + ", relative " + relative);
        }
    }

    private static void run(String pipeline, Model model) throws Exception {
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        pm.run(new PipelineCompiler(registry).parseInline(pipeline), model);
    }

    /** The convert_to_mil option that fixes every input to the shape of the test inputs. */
    private static String shapes(String model, Map<String, Tensor> inputs) {
        StringBuilder sb = new StringBuilder("[");
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            if (sb.length() > 1) sb.append(", ");
            sb.append('"').append(e.getKey()).append(':');
            sb.append(String.join(",", Arrays.stream(e.getValue().shape()).mapToObj(Long::toString).toArray(String[]::new)));
            sb.append('"');
        }
        return sb.append(']').toString();
    }

    /** Test inputs for the interpreter: float32 as is, int64 token ids as int32 (MIL has no int64). */
    private static TensorData toData(Tensor t) {
        if (t.floats() != null) return TensorData.ofFloats(t.shape(), t.floats());
        int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
        int[] v = Arrays.stream(t.longs()).mapToInt(Math::toIntExact).toArray();
        return MilTensor.ints(DType.INT32, shape, v).toData();
    }

    private static float[] toFloats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }
}
