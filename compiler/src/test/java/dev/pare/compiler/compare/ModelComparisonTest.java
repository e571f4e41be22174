package dev.pare.compiler.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pare compare} end to end on the MNIST depthwise net: against itself, and against an
 * int8-weight copy compiled here, on the 2000 labelled test digits (float accuracy 0.9830).
 */
class ModelComparisonTest {

    private static final Path DIR = Path.of("src/test/resources/models/mnist_dwnet");
    private static final Path MNIST = DIR.resolve("model.onnx");
    private static final Path TEST_X = DIR.resolve("test_x.f32");
    private static final Path TEST_Y = DIR.resolve("test_y.u8");

    @TempDir static Path tmp;
    private static Path int8;

    @BeforeAll
    static void compileInt8Copy() throws Exception {
        PassRegistry registry = PassRegistry.discover(ModelComparisonTest.class.getClassLoader());
        OnnxFormat onnx = new OnnxFormat();
        Model model = onnx.read(MNIST);
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        pm.run(new PipelineCompiler(registry).parseInline("QUANTIZE_INT8"), model);
        int8 = tmp.resolve("int8.onnx");
        onnx.write(model, int8);
    }

    private static CompareReport compare(Path a, Path b, Path data, String spec, Path labels, Integer samples,
            Map<String, long[]> shapes) throws CompareException {
        return new ModelComparison(ModelFormats.discover()).run(new CompareRequest(a, b, data, spec, labels, 0, samples, shapes, 1));
    }

    @Test
    void mnistAgainstItselfAgreesEverywhere() throws Exception {
        CompareReport r = compare(MNIST, MNIST, TEST_X, "-1,1,28,28", TEST_Y, null, Map.of());
        assertEquals(2000, r.samples());
        OutputComparison o = r.outputs().get(0);
        assertEquals(Double.POSITIVE_INFINITY, o.snrDb());
        assertEquals(0.0, o.maxAbsError());
        assertEquals(1.0, o.cosine(), 1e-12);
        assertEquals(1.0, o.classification().top1Agreement());
        assertEquals(1.0, o.classification().top5Agreement());
        assertEquals(2000, o.classification().labeled());
        assertEquals(0.9830, o.classification().accuracyA(), 1e-12);
        assertEquals(0.9830, o.classification().accuracyB(), 1e-12);
        System.out.print(CompareText.render(r));
    }

    @Test
    void mnistAgainstInt8Weights() throws Exception {
        CompareReport r = compare(MNIST, int8, TEST_X, "-1,1,28,28", TEST_Y, null, Map.of());
        OutputComparison o = r.outputs().get(0);
        System.out.print(CompareText.render(r));
        System.out.print(CompareJson.write(r));
        assertEquals(0.9830, o.classification().accuracyA(), 1e-12);
        assertTrue(o.snrDb() > 20 && o.snrDb() < 80, "SNR " + o.snrDb());
        assertTrue(o.classification().top1Agreement() > 0.98, "top-1 " + o.classification().top1Agreement());
    }
}
