package dev.pare.compiler.onnx.lower;

import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCode;
import java.util.List;

/** The ONNX format module's codes ({@link OnnxCode}), listed in its META-INF/services for {@code pare explain}. */
public final class OnnxCatalog implements DiagnosticCatalog {

    @Override public String owner() { return "onnx"; }

    @Override public List<? extends DiagnosticCode> codes() { return List.of(OnnxCode.values()); }
}
