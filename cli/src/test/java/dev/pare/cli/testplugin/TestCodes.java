package dev.pare.cli.testplugin;

import dev.pare.spi.DiagnosticCatalog;
import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.Severity;
import java.util.List;

/** The test plugins' codes, as a third-party plugin would publish them (a catalogue in its jar). */
public enum TestCodes implements DiagnosticCode {
    T001(Severity.ERROR, "fail_on_op refused a node of the op type it was told to refuse"),
    T002(Severity.WARNING, "warn_once names the first node");

    private final Severity severity;
    private final String summary;

    TestCodes(Severity severity, String summary) {
        this.severity = severity;
        this.summary = summary;
    }

    @Override public String code() { return name(); }

    @Override public Severity severity() { return severity; }

    @Override public String summary() { return summary; }

    /** Listed in the jar's {@code META-INF/services/dev.pare.spi.DiagnosticCatalog}. */
    public static final class Catalog implements DiagnosticCatalog {
        @Override public String owner() { return "test-plugins"; }

        @Override public List<? extends DiagnosticCode> codes() { return List.of(values()); }
    }

    /** A plugin that (wrongly) declares a built-in code. */
    public static final class Clashing implements DiagnosticCatalog {
        @Override public String owner() { return "clashing-plugin"; }

        @Override public List<? extends DiagnosticCode> codes() {
            return List.of(new DiagnosticCode() {
                @Override public String code() { return "CW010"; }
                @Override public Severity severity() { return Severity.ERROR; }
                @Override public String summary() { return "not ours"; }
            });
        }
    }
}
