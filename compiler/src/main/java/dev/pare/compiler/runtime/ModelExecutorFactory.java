package dev.pare.compiler.runtime;

import dev.pare.ir.Model;
import dev.pare.spi.ModelExecutor;

/**
 * Makes the {@link ModelExecutor} of one compilation: the executor writes graphs with that model's
 * opsets and format details. Bound in {@code CompilerModule}; the pass manager asks for it when a
 * pipeline runs over a model, so passes get it from {@code context.service(ModelExecutor.class)}.
 */
@FunctionalInterface
public interface ModelExecutorFactory {

    ModelExecutor forModel(Model model);
}
