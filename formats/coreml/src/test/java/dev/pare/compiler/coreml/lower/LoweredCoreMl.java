package dev.pare.compiler.coreml.lower;

import dev.pare.compiler.coreml.CoreMlExporter;
import dev.pare.ir.Model;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Path;

/**
 * What {@code pare compile} does for a Core ML output, for tests that build or read a model and
 * write it without the pass manager: {@code lower_to_coreml} in place, then the writer. A lowering
 * refusal is reported as the compile driver's writer errors were, {@code out: message}, so a test
 * can check its text and that nothing was written.
 */
public final class LoweredCoreMl {

    private LoweredCoreMl() {}

    public static void write(Model model, Path out) throws ModelFormatException {
        try {
            CoreMlLowering.lowerInPlace(model);
        } catch (CoreMlLoweringException e) {
            throw new ModelFormatException(out, e.getMessage());
        }
        CoreMlExporter.write(model, out);
    }
}
