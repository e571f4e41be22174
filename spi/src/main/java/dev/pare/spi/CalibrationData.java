package dev.pare.spi;

import dev.pare.ir.TensorData;
import java.io.IOException;
import java.util.Map;

/**
 * Sample inputs for running a model, e.g. to calibrate activation ranges. Bound by the compiler
 * (from {@code --calibration-data}) and reached by passes through
 * {@code context.service(CalibrationData.class)}. Samples are read one at a time so that memory
 * does not grow with the number of samples.
 */
public interface CalibrationData {

    /** Where the samples come from, for messages (e.g. the folder). */
    String source();

    /** The number of samples. */
    int size();

    /**
     * Sample {@code index} (0-based): one dense tensor per model input name, already checked against
     * the model's input dtypes and shapes.
     */
    Map<String, TensorData> sample(int index) throws IOException;

    /**
     * Where input {@code input} of sample {@code index} was read from, for messages: a file, an
     * archive member with the sample number, an image.
     */
    default String describe(int index, String input) { return source() + " (sample " + index + ")"; }
}
