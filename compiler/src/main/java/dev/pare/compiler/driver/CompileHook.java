package dev.pare.compiler.driver;

import dev.pare.ir.Model;
import dev.pare.spi.PassFailure;
import java.util.function.UnaryOperator;

/**
 * What runs between reading and writing: the seam where the pass manager plugs in. It may change
 * the model in place or return another one.
 */
@FunctionalInterface
public interface CompileHook {

    Model apply(Model model) throws PassFailure;

    /** Leaves the model as read. */
    static CompileHook identity() { return m -> m; }

    static CompileHook of(UnaryOperator<Model> f) { return f::apply; }
}
