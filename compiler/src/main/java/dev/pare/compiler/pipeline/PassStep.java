package dev.pare.compiler.pipeline;

import dev.pare.spi.ScopedOptions;
import java.util.List;

/**
 * A pass to run.
 *
 * @param index     position among the pipeline's pass steps in execution order (0-based; a
 *                  fixpoint body counts once); seeds the step's random generator
 * @param passName  the provider's name
 * @param options   the step's typed options record (every option set)
 * @param scope     {@code on}/{@code except} selectors
 * @param overrides {@code where} arms in written order
 * @param span      where the step is written
 * @param via       the named pipelines it was expanded from
 */
public record PassStep(int index, String passName, Record options, StepScope scope, List<NodeOverride> overrides,
                       SourceSpan span, List<PipelineUse> via) implements Step {

    public PassStep {
        overrides = List.copyOf(overrides);
        via = List.copyOf(via);
    }

    /** The options as a pass sees them per node. */
    @SuppressWarnings("unchecked")
    public <O extends Record> ScopedOptions<O> scopedOptions() {
        return (ScopedOptions<O>) new StepOptions<>(this);
    }

    PassStep withIndex(int i) { return new PassStep(i, passName, options, scope, overrides, span, via); }

    PassStep withVia(List<PipelineUse> v) { return new PassStep(index, passName, options, scope, overrides, span, v); }
}
