package dev.pare.compiler.passmanager;

import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Graph;
import java.io.PrintStream;
import java.util.Map;

/** {@code --pass-statistics}: each executed step's counters, sorted by name, after the pipeline. */
public final class StatisticsInstrumentation implements PassInstrumentation {

    private final PrintStream out;

    public StatisticsInstrumentation(PrintStream out) { this.out = out; }

    @Override public void afterPipeline(PipelineSpec pipeline, Graph graph, RunReport report, boolean succeeded) {
        out.println("=== pass statistics ===");
        for (StepStatistics s : report.statistics()) {
            out.println("step " + s.step().index() + ": " + s.step().passName() + " (" + s.step().origin() + "), "
                    + s.runs() + (s.runs() == 1 ? " run" : " runs"));
            if (s.counters().isEmpty()) out.println("  (no counters)");
            int width = s.counters().keySet().stream().mapToInt(String::length).max().orElse(0);
            for (Map.Entry<String, Long> c : s.counters().entrySet()) {
                out.printf("  %-" + width + "s %d%n", c.getKey(), c.getValue());
            }
        }
        out.flush();
    }
}
