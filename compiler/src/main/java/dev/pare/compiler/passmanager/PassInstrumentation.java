package dev.pare.compiler.passmanager;

import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Graph;

/**
 * Hooks around a pipeline run. Hooks of all instrumentations run in registration order; for each
 * pass run exactly one of {@link #afterPass} and {@link #afterPassFailed} follows
 * {@link #beforePass}. A pass run counts verification: a pass that leaves an invalid graph fails.
 */
public interface PassInstrumentation {

    default void beforePipeline(PipelineSpec pipeline, Graph graph) {}

    default void beforePass(PassExecution execution, Graph graph) {}

    default void afterPass(PassExecution execution, Graph graph, PassOutcome outcome) {}

    default void afterPassFailed(PassExecution execution, Graph graph, PassManagerException failure) {}

    /** A step not run because its pass is disabled. */
    default void passSkipped(PassStep step, String reason) {}

    /** After the last step, or after a failure ({@code succeeded} false). */
    default void afterPipeline(PipelineSpec pipeline, Graph graph, RunReport report, boolean succeeded) {}
}
