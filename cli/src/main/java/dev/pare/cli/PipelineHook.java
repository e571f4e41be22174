package dev.pare.cli;

import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileHook;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.ir.Graph;
import dev.pare.ir.GraphCopy;
import dev.pare.ir.Model;
import dev.pare.ir.Location;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.MessageText;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * The pass manager in the compilation's {@link CompileHook} seam: runs the pipeline over the
 * model and prints the passes' warnings and notes to stderr (also those gathered before a
 * failure). A failure travels through the driver as {@link Failed} and is unwrapped by
 * {@link #failure}.
 */
final class PipelineHook implements CompileHook {

    private final PassManager passManager;
    private final java.util.List<PipelineSpec> pipelines;
    private final PrintWriter err;
    private final boolean verbose;
    private final Location modelLocation;
    private final PipelineSpec preflight;

    /**
     * Runs {@code pipelines} one after the other (the user's, then e.g. the ONNX to MIL conversion).
     * Diagnostics without a location (about the whole model, or on a node that has none) are
     * reported at {@code modelFile}.
     */
    PipelineHook(PassManager passManager, java.util.List<PipelineSpec> pipelines, PrintWriter err, boolean verbose,
                 Path modelFile) {
        this(passManager, pipelines, null, err, verbose, modelFile);
    }

    /**
     * As above; {@code preflight} (or null) first runs on a scratch copy of the model (sharing its
     * weights), so that a step that would fail at the end, e.g. the conversion of a 7B model to
     * MIL, fails before the pipeline's long compression work rather than after it.
     */
    PipelineHook(PassManager passManager, java.util.List<PipelineSpec> pipelines, PipelineSpec preflight, PrintWriter err,
                 boolean verbose, Path modelFile) {
        this.preflight = preflight;
        this.passManager = passManager;
        this.pipelines = java.util.List.copyOf(pipelines);
        this.err = err;
        this.verbose = verbose;
        Path name = modelFile == null ? null : modelFile.getFileName();
        this.modelLocation = new Location(name == null ? "" : name.toString(), "", -1);
    }

    @Override public Model apply(Model model) {
        try {
            if (preflight != null) {
                Graph scratch = GraphCopy.of(model.graph());
                if (scratch != null) {
                    Model copy = new Model(model.format(), scratch);
                    copy.setOpsets(model.opsets());
                    model.properties().forEach(copy::setProperty);
                    passManager.run(preflight, copy); // its notes are those of the real run at the end: not printed twice
                }
            }
            for (PipelineSpec pipeline : pipelines) print(passManager.run(pipeline, model));
            return model;
        } catch (PassManagerException e) {
            if (e.report() != null) print(e.report());
            throw new Failed(e);
        }
    }

    /**
     * Warnings and errors are printed one per line; notes (e.g. a weight left dense because it is
     * small) can run to hundreds on a real model, so without --verbose they are counted per code.
     */
    private void print(RunReport report) {
        java.util.Map<String, Integer> notesByCode = new java.util.TreeMap<>();
        for (Diagnostic d : report.diagnostics()) {
            if (d.severity() == dev.pare.spi.Severity.NOTE && !verbose) {
                notesByCode.merge(d.code(), 1, Integer::sum);
            } else {
                err.println("pare: " + (d.hasLocation() ? d : d.at(modelLocation)));
            }
        }
        if (!notesByCode.isEmpty()) {
            StringBuilder sb = new StringBuilder("pare: ");
            int total = notesByCode.values().stream().mapToInt(Integer::intValue).sum();
            sb.append(total).append(total == 1 ? " note (" : " notes (");
            notesByCode.forEach((code, n) -> sb.append(MessageText.forDisplay(code)).append(" x").append(n).append(", "));
            sb.setLength(sb.length() - 2);
            sb.append("); --verbose lists them");
            err.println(sb);
        }
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
