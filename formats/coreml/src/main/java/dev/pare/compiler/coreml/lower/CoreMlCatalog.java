package dev.pare.compiler.coreml.lower;

import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCode;
import java.util.List;

/** The Core ML format module's codes ({@link CoreMlCode}), listed in its META-INF/services for {@code pare explain}. */
public final class CoreMlCatalog implements DiagnosticCatalog {

    @Override public String owner() { return "coreml"; }

    @Override public List<? extends DiagnosticCode> codes() { return List.of(CoreMlCode.values()); }
}
