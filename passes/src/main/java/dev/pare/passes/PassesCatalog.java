package dev.pare.passes;

import dev.pare.passes.PassesCode;
import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCode;
import java.util.List;

/** The built-in passes' codes ({@link PassesCode}) for {@code pare explain}. */
public final class PassesCatalog implements DiagnosticCatalog {

    @Override public String owner() { return "passes"; }

    @Override public List<? extends DiagnosticCode> codes() { return List.of(PassesCode.values()); }
}
