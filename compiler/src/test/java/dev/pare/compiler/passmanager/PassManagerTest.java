package dev.pare.compiler.passmanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testpasses.TestGraphs;
import dev.pare.compiler.testpasses.TestRegistries;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.Diagnostic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PassManagerTest {

    private final PassRegistry registry = TestRegistries.standard();
    private final PipelineCompiler compiler = new PipelineCompiler(registry);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private PassManager manager(PassManagerOptions options) throws PassManagerException {
        return PassManager.builder(registry).options(options).output(out).build();
    }

    @Test
    void runsStepsWithScopedOptions() throws Exception {
        Graph g = TestGraphs.chain(false);
        RunReport report = manager(PassManagerOptions.DEFAULTS).run(
                compiler.parseInline("mark{nbits=4} except op_type(relu) where { op_name(\"conv1\") -> {nbits=2} }"), g);
        assertTrue(report.changed());
        assertEquals(List.of(2L, -1L, 4L), g.nodes().stream().map(n -> n.attributes().getInt("nbits", -1)).toList());
        assertEquals(2L, report.statistics().get(0).counters().get("nodes_marked"));
    }

    @Test
    void fixpointRepeatsUntilNothingChanges() throws Exception {
        Graph g = TestGraphs.chain(true);
        assertEquals(6, g.nodes().size());
        RunReport report = manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline("fixpoint { erase_one_dead }"), g);
        assertEquals(List.of("conv1", "relu1", "encoder.mm"), g.nodes().stream().map(Node::name).toList());
        StepStatistics stats = report.statistics().get(0);
        assertEquals(4, stats.runs()); // three erasing runs, one that finds nothing
        assertEquals(3L, stats.counters().get("erased"));
        assertTrue(report.diagnostics().isEmpty());
    }

    @Test
    void fixpointStopsAtMaxIterationsWithAWarning() throws Exception {
        RunReport report = manager(PassManagerOptions.DEFAULTS).run(
                compiler.parseInline("fixpoint{max_iterations=3} { always_changed }"), TestGraphs.chain(false));
        assertEquals(3, report.statistics().get(0).runs());
        Diagnostic warning = report.diagnostics().get(0);
        assertEquals("M006", warning.code());
        assertEquals("warning[M006] <pipeline>:1:1: fixpoint did not converge after 3 iterations", warning.toString());
    }

    @Test
    void aSelectorThatMatchesNoNodeIsWarnedAboutOncePerStep() throws Exception {
        RunReport report = manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline(
                "fixpoint{max_iterations=3} {\n  always_changed on op_name(\"nothing*\", conv1)\n}"), TestGraphs.chain(false));
        assertEquals(3, report.statistics().get(0).runs());
        assertEquals(List.of("warning[M015] <pipeline>:2:3: step 'always_changed': on op_name(\"nothing*\") matches no node",
                "warning[M006] <pipeline>:1:1: fixpoint did not converge after 3 iterations"),
                report.diagnostics().stream().map(Diagnostic::toString).toList());

        RunReport none = manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline("mark on op_type(softmax)"), TestGraphs.chain(false));
        assertFalse(none.changed());
        assertEquals(List.of("warning[M015] <pipeline>:1:1: step 'mark': on op_type(softmax) matches no node, so the step applies to none"),
                none.diagnostics().stream().map(Diagnostic::toString).toList());
        RunReport matched = manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline("mark on op_type(relu)"), TestGraphs.chain(false));
        assertTrue(matched.diagnostics().isEmpty());
    }

    @Test
    void verificationFailureNamesThePassAndTheStep() throws Exception {
        PipelineSpec spec = compiler.parseInline("mark,\n  reverse_nodes");
        PassManagerException e = assertThrows(PassManagerException.class,
                () -> manager(PassManagerOptions.DEFAULTS).run(spec, TestGraphs.chain(false)));
        assertEquals("error[M002] pass 'reverse_nodes' failed at <pipeline>:2:3: the graph is invalid after the pass: "
                + "V001 operand 0 of onnx.MatMul 'encoder.mm': %b is used before its producer relu1 (graph not topologically "
                + "ordered, or a cycle) (and 2 more)", e.getMessage());
        assertEquals("M002", e.code());
        // with verification off, the broken graph goes through
        manager(PassManagerOptions.DEFAULTS.withVerify(false)).run(spec, TestGraphs.chain(false));
    }

    @Test
    void passFailureNamesPassStepAndNode() throws Exception {
        PassManagerException e = assertThrows(PassManagerException.class,
                () -> manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline("mark, explode"), TestGraphs.chain(false)));
        assertEquals("error[X001] pass 'explode' failed at <pipeline>:1:7 on node 'conv1' (onnx.Conv): weights are not constant",
                e.getMessage());
        assertEquals("conv1", e.nodeName().orElseThrow());
        assertEquals(1, e.report().statistics().get(0).runs()); // mark ran before
    }

    @Test
    void unexpectedExceptionIsReportedAsM001WithTheReferenceChain() throws Exception {
        PassManagerException e = assertThrows(PassManagerException.class, () -> manager(PassManagerOptions.DEFAULTS)
                .run(compiler.parseInline("\n  explode{unexpected=true, op_type=\"Relu\"}"), TestGraphs.chain(false)));
        assertEquals("error[M001] pass 'explode' failed at <pipeline>:2:3: unexpected IllegalStateException: index out of bounds in relu1",
                e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException);
    }

    @Test
    void disabledOptionalPassesAreSkippedAndRequiredOnesCannotBeDisabled() throws Exception {
        List<String> skipped = new ArrayList<>();
        PassManager pm = PassManager.builder(registry).output(out)
                .options(PassManagerOptions.DEFAULTS.withDisabledPasses(Set.of("explode")))
                .instrumentation(new PassInstrumentation() {
                    @Override public void passSkipped(dev.pare.compiler.pipeline.PassStep step, String reason) {
                        skipped.add(step.passName() + ": " + reason);
                    }
                }).build();
        pm.run(compiler.parseInline("explode, mark"), TestGraphs.chain(false));
        assertEquals(List.of("explode: disabled with --disable-pass"), skipped);

        PassManagerException e = assertThrows(PassManagerException.class,
                () -> manager(PassManagerOptions.DEFAULTS.withDisabledPasses(Set.of("quantize", "mrak"))));
        assertEquals("error[M005] --disable-pass names unknown pass 'mrak'; did you mean 'mark'?\n"
                + "error[M004] pass 'quantize' is required and cannot be disabled", e.getMessage());
        assertEquals("error[M004] pass 'quantize' is required and cannot be disabled",
                assertThrows(PassManagerException.class, () -> manager(PassManagerOptions.DEFAULTS.withDisabledPasses(Set.of("quantize"))))
                        .getMessage());
        assertEquals("error[M005] --print-ir-after names unknown pass 'erase_one_daed'; did you mean 'erase_one_dead'?",
                assertThrows(PassManagerException.class, () -> manager(PassManagerOptions.DEFAULTS.withPrintIrAfter(Set.of("erase_one_daed"))))
                        .getMessage());
    }

    @Test
    void invalidInputIsNotBlamedOnAPass() throws Exception {
        Graph g = TestGraphs.chain(false);
        manager(PassManagerOptions.DEFAULTS.withVerify(false)).run(compiler.parseInline("reverse_nodes"), g);
        PassManagerException e = assertThrows(PassManagerException.class,
                () -> manager(PassManagerOptions.DEFAULTS).run(compiler.parseInline("mark"), g));
        assertEquals("M008", e.code());
        assertTrue(e.getMessage().startsWith("error[M008] the input graph is invalid: V001 "), e.getMessage());
    }

    @Test
    void randomGeneratorsDependOnSeedStepAndPassOnly() throws Exception {
        PipelineSpec spec = compiler.parseInline("draw, draw, fixpoint{max_iterations=2} { draw }");
        List<Long> a = draws(spec, 7);
        assertEquals(a, draws(spec, 7));
        assertNotEquals(a, draws(spec, 8));
        assertNotEquals(a.get(0), a.get(1)); // different steps, different streams
        assertFalse(a.contains(null));
    }

    private List<Long> draws(PipelineSpec spec, long seed) throws Exception {
        RunReport r = manager(PassManagerOptions.DEFAULTS.withSeed(seed)).run(spec, TestGraphs.chain(false));
        return r.statistics().stream().map(s -> s.counters().get("value")).toList();
    }
}
