package dev.pare.compiler.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * A resolved pipeline: immutable steps with typed options, named references expanded (each step
 * remembers them in {@link Step#via()}).
 *
 * @param name  what the pipeline was loaded as: a pipeline name, a file, or {@code <pipeline>}
 * @param steps the top-level steps
 */
public record PipelineSpec(String name, List<Step> steps) {

    public PipelineSpec {
        steps = List.copyOf(steps);
    }

    /** Every pass step in execution order (a fixpoint body once). */
    public List<PassStep> passSteps() {
        List<PassStep> out = new ArrayList<>();
        collect(steps, out);
        return out;
    }

    private static void collect(List<Step> steps, List<PassStep> out) {
        for (Step s : steps) {
            if (s instanceof PassStep p) out.add(p);
            else if (s instanceof FixpointStep f) collect(f.body(), out);
        }
    }

    /** The canonical text: parses back to an equal pipeline and prints again identically. */
    public String canonicalText() { return PipelinePrinter.print(this); }
}
