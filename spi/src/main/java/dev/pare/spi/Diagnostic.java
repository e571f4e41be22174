package dev.pare.spi;

import dev.pare.ir.Location;

/** A message with a stable code and where it applies. */
public record Diagnostic(Severity severity, String code, Location location, String message) {

    /** Whether the location names nothing (no file, no node, no index). */
    public boolean hasLocation() {
        return location != null && (!location.file().isEmpty() || !location.path().isEmpty() || location.index() >= 0);
    }

    /** The same diagnostic at {@code where}. */
    public Diagnostic at(Location where) { return new Diagnostic(severity, code, where, message); }

    /**
     * {@code warning[CODE] file:node (#3): message}, or {@code warning[CODE]: message} without a
     * location; names and message escaped and cut ({@link MessageText}).
     */
    @Override public String toString() {
        String head = severity.name().toLowerCase(java.util.Locale.ROOT) + "[" + MessageText.forDisplay(String.valueOf(code)) + "]";
        String text = MessageText.forDisplay(String.valueOf(message));
        return hasLocation() ? head + " " + MessageText.forDisplay(location.toString()) + ": " + text : head + ": " + text;
    }
}
