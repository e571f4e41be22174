package dev.pare.spi;

import dev.pare.ir.Location;

/** Where passes report notes, warnings and errors. */
public interface Diagnostics {

    void report(Diagnostic diagnostic);

    default void warn(String code, Location location, String message) {
        report(new Diagnostic(Severity.WARNING, code, location, message));
    }

    default void note(String code, Location location, String message) {
        report(new Diagnostic(Severity.NOTE, code, location, message));
    }
}
