package dev.pare.cli;

import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileHook;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Model;
import dev.pare.spi.Diagnostic;
import java.io.PrintWriter;

/**
 * The pass manager in the compilation's {@link CompileHook} seam: runs the pipeline over the
 * model and prints the passes' warnings and notes to stderr (also those gathered before a
 * failure). A failure travels through the driver as {@link Failed} and is unwrapped by
 * {@link #failure}.
 */
final class PipelineHook implements CompileHook {

    private final PassManager passManager;
    private final PipelineSpec pipeline;
    private final PrintWriter err;

    PipelineHook(PassManager passManager, PipelineSpec pipeline, PrintWriter err) {
        this.passManager = passManager;
        this.pipeline = pipeline;
        this.err = err;
    }

    @Override public Model apply(Model model) {
        try {
            print(passManager.run(pipeline, model));
            return model;
        } catch (PassManagerException e) {
            if (e.report() != null) print(e.report());
            throw new Failed(e);
        }
    }

    private void print(RunReport report) {
        for (Diagnostic d : report.diagnostics()) err.println("pare: " + d);
        err.flush();
    }

    /** The pass-manager failure behind a compilation failure, or null. */
    static PassManagerException failure(CompilationException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Failed f) return (PassManagerException) f.getCause();
        }
        return null;
    }

    /** Carries a {@link PassManagerException} through the driver, which expects unchecked failures. */
    static final class Failed extends RuntimeException {
        Failed(PassManagerException cause) { super(cause.getMessage(), cause); }
    }
}
