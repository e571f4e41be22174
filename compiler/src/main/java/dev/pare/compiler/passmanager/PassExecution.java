package dev.pare.compiler.passmanager;

import dev.pare.compiler.pipeline.PassStep;
import dev.pare.spi.PassInfo;

/**
 * One run of a pipeline step.
 *
 * @param step      the step
 * @param info      the pass
 * @param iteration the iteration of the innermost enclosing fixpoint (1-based), or 0 outside one
 */
public record PassExecution(PassStep step, PassInfo info, int iteration) {

    public String passName() { return info.name(); }

    /** {@code step 2, x.pipeline:1:5} (with the fixpoint iteration when inside one). */
    public String describe() {
        return "step " + step.index() + (iteration > 0 ? ", iteration " + iteration : "") + ", " + step.origin();
    }
}
