package dev.pare.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DescribedCodeTest {

    enum Codes implements DiagnosticCode.Described {
        Z001(new DiagnosticInfo(Severity.WARNING, "a summary", "why and what to do"));

        private final DiagnosticInfo info;

        Codes(DiagnosticInfo info) { this.info = info; }

        @Override public DiagnosticInfo info() { return info; }
    }

    enum Renamed implements DiagnosticCode.Described {
        SOMETHING_WRONG;

        @Override public String code() { return "Z002"; }

        @Override public DiagnosticInfo info() { return new DiagnosticInfo(Severity.ERROR, "renamed", ""); }
    }

    @Test void theCodeIsTheConstantsNameAndTheRestComesFromItsInfo() {
        assertEquals("Z001", Codes.Z001.code());
        assertEquals(Severity.WARNING, Codes.Z001.severity());
        assertEquals("a summary", Codes.Z001.summary());
        assertEquals("why and what to do", Codes.Z001.explanation());
        assertEquals("warning[Z001]", Codes.Z001.tag());
    }

    @Test void anEnumMayNameItsCodeItself() {
        assertEquals("error[Z002]", Renamed.SOMETHING_WRONG.tag());
        assertEquals("renamed", Renamed.SOMETHING_WRONG.summary());
    }

    @Test void infoHasNoMissingParts() {
        assertEquals("summary", assertThrows(NullPointerException.class,
                () -> new DiagnosticInfo(Severity.NOTE, null, "")).getMessage());
    }
}
