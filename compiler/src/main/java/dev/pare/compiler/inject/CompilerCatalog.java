package dev.pare.compiler.inject;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.pipeline.PipelineErrorCode;
import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCode;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiler module's codes: the pipeline language's (P) and {@link CompilerCode}'s (M, R, MP).
 * The formats' lowering codes (OL, CL) are in their own modules' catalogues. It lives with the wiring, above both packages, so that {@code dev.pare.compiler} (whose
 * codes the registry and pipeline packages use) depends on neither.
 */
public final class CompilerCatalog implements DiagnosticCatalog {

    @Override public String owner() { return "compiler"; }

    @Override public List<? extends DiagnosticCode> codes() {
        List<DiagnosticCode> all = new ArrayList<>(List.of(PipelineErrorCode.values()));
        all.addAll(List.of(CompilerCode.values()));
        return all;
    }
}
