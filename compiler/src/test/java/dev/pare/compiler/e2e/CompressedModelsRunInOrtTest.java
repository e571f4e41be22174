package dev.pare.compiler.e2e;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The compressed real models run in ONNX Runtime, and compute what their {@code decompress_weights}
 * version computes. Each model is compressed with a built-in pipeline through the pass manager and
 * written as ONNX (the writer lowers the {@code pare.*} ops and raises the opset through the
 * upgrader when the compressed form needs it: MiniLM and PP-OCRv4 det are opset 11, rec opset 9).
 * Then {@code decompress_weights} runs on the same compressed IR, which is exactly what the pipeline
 * {@code P, decompress_weights} gives, and that reference is upgraded to the compressed file's
 * opset, so the two files differ only in how the weights are stored. Both run in ORT on the same
 * inputs with {@code session.qdq_matmulnbits_accuracy_level=0}.
 *
 * <p>With ORT's default session (what users run), palettized and pruned models give bit-identical
 * outputs: ORT constant-folds the LUT and mask decodes into plain initializers. Models with
 * {@code DequantizeLinear} weights differ in the last bits, because ORT keeps DequantizeLinear
 * (for its QDQ fusions), so the weight feeding Conv/MatMul is not a constant: it is not pre-packed,
 * and fusions that fold constants into it (Conv + BatchNormalization, MatMul + Add/scale) do not
 * apply, so the same math is summed and rounded in another order. The tolerance bounds the largest
 * absolute difference relative to the output's largest magnitude (at least 1): 2e-5, where the
 * measured worst case was 7.3e-6 (rec, int8); quantization itself changes outputs by orders of
 * magnitude more. With graph optimizations and pre-packing switched off, every case, including
 * DequantizeLinear, is checked to be bit-exact: the decoded weights are identical.
 */
class CompressedModelsRunInOrtTest {

    /** ORT without weight pre-packing (used with graph optimizations off). */
    private static final Map<String, String> PLAIN_KERNELS = Map.of("session.disable_prepacking", "1");

    private static PassRegistry registry;

    @TempDir Path tmp;

    @BeforeAll
    static void discover() throws Exception {
        registry = PassRegistry.discover(CompressedModelsRunInOrtTest.class.getClassLoader());
    }

    private static PassManager passManager() throws Exception {
        return PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
    }

    /**
     * The largest difference of one output, absolute and relative to the reference's largest
     * magnitude (at least 1, so that outputs that are almost all zero are judged in absolute terms).
     */
    record Difference(long differing, long total, double maxAbs, double relative) {}

    private static Difference difference(Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape());
        if (expected.floats() == null) {
            assertArrayEquals(expected.longs(), actual.longs());
            return new Difference(0, expected.longs().length, 0, 0);
        }
        float[] e = expected.floats();
        float[] a = actual.floats();
        long differing = 0;
        double maxAbs = 0;
        double scale = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) differing++;
            maxAbs = Math.max(maxAbs, Math.abs((double) e[i] - a[i]));
            scale = Math.max(scale, Math.abs(e[i]));
        }
        return new Difference(differing, e.length, maxAbs, maxAbs / Math.max(1, scale));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "mnist, QUANTIZE_INT8, 2e-5", "mnist, QUANTIZE_INT4_BLOCK32, 2e-5", "mnist, PALETTIZE_4BIT, 0",
            "mnist, PRUNE_50, 0", "mnist, JOINT_PRUNE_PALETTIZE, 0",
            "minilm, PALETTIZE_4BIT, 0", "minilm, QUANTIZE_INT8, 2e-5", "minilm, QUANTIZE_INT4_BLOCK32, 2e-5",
            "minilm, PRUNE_50, 0", "minilm, JOINT_PRUNE_PALETTIZE, 0",
            "det, QUANTIZE_INT8, 2e-5", "det, QUANTIZE_INT4_BLOCK32, 2e-5", "det, PALETTIZE_4BIT, 0",
            "det, PRUNE_50, 0", "det, JOINT_PRUNE_PALETTIZE, 0",
            "rec, QUANTIZE_INT8, 2e-5", "rec, QUANTIZE_INT4_BLOCK32, 2e-5", "rec, PALETTIZE_4BIT, 0",
            "rec, PRUNE_50, 0", "rec, JOINT_PRUNE_PALETTIZE, 0"})
    void compressedModelMatchesItsDecompressedVersion(String name, String pipeline, double tolerance) throws Exception {
        Path original = TestModels.byName(name);
        assertTrue(Files.isRegularFile(original), original + " is missing; build from the repository root (mvn -B verify)");
        OnnxFormat onnx = new OnnxFormat();
        Model model = onnx.read(original);
        long opset = model.opsetVersion("");

        long t0 = System.nanoTime();
        passManager().run(new PipelineCompiler(registry).parseInline(pipeline), model);
        long t1 = System.nanoTime();
        assertTrue(model.graph().allNodes().stream().map(Node::dialect).anyMatch("pare"::equals), pipeline + " compressed nothing");
        Path compressed = tmp.resolve(name + "-compressed.onnx");
        onnx.write(OnnxLowering.lower(model), compressed);
        long written = onnx.read(compressed).opsetVersion("");

        passManager().run(new PipelineCompiler(registry).parseInline("decompress_weights"), model);
        assertTrue(model.graph().allNodes().stream().map(Node::dialect).noneMatch("pare"::equals), "decompress_weights left pare ops");
        OpsetUpgrader.upgrade(model, written);
        Path reference = tmp.resolve(name + "-decompressed.onnx");
        onnx.write(OnnxLowering.lower(model), reference);

        Map<String, Tensor> in = RealModelInputs.forModel(name, 200);
        Map<String, Tensor> expected = OrtRunner.run(reference, in, OrtRunner.EXACT_MATMUL_NBITS);
        Map<String, Tensor> actual = OrtRunner.run(compressed, in, OrtRunner.EXACT_MATMUL_NBITS);
        assertEquals(expected.keySet(), actual.keySet());
        long sizeOriginal = Files.size(original);
        // with its external data: compressed tensors of 1 MiB or more go to <file>.data
        Path compressedData = compressed.resolveSibling(compressed.getFileName() + ".data");
        long sizeCompressed = Files.size(compressed) + (Files.exists(compressedData) ? Files.size(compressedData) : 0);
        for (String output : expected.keySet()) {
            Difference d = difference(expected.get(output), actual.get(output));
            System.out.printf(Locale.ROOT, "ORT %-6s %-22s opset %d->%d  %s: %d/%d differ, max abs %.3g, rel %.3g;"
                            + " file %d -> %d bytes (%.1f%%); compress %.2f s%n",
                    name, pipeline, opset, written, output, d.differing(), d.total(), d.maxAbs(), d.relative(),
                    sizeOriginal, sizeCompressed, 100.0 * sizeCompressed / sizeOriginal, (t1 - t0) / 1e9);
            assertTrue(d.relative() <= tolerance, name + " " + pipeline + " " + output + ": " + d);
        }
        // Without graph optimizations and weight pre-packing ORT runs the same kernels on the same
        // weights in both files: the decoded weights are bit-identical, and so are the outputs.
        Map<String, Tensor> plainExpected = OrtRunner.runUnoptimized(reference, in, PLAIN_KERNELS);
        Map<String, Tensor> plainActual = OrtRunner.runUnoptimized(compressed, in, PLAIN_KERNELS);
        for (String output : plainExpected.keySet()) {
            Difference d = difference(plainExpected.get(output), plainActual.get(output));
            assertEquals(0, d.differing(), name + " " + pipeline + " " + output + " without optimizations: " + d);
        }
        assertTrue(sizeCompressed < sizeOriginal, "compressed " + sizeCompressed + " >= original " + sizeOriginal);
    }
}
