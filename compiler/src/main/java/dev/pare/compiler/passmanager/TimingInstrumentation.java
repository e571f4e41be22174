package dev.pare.compiler.passmanager;

import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Graph;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --timing}: after the pipeline, a table of each pass (in order of first run) with its
 * number of runs, total milliseconds and share of the total; verification after passes is its
 * own row.
 */
public final class TimingInstrumentation implements PassInstrumentation {

    static final String VERIFIER_ROW = "(verifier)";

    private final PrintStream out;
    private final Map<String, long[]> rows = new LinkedHashMap<>(); // name -> {runs, nanos}

    public TimingInstrumentation(PrintStream out) { this.out = out; }

    @Override public void beforePipeline(PipelineSpec pipeline, Graph graph) { rows.clear(); }

    @Override public void afterPass(PassExecution execution, Graph graph, PassOutcome outcome) {
        add(execution.passName(), outcome.passNanos());
        if (outcome.verifyNanos() > 0) add(VERIFIER_ROW, outcome.verifyNanos());
    }

    private void add(String name, long nanos) {
        long[] r = rows.computeIfAbsent(name, k -> new long[2]);
        r[0]++;
        r[1] += nanos;
    }

    @Override public void afterPipeline(PipelineSpec pipeline, Graph graph, RunReport report, boolean succeeded) {
        long total = rows.values().stream().mapToLong(r -> r[1]).sum();
        int width = Math.max("total".length(), rows.keySet().stream().mapToInt(String::length).max().orElse(0));
        String format = "%-" + width + "s %6s %12s %7s%n";
        out.println("=== pass timing ===");
        out.printf(Locale.ROOT, format, "pass", "runs", "total ms", "%");
        for (Map.Entry<String, long[]> e : rows.entrySet()) {
            long[] r = e.getValue();
            out.printf(Locale.ROOT, format, e.getKey(), r[0], ms(r[1]), percent(r[1], total));
        }
        out.printf(Locale.ROOT, format, "total", "", ms(total), total == 0 ? "" : "100.0");
        out.flush();
    }

    private static String ms(long nanos) { return String.format(Locale.ROOT, "%.3f", nanos / 1e6); }

    private static String percent(long nanos, long total) {
        return total == 0 ? "0.0" : String.format(Locale.ROOT, "%.1f", 100.0 * nanos / total);
    }
}
