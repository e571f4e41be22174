package dev.pare.testkit;

import dev.pare.ir.Graph;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.Severity;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One finished run of a pass under {@link PassTester}: the graph after the pass, both printed
 * forms, the {@code changed} flag and what the pass reported.
 */
public final class PassRun {

    private final String passName;
    private final Graph graph;
    private final String before;
    private final String after;
    private final boolean changed;
    private final List<Diagnostic> diagnostics;
    private final Map<String, Long> statistics;

    PassRun(String passName, Graph graph, String before, String after, boolean changed,
            List<Diagnostic> diagnostics, Map<String, Long> statistics) {
        this.passName = passName;
        this.graph = graph;
        this.before = before;
        this.after = after;
        this.changed = changed;
        this.diagnostics = List.copyOf(diagnostics);
        this.statistics = Map.copyOf(statistics);
    }

    /** The graph as the pass left it. */
    public Graph graph() { return graph; }

    /** The input as printed before the pass ran. */
    public String before() { return before; }

    /** The graph as printed after the pass ran. */
    public String after() { return after; }

    /** What the pass reported in its {@code PassResult}. */
    public boolean changed() { return changed; }

    public List<Diagnostic> diagnostics() { return diagnostics; }

    public Map<String, Long> statistics() { return statistics; }

    /** A counter's total, 0 if never incremented. */
    public long statistic(String counter) { return statistics.getOrDefault(counter, 0L); }

    /** Fails with a line diff unless the printed graph equals {@code expected} (trailing blanks ignored). */
    public PassRun assertOutput(String expected) {
        if (!TextDiff.normalize(expected).equals(TextDiff.normalize(after))) {
            throw new AssertionError("IR after " + passName + " differs from the expected text (- expected, + actual):\n"
                    + TextDiff.diff(expected, after));
        }
        return this;
    }

    public PassRun assertChanged(boolean expected) {
        if (changed != expected) {
            throw new AssertionError(passName + " reported changed=" + changed + ", expected " + expected);
        }
        return this;
    }

    /** Fails unless the diagnostics, printed as {@code severity[code]: message}, are exactly these. */
    public PassRun assertDiagnostics(String... expected) {
        List<String> actual = diagnostics.stream().map(PassRun::brief).collect(Collectors.toList());
        if (!actual.equals(List.of(expected))) {
            throw new AssertionError(passName + " reported diagnostics\n  " + String.join("\n  ", actual)
                    + "\nexpected\n  " + String.join("\n  ", expected));
        }
        return this;
    }

    public PassRun assertStatistic(String counter, long expected) {
        long actual = statistic(counter);
        if (actual != expected) {
            throw new AssertionError(passName + " statistic " + counter + " is " + actual + ", expected " + expected
                    + " (all: " + statistics + ")");
        }
        return this;
    }

    /** Whether any error-severity diagnostic was reported. */
    public boolean hasErrors() { return diagnostics.stream().anyMatch(d -> d.severity() == Severity.ERROR); }

    private static String brief(Diagnostic d) {
        return d.severity().name().toLowerCase() + "[" + d.code() + "]: " + d.message();
    }
}
