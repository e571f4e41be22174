package dev.pare.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.Node;
import dev.pare.ir.Location;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassTesterTest {

    /** Replaces {@code onnx.Neg(onnx.Neg(x))} by {@code x}; a small pass to test the tester with. */
    record Options(boolean enabled) {}

    static final class DoubleNegation implements PassProvider<Options> {
        @Override public PassInfo info() { return PassInfo.optional("double_negation", "Removes Neg(Neg(x))."); }

        @Override public Options defaults() { return new Options(true); }

        @Override public Pass create(ScopedOptions<Options> options) {
            return (graph, context) -> {
                if (!options.base().enabled()) return PassResult.UNCHANGED;
                var rw = graph.rewriter();
                for (Node outer : List.copyOf(graph.nodes())) {
                    if (!outer.op().equals("onnx.Neg")) continue;
                    Node inner = outer.operand(0).producer();
                    if (inner == null || !inner.op().equals("onnx.Neg") || graph.isOutput(outer.result(0))) continue;
                    rw.replaceAllUsesWith(outer.result(0), inner.operand(0));
                    rw.erase(outer);
                    context.statistics().increment("removed");
                    context.diagnostics().note("N001", outer.location(), "removed " + outer.name());
                }
                return PassResult.of(rw.changed());
            };
        }
    }

    private static final String INPUT = """
            graph g(%x: f32[2]) {
              %a: f32[2] = onnx.Neg(%x) @n1
              %b: f32[2] = onnx.Neg(%a) @n2
              %c: f32[2] = onnx.Relu(%b) @relu
              return %c
            }
            """;

    @Test
    void comparesOutputAndReportsDiagnosticsAndStatistics() {
        PassRun run = PassTester.of(new DoubleNegation()).assertTransforms(INPUT, """
                graph g(%x: f32[2]) {
                  %a: f32[2] = onnx.Neg(%x) @n1
                  %c: f32[2] = onnx.Relu(%x) @relu
                  return %c
                }
                """);
        run.assertStatistic("removed", 1).assertDiagnostics("note[N001]: removed n2");
        assertEquals(1, run.diagnostics().size());
    }

    @Test
    void showsALineDiffOnMismatch() {
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of(new DoubleNegation()).assertTransforms(INPUT, """
                graph g(%x: f32[2]) {
                  %c: f32[2] = onnx.Relu(%x) @relu
                  return %c
                }
                """));
        assertEquals("""
                IR after double_negation differs from the expected text (- expected, + actual):
                  graph g(%x: f32[2]) {
                +   %a: f32[2] = onnx.Neg(%x) @n1
                    %c: f32[2] = onnx.Relu(%x) @relu
                    return %c
                  }""", e.getMessage());
    }

    @Test
    void unchangedMeansSameTextAndNoChangeReported() {
        PassTester.of(new DoubleNegation()).withOptions(new Options(false)).assertUnchanged(INPUT);
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of(new DoubleNegation()).assertUnchanged(INPUT));
        assertEquals(true, e.getMessage().startsWith("double_negation changed IR it should leave alone (- before, + after):\n"));
    }

    @Test
    void catchesAPassThatHidesItsChanges() {
        Pass liar = (graph, context) -> {
            Node n = graph.node("relu").orElseThrow();
            graph.rewriter().replaceAllUsesWith(n.result(0), n.operand(0));
            graph.rewriter().erase(n);
            return PassResult.UNCHANGED;
        };
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of("liar", liar, null).run(INPUT));
        assertEquals("""
                liar reported changed=false but the IR changed (- before, + after):
                  graph g(%x: f32[2]) {
                    %a: f32[2] = onnx.Neg(%x) @n1
                    %b: f32[2] = onnx.Neg(%a) @n2
                -   %c: f32[2] = onnx.Relu(%b) @relu
                -   return %c
                +   return %b
                  }""", e.getMessage());
    }

    @Test
    void verifiesTheResult() {
        Pass breaker = (graph, context) -> {
            Node n = graph.node("n1").orElseThrow();
            graph.rewriter().reorder(List.of(graph.node("n2").orElseThrow(), n, graph.node("relu").orElseThrow()));
            return PassResult.CHANGED;
        };
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of("breaker", breaker, null).run(INPUT));
        assertEquals("IR after breaker does not verify:", e.getMessage().lines().findFirst().orElseThrow());
    }

    @Test
    void rejectsInvalidInputUnlessAsked() {
        String unordered = """
                graph g(%x: f32[2]) {
                  %b: f32[2] = onnx.Neg(%a) @n2
                  %a: f32[2] = onnx.Neg(%x) @n1
                  return %b
                }
                """;
        Pass nothing = (graph, context) -> PassResult.UNCHANGED;
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of("nothing", nothing, null).run(unordered));
        assertEquals("input IR does not verify:", e.getMessage().lines().findFirst().orElseThrow());
        Pass reorder = (graph, context) -> {
            graph.rewriter().reorder(List.of(graph.nodes().get(1), graph.nodes().get(0)));
            return PassResult.CHANGED;
        };
        PassTester.of("reorder", reorder, null).withoutInputVerification().run(unordered);
    }

    @Test
    void reportsPassFailures() {
        Pass failing = (graph, context) -> {
            throw new PassFailure("X001", graph.node("n1").orElseThrow(), "cannot handle n1");
        };
        PassFailure f = PassTester.of("failing", failing, null).assertFails(INPUT);
        assertEquals("X001", f.code());
        assertEquals("n1", f.nodeName());
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of("failing", failing, null).run(INPUT));
        assertEquals("failing failed on input.ir: X001: cannot handle n1", e.getMessage());
    }

    @Test
    void contextIsDeterministic() {
        long[] draws = new long[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            Pass draw = (graph, context) -> {
                draws[k] = context.random().nextLong();
                context.executor().execute(() -> context.statistics().increment("ran"));
                return PassResult.UNCHANGED;
            };
            PassTester.of("draw", draw, null).withSeed(42).run(INPUT).assertStatistic("ran", 1);
        }
        assertEquals(draws[0], draws[1]);
        Pass service = (graph, context) -> {
            context.diagnostics().warn("S001", Location.UNKNOWN, context.service(String.class).orElse("none"));
            return PassResult.UNCHANGED;
        };
        PassTester.of("service", service, null).withService(String.class, "bound").run(INPUT)
                .assertDiagnostics("warning[S001]: bound");
    }

    @Test
    void goldenFiles() {
        PassTester.of(new DoubleNegation()).assertGolden("golden/double_negation");
        PassTester.of(new DoubleNegation()).assertGolden("golden/no_double_negation");
        AssertionError e = assertThrows(AssertionError.class, () -> PassTester.of(new DoubleNegation()).assertGolden("golden/missing"));
        assertEquals("golden file golden/missing.before.ir is not on the classpath", e.getMessage());
    }

    @Test
    void diffMarksOnlyChangedLines() {
        assertEquals("  a\n- b\n+ B\n  c", TextDiff.diff("a\nb\nc\n", "a\nB\nc"));
        assertEquals("  a", TextDiff.diff("a  \r\n\n", "a"));
    }
}
