package dev.pare.spi;

import dev.pare.ir.Location;

/**
 * Where passes report notes, warnings and errors. Built-in passes use catalogued codes
 * ({@link DiagnosticCode}); the {@code String} forms stay for plugins that have no catalogue.
 */
public interface Diagnostics {

    void report(Diagnostic diagnostic);

    default void warn(String code, Location location, String message) {
        report(new Diagnostic(Severity.WARNING, code, location, message));
    }

    default void note(String code, Location location, String message) {
        report(new Diagnostic(Severity.NOTE, code, location, message));
    }

    /** Reports {@code code} with the severity its catalogue gives it ({@link DiagnosticCode}). */
    default void report(DiagnosticCode code, Location location, String message) {
        report(new Diagnostic(code.severity(), code.code(), location, message));
    }

    default void warn(DiagnosticCode code, Location location, String message) {
        report(new Diagnostic(Severity.WARNING, code.code(), location, message));
    }

    default void note(DiagnosticCode code, Location location, String message) {
        report(new Diagnostic(Severity.NOTE, code.code(), location, message));
    }
}
