package dev.pare.compiler.runtime;

import dev.pare.ir.Model;
import dev.pare.spi.CalibrationData;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Opens the samples given with {@code --calibration-data} for the model being compiled (checking
 * them against its inputs). Bound in {@code CompilerModule} with Guice's {@code OptionalBinder}: the
 * file readers set the default, and a test or an embedding application may override it with
 * {@code OptionalBinder.newOptionalBinder(binder(), CalibrationDataReader.class).setBinding()}. What
 * it returns is closed after the pipeline run when it is {@link AutoCloseable}.
 */
@FunctionalInterface
public interface CalibrationDataReader {

    /**
     * @param path  the file or folder given on the command line
     * @param spec  how to read data that does not describe itself (a raw shape, image preprocessing), or null
     * @param model the model whose inputs the samples feed
     */
    CalibrationData open(Path path, String spec, Model model) throws IOException;
}
