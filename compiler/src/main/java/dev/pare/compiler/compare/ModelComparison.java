package dev.pare.compiler.compare;

import dev.pare.compiler.data.CalibrationDataReaders;
import dev.pare.compiler.data.DTypeNames;
import dev.pare.compiler.data.DataException;
import dev.pare.compiler.data.Labels;
import dev.pare.compiler.data.SampleSource;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.compiler.coreml.eval.MilModelExecutor;
import dev.pare.compiler.runtime.ExactSigmoid;
import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs two models on the same inputs (sample data, or generated inputs) and measures, per output,
 * how far model B is from model A. ONNX models run in ONNX Runtime, Core ML programs in the MIL
 * reference interpreter, so an ONNX model can be compared with its Core ML conversion. B is fed
 * A's inputs converted to B's element types where they differ only in width (int64 vs int32,
 * float32 vs float16: Core ML has no int64). Samples are read, run and folded into the
 * statistics one at a time, so memory does not grow with the sample count. With
 * {@code exactSigmoid}, the in-memory copies of the ONNX models have their float32 Sigmoids
 * rewritten ({@link ExactSigmoid}) before ONNX Runtime loads them; the files are only read.
 */
public final class ModelComparison {

    private final ModelFormats formats;

    public ModelComparison(ModelFormats formats) { this.formats = formats; }

    public CompareReport run(CompareRequest request) throws CompareException {
        if (request.data() == null && request.labels() != null) {
            throw new CompareException(CompareException.Kind.BAD_REQUEST, "--labels needs --data: labels follow the data's samples");
        }
        if (request.data() == null && request.dataSpec() != null) {
            throw new CompareException(CompareException.Kind.BAD_REQUEST, "--data-spec needs --data");
        }
        if (request.data() != null && !request.inputShapes().isEmpty()) {
            throw new CompareException(CompareException.Kind.BAD_REQUEST, "--input-shape is for generated inputs; with --data the data gives the shapes");
        }
        if (request.samples() != null && request.samples() < 1) {
            throw new CompareException(CompareException.Kind.BAD_REQUEST, "--samples must be at least 1, got " + request.samples());
        }
        Model a = read(request.modelA());
        Model b = read(request.modelB());
        ExactSigmoid.Result exactA = null;
        ExactSigmoid.Result exactB = null;
        if (request.exactSigmoid()) {
            // the in-memory copies only: ONNX Runtime loads them from a temporary file (OrtModelExecutor)
            if (!isOnnx(a) && !isOnnx(b)) {
                throw new CompareException(CompareException.Kind.BAD_REQUEST,
                        "--exact-sigmoid changes how ONNX Runtime runs an ONNX model, but neither A nor B is one");
            }
            if (isOnnx(a)) exactA = ExactSigmoid.rewrite(a);
            if (isOnnx(b)) exactB = ExactSigmoid.rewrite(b);
        }
        // Inputs and outputs are matched by their original names (FeatureNames), so a package
        // whose ONNX input 'input:0' became 'input_0' still pairs with the ONNX model.
        List<Value> inputsA = FeatureNames.inputs(a);
        checkInputs(request, inputsA, b.graph().inputs());

        SampleSource data = null;
        int[] labels = null;
        try {
            int count;
            InputGenerator generator = null;
            if (request.data() != null) {
                data = CalibrationDataReaders.open(request.data(), request.dataSpec(), inputsA);
                count = request.samples() == null ? data.size() : Math.min(request.samples(), data.size());
                if (request.labels() != null) {
                    labels = Labels.read(request.labels());
                    if (labels.length != data.size()) {
                        throw new CompareException(CompareException.Kind.BAD_INPUT, request.labels() + ": " + labels.length
                                + " labels, but " + request.data() + " holds " + data.size() + " samples (one label per sample)");
                    }
                }
            } else {
                generator = new InputGenerator(inputsA, request.seed(), request.inputShapes());
                count = request.samples() == null ? CompareRequest.DEFAULT_GENERATED : request.samples();
            }
            Map<String, String> pairs = new LinkedHashMap<>();
            List<String> onlyA = new ArrayList<>();
            List<String> onlyB = new ArrayList<>();
            matchOutputs(a, b, pairs, onlyA, onlyB);

            Map<String, OutputStats> stats = new LinkedHashMap<>();
            pairs.forEach((x, y) -> stats.put(x, new OutputStats(x, y)));
            try (ModelExecutor.Session sa = open(a, request.modelA(), request);
                 ModelExecutor.Session sb = open(b, request.modelB(), request)) {
                for (int i = 0; i < count; i++) {
                    Map<String, TensorData> in = data != null ? data.sample(i) : generator.sample(i);
                    Map<String, TensorData> inA = inputsFor(a, in, request.modelA(), i);
                    Map<String, TensorData> inB = inputsFor(b, in, request.modelB(), i);
                    Map<String, TensorData> outA = byOriginalName(a, run(sa, inA, request.modelA(), i));
                    Map<String, TensorData> outB = byOriginalName(b, run(sb, inB, request.modelB(), i));
                    for (Map.Entry<String, String> p : pairs.entrySet()) {
                        add(stats.get(p.getKey()), outA.get(p.getKey()), outB.get(p.getValue()), p, i, labels == null ? -1 : labels[i]);
                    }
                }
            }
            List<OutputComparison> outputs = new ArrayList<>();
            for (OutputStats s : stats.values()) outputs.add(s.result());
            return new CompareReport(request.modelA().toString(), request.modelB().toString(),
                    data != null ? request.data().toString() : "generated", data != null ? null : request.seed(), count,
                    generator == null ? List.of() : generator.specs().stream().map(InputGenerator.InputSpec::describe).toList(),
                    request.labels() == null ? null : request.labels().toString(), outputs, onlyA, onlyB, exactA, exactB);
        } catch (DataException e) {
            throw new CompareException(CompareException.Kind.BAD_INPUT, e.getMessage(), e);
        } catch (IOException e) {
            throw new CompareException(CompareException.Kind.BAD_INPUT, "cannot read the data: " + e.getMessage(), e);
        } finally {
            if (data != null) {
                try {
                    data.close();
                } catch (IOException ignored) {
                    // read-only files: nothing is lost
                }
            }
        }
    }

    private static boolean isOnnx(Model m) { return "onnx".equals(m.format()); }

    private Model read(Path p) throws CompareException {
        try {
            return new Compilation(formats).readInput(p);
        } catch (CompilationException e) {
            throw new CompareException(CompareException.Kind.BAD_INPUT, e.getMessage(), e);
        }
    }

    /** B is fed A's inputs by (original) name: each input B needs must exist in A with the same type. */
    private static void checkInputs(CompareRequest r, List<Value> inputsA, List<Value> inputsB) throws CompareException {
        Map<String, Value> byName = new LinkedHashMap<>();
        for (Value v : inputsA) byName.put(v.name(), v);
        for (Value v : inputsB) {
            if (v.data() != null) continue;
            String name = FeatureNames.of(v);
            Value x = byName.get(name);
            if (x == null) {
                throw new CompareException(CompareException.Kind.BAD_INPUT, r.modelB() + ": input '" + name
                        + "' is not an input of " + r.modelA() + " (inputs: " + String.join(", ", byName.keySet()) + ")");
            }
            if (x.tensorType().dtype() != FeatureNames.dtype(v) && !InputCast.converts(x.tensorType().dtype(), v.tensorType().dtype())) {
                throw new CompareException(CompareException.Kind.BAD_INPUT, "input '" + name + "' is "
                        + DTypeNames.describe(x.tensorType()) + " in " + r.modelA() + " but "
                        + DTypeNames.describe(v.tensorType()) + " in " + r.modelB());
            }
        }
    }

    /**
     * Outputs pair up by (original) name; two models with no name in common but as many outputs
     * pair up by position.
     */
    private static void matchOutputs(Model a, Model b, Map<String, String> pairs, List<String> onlyA, List<String> onlyB) {
        List<String> na = a.graph().outputs().stream().map(FeatureNames::of).toList();
        List<String> nb = b.graph().outputs().stream().map(FeatureNames::of).toList();
        boolean byPosition = na.stream().noneMatch(nb::contains) && na.size() == nb.size();
        for (int i = 0; i < na.size(); i++) {
            if (byPosition) pairs.put(na.get(i), nb.get(i));
            else if (nb.contains(na.get(i))) pairs.put(na.get(i), na.get(i));
            else onlyA.add(na.get(i));
        }
        if (!byPosition) for (String n : nb) if (!na.contains(n)) onlyB.add(n);
    }

    /**
     * A sample (keyed by original input names) for a model: only its inputs, under its own input
     * names, each in its element type.
     */
    private static Map<String, TensorData> inputsFor(Model b, Map<String, TensorData> in, Path modelB, int sample)
            throws CompareException {
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (Value v : b.graph().inputs()) {
            TensorData d = in.get(FeatureNames.of(v));
            try {
                if (d != null) out.put(v.name(), InputCast.to(v.tensorType().dtype(), d, v.name()));
            } catch (IllegalArgumentException e) {
                throw new CompareException(CompareException.Kind.BAD_INPUT, modelB + " (sample " + sample + "): " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * A run's outputs keyed by their original names, each in its original element type (a Core ML
     * int32 feature converted from an ONNX bool output is compared as bool).
     */
    private static Map<String, TensorData> byOriginalName(Model m, Map<String, TensorData> outputs) {
        Map<String, TensorData> out = new LinkedHashMap<>(outputs);
        for (Value v : m.graph().outputs()) {
            String original = FeatureNames.of(v);
            TensorData d = outputs.get(v.name());
            if (d == null) continue;
            DType was = FeatureNames.dtype(v);
            if (was != d.dtype() && InputCast.converts(d.dtype(), was)) d = InputCast.to(was, d, v.name());
            out.put(original, d);
        }
        return out;
    }

    private static ModelExecutor.Session open(Model m, Path path, CompareRequest request) throws CompareException {
        try {
            ModelExecutor executor = CoreMlKeys.FORMAT.equals(m.format()) ? new MilModelExecutor()
                    : new OrtModelExecutor(m, request.threads(), request.ortOptimization());
            return executor.open(m.graph(), List.of());
        } catch (ModelExecutionException e) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, path + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorData> run(ModelExecutor.Session s, Map<String, TensorData> in, Path model, int sample)
            throws CompareException {
        try {
            return s.run(in);
        } catch (ModelExecutionException e) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, model + " (sample " + sample + "): " + e.getMessage(), e);
        }
    }

    private static void add(OutputStats stats, TensorData a, TensorData b, Map.Entry<String, String> pair, int sample,
            int label) throws CompareException {
        String where = "output '" + pair.getKey() + "'" + (pair.getKey().equals(pair.getValue()) ? "" : " / '" + pair.getValue() + "'");
        if (a == null || b == null) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, where + ": the model returned no value (sample " + sample + ")");
        }
        long[] sa = a.type().shape();
        long[] sb = b.type().shape();
        if (!Arrays.equals(sa, sb)) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, where + ": shape " + DTypeNames.describe(a.dtype(), sa)
                    + " in model A but " + DTypeNames.describe(b.dtype(), sb) + " in model B (sample " + sample + ")");
        }
        double[] x = Doubles.of(a);
        double[] y = Doubles.of(b);
        if (x == null || y == null) {
            throw new CompareException(CompareException.Kind.RUN_FAILED, where + ": " + DTypeNames.name((x == null ? a : b).dtype())
                    + " values cannot be compared");
        }
        String dtype = a.dtype() == b.dtype() ? DTypeNames.name(a.dtype()) : DTypeNames.name(a.dtype()) + "/" + DTypeNames.name(b.dtype());
        stats.add(x, y, sa, dtype, label);
    }
}
