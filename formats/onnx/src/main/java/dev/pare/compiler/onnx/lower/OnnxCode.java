package dev.pare.compiler.onnx.lower;

import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.DiagnosticInfo;
import dev.pare.spi.Severity;

/**
 * The codes the ONNX format module emits: its lowering's (OL). They were {@code CompilerCode}
 * constants before the format had a module of its own; the code strings are unchanged.
 */
public enum OnnxCode implements DiagnosticCode.Described {
    OL001(Severity.ERROR, "a pare.* op cannot be lowered to ONNX ops", """
            lower_to_onnx (appended by pare compile for .onnx outputs) turns every pare.* op into
            standard ONNX ops (DequantizeLinear, Gather of a LUT, ...). An op whose form ONNX cannot
            express at the model's opset, e.g. a block size ONNX's blocked DequantizeLinear does not
            allow, is refused here, naming the op; choose options the ONNX form holds (see
            ir/PARE_DIALECT.md) or write a .mlpackage."""),
    OL002(Severity.ERROR, "lower_to_onnx was run without the model being compiled", """
            The ONNX lowering raises the model's opset, so it needs the model, which the pass manager
            provides as a service. Running the pass on a bare graph (e.g. from a test harness that
            binds no model) gives this; run it through the pass manager.""");

    private final DiagnosticInfo info;

    OnnxCode(Severity severity, String summary, String explanation) {
        this.info = new DiagnosticInfo(severity, summary, explanation);
    }

    @Override public DiagnosticInfo info() { return info; }
}
