package dev.pare.compiler.coreml.lower;

import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.DiagnosticInfo;
import dev.pare.spi.Severity;

/**
 * The codes the Core ML format module emits: its lowering's (CL). They were {@code CompilerCode}
 * constants before the format had a module of its own; the code strings are unchanged.
 */
public enum CoreMlCode implements DiagnosticCode.Described {
    CL001(Severity.ERROR, "a pare.* op cannot be lowered to the Core ML target", """
            lower_to_coreml (appended by pare compile for .mlpackage and .mlmodel outputs) turns every
            pare.* op into the constexpr ops of the deployment target (--target). A weight the target
            cannot express, e.g. 3-bit palettization, grouped or vector LUTs, per-block or 4-bit
            quantization or joint sparse + palettized weights below ios18, or activation quantization
            below ios17, is refused here, naming the weight and the target that can hold it: write
            with that --target, or choose compression options the target holds."""),
    CL002(Severity.ERROR, "lower_to_coreml{target=model} was run without the model being compiled", """
            With target=model the Core ML lowering reads the target from the model (--target, or the
            version a package was read with), which the pass manager provides as a service. Running the
            pass on a bare graph gives this; run it through the pass manager or give target=ios18 (or
            another target).""");

    private final DiagnosticInfo info;

    CoreMlCode(Severity severity, String summary, String explanation) {
        this.info = new DiagnosticInfo(severity, summary, explanation);
    }

    @Override public DiagnosticInfo info() { return info; }
}
