package dev.pare.spi;

import dev.pare.ir.VerifierCode;
import java.util.Arrays;
import java.util.List;

/** The ir module's codes (its verifier's, {@link VerifierCode}), which are all errors. */
public final class IrDiagnostics implements DiagnosticCatalog {

    /** A verifier code seen as a catalogue entry. */
    private record Entry(VerifierCode verifierCode) implements DiagnosticCode {
        @Override public String code() { return verifierCode.code(); }
        @Override public Severity severity() { return Severity.ERROR; }
        @Override public String summary() { return verifierCode.summary(); }
        @Override public String explanation() { return verifierCode.explanation(); }
    }

    @Override public String owner() { return "ir"; }

    @Override public List<? extends DiagnosticCode> codes() {
        return Arrays.stream(VerifierCode.values()).map(Entry::new).toList();
    }
}
