package dev.pare.spi;

import dev.pare.ir.Location;

/** A message with a stable code and where it applies. */
public record Diagnostic(Severity severity, String code, Location location, String message) {
    @Override public String toString() {
        return severity.name().toLowerCase() + "[" + code + "] " + location + ": " + message;
    }
}
