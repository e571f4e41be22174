package dev.pare.compiler.e2e;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import static dev.pare.compiler.testing.OutputAssertions.assertBitIdentical;
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
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in {@code CLEANUP} pipeline, run through the Guice-wired pass manager with the
 * passes discovered on the class path, on real models: ONNX Runtime computes bit-identical
 * outputs before and after, and no graph grows. Each test prints one row of the README's
 * "Cleanup results" table.
 */
class CleanupOnRealModelsTest {

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
        onnx.write(OnnxLowering.lower(m), out);
        Shape after = Shape.of(onnx.read(out), out);
        assertTrue(after.nodes() <= before.nodes(), "nodes " + before.nodes() + " -> " + after.nodes());
        // No op type gains nodes: cleanup only removes, folds and merges.
        Map<String, Long> opsAfter = histogram(m);
        opsAfter.forEach((op, n) -> assertTrue(n <= opsBefore.getOrDefault(op, 0L), op + ": " + opsBefore.get(op) + " -> " + n));

        assertBitIdentical(OrtRunner.run(model, inputs), OrtRunner.run(out, inputs));
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

    @Test
    void mnist() throws Exception {
        Shape[] s = cleanupAndCompare(TestModels.MNIST, RealModelInputs.mnistTestImages());
        // The 34 scalar Clip bounds are 2 distinct values: deduplication keeps one of each.
        assertEquals(34, s[0].constantNodes());
        assertTrue(s[1].constantNodes() < s[0].constantNodes(), "Constant nodes " + s[0].constantNodes() + " -> " + s[1].constantNodes());
    }

    @Test
    void miniLm() throws Exception {
        Shape[] s = cleanupAndCompare(TestModels.MINILM, RealModelInputs.miniLmTokens());
        assertTrue(s[1].nodes() < s[0].nodes(), "nodes " + s[0].nodes() + " -> " + s[1].nodes());
    }

    @Test
    void ppOcrDetection() throws Exception {
        cleanupAndCompare(TestModels.OCR_DET, RealModelInputs.ocrDetectionImage());
    }

    @Test
    void ppOcrRecognition() throws Exception {
        cleanupAndCompare(TestModels.OCR_REC, RealModelInputs.ocrRecognitionImage());
    }
}
