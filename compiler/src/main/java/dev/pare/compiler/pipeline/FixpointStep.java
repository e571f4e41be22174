package dev.pare.compiler.pipeline;

import java.util.List;

/**
 * {@code fixpoint{max_iterations=N} { … }}: runs its body again until no pass in it reports a
 * change, at most {@code maxIterations} times.
 */
public record FixpointStep(int maxIterations, List<Step> body, SourceSpan span, List<PipelineUse> via) implements Step {

    public FixpointStep {
        body = List.copyOf(body);
        via = List.copyOf(via);
    }

    FixpointStep withBody(List<Step> b) { return new FixpointStep(maxIterations, b, span, via); }

    FixpointStep withVia(List<PipelineUse> v) { return new FixpointStep(maxIterations, body, span, v); }
}
