package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in {@code CLEANUP} pipeline, run through the Guice-wired pass manager with the
 * passes discovered on the class path, on real models: ONNX Runtime computes bit-identical
 * outputs before and after, and no graph grows. Each test prints one row of the README's
 * "Cleanup results" table.
 */
class CleanupOnRealModelsTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final Path MNIST_TEST_X = Path.of("src/test/resources/models/mnist_dwnet/test_x.f32");
    static final Path MINILM = Path.of("target/test-models/minilm/all-minilm-l6-v2.onnx");
    static final Path OCR_DET = Path.of("target/test-models/ppocr/ch_PP-OCRv4_det_infer.onnx");
    static final Path OCR_REC = Path.of("target/test-models/ppocr/ch_PP-OCRv4_rec_infer.onnx");

    @TempDir Path tmp;

    /** Sizes of one model before or after cleanup. */
    record Shape(long nodes, long constantNodes, long weights, long weightBytes, long fileBytes) {
        static Shape of(Model m, Path file) throws Exception {
            ModelReport r = ModelInspector.inspect(m);
            long constants = m.graph().allNodes().stream().filter(n -> n.op().equals("onnx.Constant")).count();
            return new Shape(r.nodes(), constants, r.weights().size(), r.bytes(), Files.size(file));
        }
    }

    private Shape[] cleanupAndCompare(Path model, Map<String, Tensor> inputs) throws Exception {
        assertTrue(Files.isRegularFile(model), model + " is missing; build from the repository root (mvn -B verify)");
        OnnxFormat onnx = new OnnxFormat();
        Model m = onnx.read(model);
        Shape before = Shape.of(m, model);
        Map<String, Long> opsBefore = histogram(m);

        Injector injector = Guice.createInjector(new CompilerModule(CompilerConfig.defaults()));
        CompilerModule.registry(injector);
        PipelineSpec cleanup = injector.getInstance(PipelineCompiler.class).parseInline("CLEANUP");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        RunReport report = injector.getInstance(PassManagerFactory.class)
                .create(PassManagerOptions.DEFAULTS, new PrintStream(log, true, StandardCharsets.UTF_8), null)
                .run(cleanup, m);
        assertTrue(report.diagnostics().isEmpty(), report.diagnostics().toString());

        Path out = tmp.resolve(model.getFileName());
        onnx.write(m, out);
        Shape after = Shape.of(onnx.read(out), out);
        assertTrue(after.nodes() <= before.nodes(), "nodes " + before.nodes() + " -> " + after.nodes());
        // No op type gains nodes: cleanup only removes, folds and merges.
        Map<String, Long> opsAfter = histogram(m);
        opsAfter.forEach((op, n) -> assertTrue(n <= opsBefore.getOrDefault(op, 0L), op + ": " + opsBefore.get(op) + " -> " + n));

        assertSameOutputs(OrtRunner.run(model, inputs), OrtRunner.run(out, inputs));
        System.out.printf(Locale.ROOT, "cleanup %s: nodes %d -> %d, Constant nodes %d -> %d, weights %d -> %d (%d -> %d bytes), file %d -> %d bytes%n",
                model.getFileName(), before.nodes(), after.nodes(), before.constantNodes(), after.constantNodes(),
                before.weights(), after.weights(), before.weightBytes(), after.weightBytes(), before.fileBytes(), after.fileBytes());
        return new Shape[] {before, after};
    }

    private static Map<String, Long> histogram(Model m) {
        Map<String, Long> h = new LinkedHashMap<>();
        for (Node n : m.graph().allNodes()) h.merge(n.op(), 1L, Long::sum);
        return h;
    }

    private static void assertSameOutputs(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            Tensor e = expected.get(name);
            Tensor a = actual.get(name);
            assertArrayEquals(e.shape(), a.shape(), name + " shape");
            if (e.floats() != null) {
                assertArrayEquals(bits(e.floats()), bits(a.floats()), name + " float bits");
            } else {
                assertArrayEquals(e.longs(), a.longs(), name);
            }
        }
    }

    private static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < b.length; i++) b[i] = Float.floatToRawIntBits(values[i]);
        return b;
    }

    @Test
    void mnist() throws Exception {
        byte[] raw = Files.readAllBytes(MNIST_TEST_X);
        int images = raw.length / (28 * 28 * 4);
        float[] x = new float[images * 28 * 28];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        Shape[] s = cleanupAndCompare(MNIST, Map.of("input", Tensor.ofFloats(new long[] {images, 1, 28, 28}, x)));
        // The 34 scalar Clip bounds are 2 distinct values: deduplication keeps one of each.
        assertEquals(34, s[0].constantNodes());
        assertTrue(s[1].constantNodes() < s[0].constantNodes(), "Constant nodes " + s[0].constantNodes() + " -> " + s[1].constantNodes());
    }

    @Test
    void miniLm() throws Exception {
        int batch = 2;
        int seq = 12;
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] types = new long[batch * seq];
        SplittableRandom r = new SplittableRandom(7);
        for (int b = 0; b < batch; b++) {
            int len = b == 0 ? seq : 8;
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                ids[i] = t == 0 ? 101 : t == len - 1 ? 102 : t < len ? 1000 + r.nextInt(20000) : 0;
                mask[i] = t < len ? 1 : 0;
            }
        }
        long[] shape = {batch, seq};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, mask));
        in.put("token_type_ids", Tensor.ofLongs(shape, types));
        Shape[] s = cleanupAndCompare(MINILM, in);
        assertTrue(s[1].nodes() < s[0].nodes(), "nodes " + s[0].nodes() + " -> " + s[1].nodes());
    }

    private static float[] image(int h, int w, long seed) {
        float[] x = new float[3 * h * w];
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int i = 0; i < w; i++) {
                    double v = ((y / 6 + i / 9 + c) % 2 == 0 ? 0.8 : -0.8) + (r.nextDouble() - 0.5) * 0.2;
                    x[(c * h + y) * w + i] = (float) v;
                }
            }
        }
        return x;
    }

    @Test
    void ppOcrDetection() throws Exception {
        cleanupAndCompare(OCR_DET, Map.of("x", Tensor.ofFloats(new long[] {1, 3, 96, 128}, image(96, 128, 1))));
    }

    @Test
    void ppOcrRecognition() throws Exception {
        cleanupAndCompare(OCR_REC, Map.of("x", Tensor.ofFloats(new long[] {1, 3, 48, 160}, image(48, 160, 2))));
    }
}
