package dev.pare.compiler.pipeline;

import java.util.List;

/** One step of a resolved pipeline. */
public sealed interface Step permits PassStep, FixpointStep {

    /** Where the step is written. */
    SourceSpan span();

    /** The named-pipeline references it was expanded from, outermost first. */
    List<PipelineUse> via();

    /** The span, followed by the references it came through: {@code c.pipeline:2:3 (from CLEANUP at <pipeline>:1:8)}. */
    default String origin() {
        if (via().isEmpty()) return span().toString();
        StringBuilder sb = new StringBuilder(span().toString()).append(" (from ");
        for (int i = via().size() - 1; i >= 0; i--) {
            if (i < via().size() - 1) sb.append(", ");
            sb.append(via().get(i));
        }
        return sb.append(')').toString();
    }
}
