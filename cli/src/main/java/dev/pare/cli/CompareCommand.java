package dev.pare.cli;

import dev.pare.compiler.compare.CompareException;
import dev.pare.compiler.compare.CompareJson;
import dev.pare.compiler.compare.CompareReport;
import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.CompareText;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.data.DataException;
import dev.pare.compiler.data.ShapeSpec;
import dev.pare.compiler.runtime.OrtOptimization;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pare compare A B}: run two models on the same inputs and measure how far B is from A. */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Runs models A and B on the same inputs (ONNX models in ONNX Runtime, Core ML packages in Pare's MIL "
                + "interpreter) and reports, per output, how far "
                + "B is from A: SNR in dB, cosine similarity, max and mean absolute error, and for class "
                + "scores ([N,C] or [C]) top-1 and top-5 agreement.",
                "Inputs come from --data (see README.md for the formats) or are generated with --seed. "
                        + "With --labels, also each model's accuracy."})
final class CompareCommand implements Callable<Integer> {

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "A", description = "The reference model, e.g. model.onnx or model.mlpackage.")
    Path modelA;

    @Parameters(index = "1", paramLabel = "B", description = "The model to measure against A, e.g. a compressed copy.")
    Path modelB;

    @Option(names = "--data", paramLabel = "PATH",
            description = "Sample inputs: a folder of .npy files, DIR/<sample>/<input>.npy, a batch .npy, an .npz, "
                    + "raw float32 or a folder of images (both with --data-spec).")
    Path data;

    @Option(names = "--data-spec", paramLabel = "SPEC",
            description = "How to read --data that does not describe itself: the shape of raw float32 data, sample "
                    + "count first (e.g. -1,1,28,28), or image preprocessing (e.g. 'resize=224x224 "
                    + "mean=0.485,0.456,0.406 std=0.229,0.224,0.225', or @FILE).")
    String dataSpec;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Class labels, one per data sample in order: text (one integer per line), .npy or .u8.")
    Path labels;

    @Option(names = "--samples", paramLabel = "N",
            description = "Run the first N data samples, or generate N (default: all data, or "
                    + CompareRequest.DEFAULT_GENERATED + " generated).")
    Integer samples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed of generated inputs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--input-shape", paramLabel = "NAME=DIMS",
            description = "Shape of a generated input, e.g. input_ids=1,128 (symbolic dims default to 1); repeatable.")
    Map<String, String> inputShapes = new LinkedHashMap<>();

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "ONNX Runtime threads per ONNX model (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--ort-optimization", paramLabel = "LEVEL", defaultValue = "all",
            converter = OrtOptimizationConverter.class,
            description = "ONNX Runtime's graph optimizations for ONNX models: all (ONNX Runtime's default, what a "
                    + "deployed model gets), extended, basic, or none (the nodes as written: ONNX semantics; "
                    + "use it to check a conversion, as fused kernels, e.g. int8 MatMul, can round differently) "
                    + "(default: ${DEFAULT-VALUE}).")
    OrtOptimization ortOptimization;

    @Option(names = "--exact-sigmoid",
            description = "Run the ONNX models' float32 Sigmoid nodes in ONNX Runtime as 1 / (1 + exp(-x)) (Neg, Exp, "
                    + "Add, Div; within 2 ulp) instead of ONNX Runtime's Sigmoid kernel, an approximation 1e-4 "
                    + "relative off and more for outputs near 0. Changes only the in-memory copy ONNX Runtime loads, "
                    + "never the model file; the output says how many nodes it rewrote.")
    boolean exactSigmoid;

    @Option(names = "--json", description = "Print JSON (sorted keys, schema in README.md) instead of tables.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        if (threads < 1) throw new CliException(ExitCodes.USAGE, "--threads must be at least 1, got " + threads);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : inputShapes.entrySet()) {
            try {
                long[] s = ShapeSpec.parse(e.getValue(), "--input-shape " + e.getKey());
                for (long d : s) if (d < 1) throw new DataException("--input-shape " + e.getKey() + ": dims must be at least 1");
                shapes.put(e.getKey(), s);
            } catch (DataException x) {
                throw new CliException(ExitCodes.USAGE, x.getMessage(), x);
            }
        }
        CompareRequest request = new CompareRequest(modelA, modelB, data, dataSpec,
                labels, seed, samples, shapes, threads, ortOptimization, exactSigmoid);
        CompareReport report;
        try {
            report = new ModelComparison(main.formats()).run(request);
        } catch (CompareException e) {
            int code = switch (e.kind()) {
                case BAD_REQUEST -> ExitCodes.USAGE;
                case BAD_INPUT -> ExitCodes.BAD_INPUT;
                case RUN_FAILED -> ExitCodes.COMPILE_FAILED;
            };
            throw new CliException(code, e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? CompareJson.write(report) : CompareText.render(report));
        out.flush();
        return ExitCodes.OK;
    }

    /** {@code none|basic|extended|all}; anything else is a usage error naming the option. */
    static final class OrtOptimizationConverter implements ITypeConverter<OrtOptimization> {
        @Override public OrtOptimization convert(String value) {
            for (OrtOptimization o : OrtOptimization.values()) if (o.cliName().equals(value)) return o;
            throw new TypeConversionException("must be one of none, basic, extended, all, got '" + value + "'");
        }
    }
}
