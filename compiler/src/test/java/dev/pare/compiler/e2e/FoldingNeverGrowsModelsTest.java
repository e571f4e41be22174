package dev.pare.compiler.e2e;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import dev.pare.ir.text.IrParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shape of the face detector in issue 17: 11 ConstantOfShape nodes whose results are added to
 * feature maps. const_folding used to store them as 11 tensors of 9,984 bytes (+107 KiB), so
 * PRUNE_50 ended larger than the input and PALETTIZE_4BIT far from its 4-bit ratio. With the default
 * {@code max_growth_bytes} they stay ConstantOfShape nodes; {@code max_growth_bytes=1000000000}
 * gives back the old behaviour for comparison.
 */
class FoldingNeverGrowsModelsTest {

    private static final int STAGES = 11;
    private static final String OLD_CLEANUP = "fixpoint{max_iterations=8} {identity_elimination,"
            + " const_folding{max_growth_bytes=1000000000}, const_deduplication, dead_code_elimination}, topological_reorder";

    @TempDir Path tmp;

    private static PassRegistry registry;

    @BeforeAll
    static void discover() throws Exception {
        registry = PassRegistry.discover(FoldingNeverGrowsModelsTest.class.getClassLoader());
    }

    /** x: f32[1,16,13,12]; 11 times: Conv 3x3 (16 -> 16, seeded weights, over palettize's 2048-element threshold), plus ConstantOfShape(shape) filled with 0.01·i. */
    private static String detectorLike() {
        StringBuilder ir = new StringBuilder("graph detector(%x: f32[1,16,13,12]) {\n");
        SplittableRandom r = new SplittableRandom(17);
        String y = "x";
        for (int i = 0; i < STAGES; i++) {
            StringBuilder w = new StringBuilder();
            for (int k = 0; k < 16 * 16 * 3 * 3; k++) w.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", r.nextGaussian() * 0.1));
            ir.append("  %w").append(i).append(": f32[16,16,3,3] = const dense<f32[16,16,3,3]: [").append(w).append("]>\n");
            ir.append("  %shape").append(i).append(": i64[4] = const dense<i64[4]: [1, 16, 13, 12]>\n");
            ir.append("  %c").append(i).append(": f32[1,16,13,12] = onnx.Conv(%").append(y).append(", %w").append(i)
                    .append(") {pads=[1, 1, 1, 1]} @conv").append(i).append('\n');
            ir.append("  %z").append(i).append(": f32[1,16,13,12] = onnx.ConstantOfShape(%shape").append(i)
                    .append(") {value=dense<f32[1]: [").append(String.format(Locale.ROOT, "%.2f", 0.01 * i)).append("]>} @fill").append(i).append('\n');
            ir.append("  %a").append(i).append(": f32[1,16,13,12] = onnx.Add(%c").append(i).append(", %z").append(i).append(") @add").append(i).append('\n');
            y = "a" + i;
        }
        return ir.append("  return %").append(y).append("\n}\n").toString();
    }

    private Path compile(Path input, String pipeline, String outName) throws Exception {
        OnnxFormat onnx = new OnnxFormat();
        Model m = onnx.read(input);
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), m);
        Path out = tmp.resolve(outName);
        onnx.write(OnnxLowering.lower(m), out);
        return out;
    }

    @Test
    void constantOfShapeStaysAnExpressionAndCompressionRatiosHold() throws Exception {
        Model source = new Model("onnx", IrParser.parse(detectorLike()));
        source.setOpsets(List.of(new Model.OpsetImport("", 13)));
        source.setProperty("ir_version", "7");
        Path in = tmp.resolve("detector.onnx");
        new OnnxFormat().write(source, in);
        long original = Files.size(in);

        long cleanup = Files.size(compile(in, "CLEANUP", "cleanup.onnx"));
        long cleanupOld = Files.size(compile(in, OLD_CLEANUP, "cleanup-old.onnx"));
        long prune = Files.size(compile(in, "PRUNE_50", "prune.onnx"));
        long pruneOld = Files.size(compile(in, "prune{mode=magnitude, target_sparsity=0.5}, " + OLD_CLEANUP, "prune-old.onnx"));
        Path palettized = compile(in, "PALETTIZE_4BIT", "pal4.onnx");
        long pal = Files.size(palettized);
        long palOld = Files.size(compile(in, "palettize{mode=kmeans, nbits=4}, " + OLD_CLEANUP, "pal4-old.onnx"));
        System.out.printf(Locale.ROOT, "detector-like (11 ConstantOfShape): original %d bytes; CLEANUP %d (was %d);"
                        + " PRUNE_50 %d = %.2fx (was %d = %.2fx); PALETTIZE_4BIT %d = %.2fx (was %d = %.2fx)%n",
                original, cleanup, cleanupOld, prune, (double) prune / original, pruneOld, (double) pruneOld / original,
                pal, (double) pal / original, palOld, (double) palOld / original);

        // The zero-fill tensors are 11 x 9,984 bytes: storing them is what the old folding did.
        assertTrue(cleanupOld >= original + STAGES * 9_984 - 1024, "old folding stored the fills: " + cleanupOld);
        assertTrue(cleanup <= original, "cleanup grew the model: " + original + " -> " + cleanup);
        assertTrue(prune < original && pal < prune, "PRUNE_50 " + prune + ", PALETTIZE_4BIT " + pal + " of " + original);
        assertEquals(STAGES * 9_984.0, cleanupOld - cleanup, 2048.0, "the difference is the stored fills");

        // The palettized model still computes: same output shape as the original in ONNX Runtime.
        float[] x = new float[16 * 13 * 12];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) * 0.1f;
        Map<String, Tensor> inputs = Map.of("x", Tensor.ofFloats(new long[] {1, 16, 13, 12}, x));
        assertEquals(List.of(1L, 16L, 13L, 12L), boxed(OrtRunner.run(palettized, inputs).get("a" + (STAGES - 1)).shape()));
    }

    private static List<Long> boxed(long[] a) { return java.util.Arrays.stream(a).boxed().toList(); }
}
