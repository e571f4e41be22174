package dev.pare.spi;

import java.util.Objects;

/**
 * What a diagnostic code means: its severity, one line saying what happened, and the longer text
 * {@code pare explain} prints (why it happens and what to do; may be empty).
 */
public record DiagnosticInfo(Severity severity, String summary, String explanation) {
    public DiagnosticInfo {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(explanation, "explanation");
    }
}
