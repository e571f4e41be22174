package dev.pare.spi;

import dev.pare.ir.Node;
import java.util.Optional;

/**
 * A step's options with its selectors applied per node: an {@code op_name} override beats an
 * {@code op_type} override, which beats the step's own options; {@code skip} and nodes outside
 * the step's {@code on}/{@code except} scope give empty.
 */
public interface ScopedOptions<O extends Record> {

    /** The options written on the pipeline step. */
    O base();

    /** The options for this node, or empty if the pass must leave it alone. */
    Optional<O> forNode(Node node);

    /** Options that apply to every node in scope the same way. */
    static <O extends Record> ScopedOptions<O> uniform(O options) {
        return new ScopedOptions<>() {
            @Override public O base() { return options; }
            @Override public Optional<O> forNode(Node node) { return Optional.of(options); }
        };
    }
}
