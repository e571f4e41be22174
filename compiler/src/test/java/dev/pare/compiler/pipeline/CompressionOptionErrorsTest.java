package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Model;
import dev.pare.spi.Diagnostic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Impossible compression options fail before any work: option values and combinations when the
 * pipeline is compiled (P006/P007 with location), options that do not fit a weight when the pass
 * starts (CW012 naming the weight and node, with no weight changed).
 */
class CompressionOptionErrorsTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final Path MINILM = Path.of("target/test-models/minilm/all-minilm-l6-v2.onnx");

    private final PassRegistry registry;
    private final PipelineCompiler compiler;

    CompressionOptionErrorsTest() throws Exception {
        registry = PassRegistry.discover(getClass().getClassLoader());
        compiler = new PipelineCompiler(registry);
    }

    private String error(String pipeline) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(pipeline)).getMessage();
    }

    @Test
    void nbitsFiveAndNineGetTheSameCodeAtTheValueAndListTheValidSet() {
        assertEquals("""
                <pipeline>:1:17: error[P006]: option 'nbits' of pass 'palettize' must be one of 1, 2, 3, 4, 6, 8, got 5
                    palettize{nbits=5}
                                    ^""", error("palettize{nbits=5}"));
        for (String bad : List.of("9", "7", "0", "-1", "16")) {
            assertEquals("<pipeline>:1:17: error[P006]: option 'nbits' of pass 'palettize' must be one of 1, 2, 3, 4, 6, 8, got "
                    + bad, error("palettize{nbits=" + bad + "}").lines().findFirst().orElseThrow(), bad);
        }
        // in a where-arm the value is pointed at too
        assertEquals("<pipeline>:1:51: error[P006]: option 'nbits' of pass 'palettize' must be one of 1, 2, 3, 4, 6, 8, got 5",
                error("palettize{nbits=4} where { op_name(\"a\") -> {nbits=5} }").lines().findFirst().orElseThrow());
    }

    @Test
    void targetSparsityOutsideZeroToOneSaysTheRangeAtTheValue() throws Exception {
        for (String bad : List.of("1", "1.5", "-0.25")) {
            String text = "prune{mode=magnitude, target_sparsity=" + bad + "}";
            assertEquals("<pipeline>:1:39: error[P006]: option 'target_sparsity' of pass 'prune' must be in [0, 1), got "
                    + Double.parseDouble(bad), error(text).lines().findFirst().orElseThrow(), text);
        }
        compiler.parseInline("prune{mode=magnitude, target_sparsity=0.999}");
    }

    @Test
    void otherImpossibleCombinationsAreReportedAtTheOptionBlock() {
        assertEquals("<pipeline>:1:10: error[P007]: invalid options for pass 'palettize': uniform mode does not support cluster_dim > 1",
                error("palettize{mode=uniform, cluster_dim=2}").lines().findFirst().orElseThrow());
        assertEquals("<pipeline>:1:22: error[P006]: option 'group_size' of pass 'palettize' must be >= 1, got 0",
                error("palettize{group_size=0}").lines().findFirst().orElseThrow());
        assertEquals("<pipeline>:1:6: error[P007]: invalid options for pass 'prune': target_sparsity needs mode=magnitude",
                error("prune{target_sparsity=0.5}").lines().findFirst().orElseThrow());
    }

    private RunReport run(String pipeline, Model model) throws Exception {
        PassManager pm = PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        return pm.run(compiler.parseInline(pipeline), model);
    }

    private String failure(String pipeline, Model model) {
        String before = IrPrinter.print(model.graph());
        Exception e = assertThrows(Exception.class, () -> run(pipeline, model));
        assertEquals(before, IrPrinter.print(model.graph()), "the model changed before the failure");
        return e.getMessage();
    }

    @Test
    void weightLevelMisfitsNameTheWeightAndNodeAndChangeNothing() throws Exception {
        Model model = new OnnxFormat().read(MNIST);
        assertEquals("error[CW012] pass 'palettize' failed at <pipeline>:1:1 on node '/blocks/blocks.1/pw/Conv' (onnx.Conv): palettize: "
                + "weight 'onnx::Conv_261' of '/blocks/blocks.1/pw/Conv': unique mode allows at most 256 distinct values per LUT, found 4096; no weight was compressed",
                failure("palettize{mode=unique}", model).lines().findFirst().orElseThrow());
        assertEquals("error[CW012] pass 'palettize' failed at <pipeline>:1:1 on node '/blocks/blocks.1/pw/Conv' (onnx.Conv): palettize: "
                + "weight 'onnx::Conv_261' of '/blocks/blocks.1/pw/Conv': group_size 5 does not divide the 64 channels on axis 0; no weight was compressed",
                failure("palettize{granularity=per_grouped_channel, group_size=5}", model).lines().findFirst().orElseThrow());
        assertEquals("error[CW012] pass 'quantize_weights' failed at <pipeline>:1:1 on node '/blocks/blocks.1/pw/Conv' (onnx.Conv): "
                + "quantize_weights: weight 'onnx::Conv_261' of '/blocks/blocks.1/pw/Conv': block_size 1024 is larger than the 64 inputs on axis 1; no weight was compressed",
                failure("quantize_weights{granularity=per_block, block_size=1024}", model).lines().findFirst().orElseThrow());
    }

    @Test
    void defaultPalettizationSkipsWeightsThatWereNotPalettizedInTraining() throws Exception {
        for (Path file : List.of(MNIST, MINILM)) {
            assertTrue(Files.isRegularFile(file), file + " is missing; build from the repository root (mvn -B verify)");
            Model model = new OnnxFormat().read(file);
            RunReport report = run("DEFAULT_PALETTIZATION", model);
            List<Diagnostic> notes = report.diagnostics().stream().filter(d -> d.code().equals("CW002")).toList();
            assertTrue(!notes.isEmpty(), file + ": " + report.diagnostics());
            assertTrue(notes.get(0).message().contains("left dense: unique mode allows at most 256 distinct values per LUT, found "),
                    notes.get(0).message());
        }
    }
}
