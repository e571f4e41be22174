package dev.pare.compiler.passmanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testpasses.TestGraphs;
import dev.pare.compiler.testpasses.TestRegistries;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstrumentationTest {

    private final PassRegistry registry = TestRegistries.standard();
    private final PipelineCompiler compiler = new PipelineCompiler(registry);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String run(PassManagerOptions options, String pipeline, Graph graph) throws Exception {
        PassManager.builder(registry).options(options).output(out).build().run(compiler.parseInline(pipeline), graph);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void timingTableHasOneRowPerPassInFirstRunOrder() throws Exception {
        String text = run(PassManagerOptions.DEFAULTS.withTiming(true), "mark, fixpoint { erase_one_dead }, mark{nbits=2}",
                TestGraphs.chain(true));
        List<String> lines = text.lines().toList();
        assertEquals("=== pass timing ===", lines.get(0));
        assertTrue(Pattern.matches("pass\\s+runs\\s+total ms\\s+%", lines.get(1)), lines.get(1));
        assertRow(lines.get(2), "mark", 2);
        assertRow(lines.get(3), "(verifier)", 6);
        assertRow(lines.get(4), "erase_one_dead", 4);
        assertTrue(Pattern.matches("total\\s+\\d+\\.\\d{3}\\s+100\\.0", lines.get(5)), lines.get(5));
        assertEquals(6, lines.size());
    }

    private static void assertRow(String line, String pass, int runs) {
        assertTrue(Pattern.matches(Pattern.quote(pass) + "\\s+" + runs + "\\s+\\d+\\.\\d{3}\\s+\\d+\\.\\d", line), line);
    }

    @Test
    void printIrAfterChangePrintsOnlyWhenTheTextChanged() throws Exception {
        Graph g = TestGraphs.chain(false);
        // the second mark writes the same attributes again: no change, nothing printed
        String text = run(PassManagerOptions.DEFAULTS.withPrintIrAfterChange(true), "mark{nbits=3}, mark{nbits=3}, erase_one_dead", g);
        assertEquals("// ----- IR after pass 'mark' (step 0, <pipeline>:1:1) -----\n" + IrPrinter.print(g), text);
    }

    @Test
    void printIrBeforeAndAfterNamedPassesAndAfterAll() throws Exception {
        Graph g = TestGraphs.chain(false);
        String before = IrPrinter.print(g);
        String text = run(PassManagerOptions.DEFAULTS.withPrintIrBefore(Set.of("mark")).withPrintIrAfter(Set.of("erase_one_dead")),
                "mark, erase_one_dead", g);
        assertEquals("// ----- IR before pass 'mark' (step 0, <pipeline>:1:1) -----\n" + before
                + "// ----- IR after pass 'erase_one_dead' (step 1, <pipeline>:1:7) -----\n" + IrPrinter.print(g), text);
        bytes.reset();
        String all = run(PassManagerOptions.DEFAULTS.withPrintIrAfterAll(true), "fixpoint{max_iterations=2} { erase_one_dead }",
                TestGraphs.chain(false));
        assertEquals(List.of("// ----- IR after pass 'erase_one_dead' (step 0, iteration 1, <pipeline>:1:30) -----"),
                all.lines().filter(l -> l.startsWith("//")).toList());
    }

    @Test
    void passStatisticsListCountersPerStep() throws Exception {
        String text = run(PassManagerOptions.DEFAULTS.withPassStatistics(true), "mark on op_type(conv), fixpoint { erase_one_dead }",
                TestGraphs.chain(true));
        assertEquals("""
                === pass statistics ===
                step 0: mark (<pipeline>:1:1), 1 run
                  nodes_marked 1
                step 1: erase_one_dead (<pipeline>:1:35), 4 runs
                  erased 3
                """, text);
    }

    @Test
    void hooksRunInOrderWithExactlyOneAfterHookPerPass() throws Exception {
        List<String> events = new ArrayList<>();
        PassInstrumentation recorder = new PassInstrumentation() {
            @Override public void beforePipeline(PipelineSpec p, Graph g) { events.add("beforePipeline"); }
            @Override public void beforePass(PassExecution e, Graph g) { events.add("before " + e.passName()); }
            @Override public void afterPass(PassExecution e, Graph g, PassOutcome o) { events.add("after " + e.passName() + " " + o.result().changed()); }
            @Override public void afterPassFailed(PassExecution e, Graph g, PassManagerException f) { events.add("failed " + e.passName() + " " + f.code()); }
            @Override public void afterPipeline(PipelineSpec p, Graph g, RunReport r, boolean ok) { events.add("afterPipeline " + ok); }
        };
        PassManager pm = PassManager.builder(registry).output(out).instrumentation(recorder).build();
        assertThrows(PassManagerException.class, () -> pm.run(compiler.parseInline("mark, explode, mark"), TestGraphs.chain(false)));
        assertEquals(List.of("beforePipeline", "before mark", "after mark true", "before explode", "failed explode X001",
                "afterPipeline false"), events);
    }

    @Test
    void reproducerHoldsInputModelCanonicalPipelineSeedAndReplayCommand(@TempDir Path tmp) throws Exception {
        Path input = Files.writeString(tmp.resolve("model.onnx"), "original model bytes");
        Path dir = tmp.resolve("repro");
        PassManager pm = PassManager.builder(registry).output(out)
                .options(PassManagerOptions.DEFAULTS.withSeed(42).withReproducerDir(dir))
                .inputModelWriter(d -> Files.copy(input, d.resolve(input.getFileName())))
                .build();
        PipelineSpec spec = compiler.parseInline("mark{nbits=4}, TIDY, explode");
        PassManagerException e = assertThrows(PassManagerException.class, () -> pm.run(spec, TestGraphs.chain(true)));
        assertEquals("original model bytes", Files.readString(dir.resolve("model.onnx")));
        assertEquals(spec.canonicalText(), Files.readString(dir.resolve("pipeline.pipeline")));
        assertEquals(spec.canonicalText(), compiler.parseFile(dir.resolve("pipeline.pipeline")).canonicalText());
        assertEquals("42\n", Files.readString(dir.resolve("seed")));
        assertEquals("Pare reproducer\n\nThe pipeline failed:\n  " + e.getMessage() + "\n\nReplay it with:\n  pare compile "
                + dir.resolve("model.onnx") + " -o out --pipeline @" + dir.resolve("pipeline.pipeline") + " --seed 42\n",
                Files.readString(dir.resolve("README")));
        assertEquals("reproducer written to " + dir + "\n", bytes.toString(StandardCharsets.UTF_8));
    }
}
