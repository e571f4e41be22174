package dev.pare.compiler.compare;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.eval.MilModelExecutor;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pare compare} with Core ML packages on either side: they run in the MIL reference
 * interpreter (MilModelExecutor), ONNX models in ONNX Runtime; B gets A's inputs in its own
 * element types (int64 ids for ONNX, int32 for Core ML).
 */
class CoreMlComparisonTest {

    private static final Path MNIST_DIR = Path.of("src/test/resources/models/mnist_dwnet");
    private static final Path MNIST = MNIST_DIR.resolve("model.onnx");
    private static final Path TEST_X = MNIST_DIR.resolve("test_x.f32");
    private static final Path TEST_Y = MNIST_DIR.resolve("test_y.u8");
    private static final Path FIXTURES = Path.of("src/test/resources/models/coreml");

    @TempDir Path tmp;

    private static CompareReport compare(Path a, Path b, Path data, String spec, Path labels, Integer samples,
            Map<String, long[]> shapes) throws CompareException {
        return new ModelComparison(ModelFormats.discover()).run(new CompareRequest(a, b, data, spec, labels, 0, samples, shapes, 1));
    }

    @Test
    void onnxAgainstThePackageCoreMlToolsWrote() throws Exception {
        CompareReport r = compare(MNIST, FIXTURES.resolve("mnist_dwnet_int8_ios16.mlpackage"), TEST_X, "-1,1,28,28", TEST_Y, 100, Map.of());
        OutputComparison o = r.outputs().get(0);
        assertEquals("float32/float16", o.dtype());
        assertEquals(100, o.classification().labeled());
        // measured on 200 digits: SNR 47.0 dB, cosine 0.999992, top-1 agreement 1.0, accuracy 0.98 both
        assertTrue(o.snrDb() > 35, "SNR " + o.snrDb());
        assertTrue(o.classification().top1Agreement() >= 0.99, o.toString());
        assertEquals(o.classification().accuracyA(), o.classification().accuracyB(), 0.02);
    }

    @Test
    void twoPackagesAgainstEachOther() throws Exception {
        Path fp32 = FIXTURES.resolve("mnist_dwnet_fp32_ios18.mlpackage");
        CompareReport same = compare(fp32, fp32, TEST_X, "-1,1,28,28", null, 10, Map.of());
        assertEquals(0.0, same.outputs().get(0).maxAbsError());
        CompareReport pal = compare(fp32, FIXTURES.resolve("mnist_dwnet_pal4_ios16.mlpackage"), TEST_X, "-1,1,28,28", TEST_Y, 50, Map.of());
        OutputComparison o = pal.outputs().get(0);
        assertTrue(o.snrDb() > 10 && o.snrDb() < 60, "SNR " + o.snrDb());
        assertTrue(o.classification().top1Agreement() >= 0.9, o.toString());
    }

    @Test
    void onnxAgainstItsOwnCoreMlConversion() throws Exception {
        Path minilm = Path.of("target/test-models/minilm/all-minilm-l6-v2.onnx");
        assertTrue(java.nio.file.Files.isRegularFile(minilm), "MiniLM test models are fetched by the build");
        Model model = new OnnxFormat().read(minilm);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline("convert_to_mil{input_shapes=[\"input_ids:1,16\", "
                        + "\"attention_mask:1,16\", \"token_type_ids:1,16\"]}"), model);
        Path pkg = tmp.resolve("minilm.mlpackage");
        LoweredCoreMl.write(model, pkg);
        // ONNX takes int64 ids, the package int32: compare converts A's inputs for B
        CompareReport r = compare(minilm, pkg, null, null, null, 2, Map.of("input_ids", new long[] {1, 16},
                "attention_mask", new long[] {1, 16}, "token_type_ids", new long[] {1, 16}));
        OutputComparison o = r.outputs().get(0);
        assertEquals(List.of(1L, 16L, 384L), o.shape());
        // measured 117 dB at 32 tokens: the conversion and the interpreter are float32-exact up to rounding order
        assertTrue(o.snrDb() > 90, "SNR " + o.snrDb());
    }

    @Test
    void anInputThatDoesNotFitInt32IsABadInput() {
        TensorData big = TensorData.ofBuffer(dev.pare.ir.TensorType.of(dev.pare.ir.DType.INT64, 2),
                java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(1L << 40).flip());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InputCast.to(dev.pare.ir.DType.INT32, big, "ids"));
        assertEquals("input 'ids': element 1 = 1099511627776 does not fit int32", e.getMessage());
        assertTrue(InputCast.converts(dev.pare.ir.DType.FLOAT16, dev.pare.ir.DType.FLOAT32));
        assertTrue(!InputCast.converts(dev.pare.ir.DType.FLOAT32, dev.pare.ir.DType.INT32));
    }

    @Test
    void theExecutorCapturesValuesAndRunsASnapshot() throws Exception {
        Graph g = IrParser.parse("""
                graph g(%x: f32[2]) {
                  %y: f32[2] = mil.relu(%x) {params=["x"]} @r
                  %z: f32[2] = mil.exp(%y) {params=["x"]} @e
                  return %z
                }
                """, "test.ir");
        Value y = g.value("y").orElseThrow();
        try (ModelExecutor.Session s = new MilModelExecutor().open(g, List.of(y))) {
            // a rewrite after opening does not change what the session runs
            Node e = g.nodes().get(1);
            g.rewriter().setOperand(e, 0, g.inputs().get(0)); // exp(x) instead of exp(relu(x))
            Map<String, TensorData> out = s.run(Map.of("x", TensorData.ofFloats(new long[] {2}, -1f, 0.5f)));
            assertEquals(List.of("z", "y"), List.copyOf(out.keySet()));
            assertEquals(0f, out.get("y").bytes().getFloat(0));
            assertEquals(1f, out.get("z").bytes().getFloat(0), "exp(relu(-1)), as when the session opened");
            assertEquals((float) Math.exp(0.5), out.get("z").bytes().getFloat(4), 1e-6);
        }
        Graph onnx = IrParser.parse("""
                graph g(%x: f32[2]) {
                  %y: f32[2] = onnx.Relu(%x) @r
                  return %y
                }
                """, "test.ir");
        ModelExecutionException refused = assertThrows(ModelExecutionException.class, () -> new MilModelExecutor().open(onnx, List.of()));
        assertEquals("node 'r' is onnx.Relu: the MIL interpreter runs Core ML programs (mil.* ops) only", refused.getMessage());
    }
}
