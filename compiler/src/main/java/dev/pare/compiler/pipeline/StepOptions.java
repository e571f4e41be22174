package dev.pare.compiler.pipeline;

import dev.pare.ir.Node;
import dev.pare.spi.ScopedOptions;
import java.util.Optional;

/**
 * {@link ScopedOptions} of a {@link PassStep}: empty outside the step's scope; otherwise the
 * first matching {@code op_name} arm, else the first matching {@code op_type} arm, else the
 * step's options. Arm options were merged over the step's options and validated when the
 * pipeline was resolved.
 */
final class StepOptions<O extends Record> implements ScopedOptions<O> {

    private final PassStep step;

    StepOptions(PassStep step) { this.step = step; }

    @SuppressWarnings("unchecked")
    @Override public O base() { return (O) step.options(); }

    @SuppressWarnings("unchecked")
    @Override public Optional<O> forNode(Node node) {
        if (!step.scope().contains(node)) return Optional.empty();
        for (Selector.Kind kind : new Selector.Kind[] {Selector.Kind.OP_NAME, Selector.Kind.OP_TYPE}) {
            for (NodeOverride o : step.overrides()) {
                if (o.selector().kind() == kind && o.selector().matches(node)) return o.options().map(r -> (O) r);
            }
        }
        return Optional.of(base());
    }
}
