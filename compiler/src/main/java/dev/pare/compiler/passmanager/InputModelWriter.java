package dev.pare.compiler.passmanager;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes the model the pipeline started from into a reproducer directory (the CLI copies the
 * input file; the graph itself was already changed by the failing run).
 */
@FunctionalInterface
public interface InputModelWriter {

    /** Writes the input model into {@code dir} and returns the file written. */
    Path write(Path dir) throws IOException;
}
