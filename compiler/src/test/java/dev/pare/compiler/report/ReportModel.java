package dev.pare.compiler.report;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A model of the report: its file, deterministic inputs, and how its outputs are compared. */
interface ReportModel {

    /** Short name for the table, e.g. {@code mnist_dwnet}. */
    String name();

    /** The float ONNX model. */
    Path file();

    /** One sentence describing the inputs and metrics, printed under the model's table. */
    String description();

    /** Names of the metrics {@link #compare} returns, in order, for the table header. */
    List<String> metricNames();

    /** The inputs every variant of the model is run on. */
    Map<String, Tensor> inputs() throws Exception;

    /** Compares a variant's outputs with the float model's outputs on {@link #inputs()}. */
    Quality compare(Map<String, Tensor> reference, Map<String, Tensor> candidate);
}
