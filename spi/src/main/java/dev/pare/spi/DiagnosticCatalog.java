package dev.pare.spi;

import java.util.List;

/**
 * The diagnostic codes one module or plugin emits, found with {@link java.util.ServiceLoader}
 * (list the class in {@code META-INF/services/dev.pare.spi.DiagnosticCatalog}). A plugin that
 * reports its own codes publishes them here so that {@code pare explain} knows them.
 */
public interface DiagnosticCatalog {

    /** Who owns these codes: a module name ({@code passes}) or the plugin's name. */
    String owner();

    List<? extends DiagnosticCode> codes();
}
