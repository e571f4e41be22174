package dev.pare.compiler.passmanager;

import dev.pare.spi.Diagnostic;
import java.util.List;

/**
 * What a pipeline run produced besides the rewritten graph.
 *
 * @param diagnostics notes and warnings from passes and the manager, in report order
 * @param statistics  per executed step, in pipeline order
 * @param changed     whether any pass reported a change
 */
public record RunReport(List<Diagnostic> diagnostics, List<StepStatistics> statistics, boolean changed) {
    public RunReport {
        diagnostics = List.copyOf(diagnostics);
        statistics = List.copyOf(statistics);
    }
}
