package dev.pare.compiler.mil;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.eval.MilInterpreter;
import dev.pare.compiler.coreml.eval.MilTensor;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts an ONNX file with convert_to_mil, writes it as an .mlpackage, reads it back and runs
 * it in the MIL interpreter; the outputs must equal ONNX Runtime's on the original file.
 */
final class ConvertedVsOrt {

    private static PassRegistry registry;

    private ConvertedVsOrt() {}

    private static synchronized PassRegistry registry() throws Exception {
        if (registry == null) registry = PassRegistry.discover(ConvertedVsOrt.class.getClassLoader());
        return registry;
    }

    /** The converted model (as read back from the package). */
    static Model convert(Path onnx, List<String> inputShapes, Path pkg) throws Exception {
        return convert(onnx, inputShapes, pkg, null);
    }

    /** As {@link #convert(Path, List, Path)}, written for a Core ML target ({@code ios26}; null = the default). */
    static Model convert(Path onnx, List<String> inputShapes, Path pkg, String target) throws Exception {
        Model model = new OnnxFormat().read(onnx);
        String shapes = inputShapes.isEmpty() ? "" : "{input_shapes=[\"" + String.join("\", \"", inputShapes) + "\"]}";
        run("convert_to_mil" + shapes, model);
        if (target != null) model.setProperty(dev.pare.compiler.coreml.CoreMlKeys.TARGET, target);
        CoreMlFormat coreml = new CoreMlFormat();
        LoweredCoreMl.write(model, pkg);
        return coreml.read(pkg);
    }

    static void run(String pipeline, Model model) throws Exception {
        PassManager pm = PassManager.builder(registry()).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        pm.run(new PipelineCompiler(registry()).parseInline(pipeline), model);
    }

    /** Runs both and asserts equal shapes and values (within {@code tolerance}); returns the largest difference. */
    static double assertMatches(Path onnx, Model converted, Map<String, Tensor> inputs, double tolerance) throws Exception {
        Map<String, Tensor> expected = OrtRunner.runUnoptimized(onnx, inputs);
        Map<String, TensorData> in = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) in.put(e.getKey(), toData(e.getValue()));
        Map<String, TensorData> actual = new MilInterpreter(converted.graph()).run(in);
        double worst = 0;
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            TensorData a = actual.get(e.getKey());
            if (a == null) throw new AssertionError("no output " + e.getKey() + " in " + actual.keySet());
            MilTensor t = MilTensor.of(a);
            long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
            assertArrayEquals(e.getValue().shape(), shape, e.getKey() + " shape");
            float[] x = e.getValue().floats() != null ? e.getValue().floats() : toFloats(e.getValue().longs());
            float[] y = t.toFloats();
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
                assertEquals(x[i], y[i], tolerance * Math.max(1, Math.abs(x[i])), e.getKey() + " element " + i);
            }
        }
        return worst;
    }

    /**
     * Runs both; asserts equal output names and shapes and returns, per output, the relative error
     * max |ort - mil| / max |ort| (0 when both are all zeros).
     */
    static Map<String, Double> relativeErrors(Path onnx, Model converted, Map<String, Tensor> inputs) throws Exception {
        Map<String, Tensor> expected = OrtRunner.runUnoptimized(onnx, inputs);
        // the package's features may be renamed (past_key_values.0.key -> past_key_values_0_key); the
        // ONNX names are in their metadata
        Map<String, TensorData> in = new LinkedHashMap<>();
        for (dev.pare.ir.Value v : converted.graph().inputs()) {
            Tensor t = inputs.get(v.metadata().getOrDefault(dev.pare.compiler.coreml.CoreMlKeys.ORIGINAL_NAME, v.name()));
            if (t == null) throw new AssertionError("no input for " + v.name() + " in " + inputs.keySet());
            in.put(v.name(), toData(t));
        }
        Map<String, TensorData> run = new MilInterpreter(converted.graph()).run(in);
        Map<String, TensorData> actual = new LinkedHashMap<>();
        for (dev.pare.ir.Value v : converted.graph().outputs()) {
            actual.put(v.metadata().getOrDefault(dev.pare.compiler.coreml.CoreMlKeys.ORIGINAL_NAME, v.name()), run.get(v.name()));
        }
        Map<String, Double> errors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            TensorData a = actual.get(e.getKey());
            if (a == null) throw new AssertionError("no output " + e.getKey() + " in " + actual.keySet());
            MilTensor t = MilTensor.of(a);
            assertArrayEquals(e.getValue().shape(), Arrays.stream(t.shape()).asLongStream().toArray(), e.getKey() + " shape");
            float[] x = e.getValue().floats() != null ? e.getValue().floats() : toFloats(e.getValue().longs());
            float[] y = t.toFloats();
            double diff = 0;
            double max = 0;
            for (int i = 0; i < x.length; i++) {
                diff = Math.max(diff, Math.abs((double) x[i] - y[i]));
                max = Math.max(max, Math.abs(x[i]));
            }
            errors.put(e.getKey(), diff == 0 ? 0 : diff / max);
        }
        return errors;
    }

    static Tensor floats(long[] shape, float... v) { return Tensor.ofFloats(shape, v); }

    static Tensor longs(long[] shape, long... v) { return Tensor.ofLongs(shape, v); }

    static Tensor scalar(long v) { return Tensor.ofLongs(new long[0], new long[] {v}); }

    /** {@code n} floats drawn uniformly from [lo, hi) with a fixed seed: reproducible test inputs. */
    static float[] uniform(int n, long seed, double lo, double hi) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + r.nextDouble() * (hi - lo));
        return v;
    }

    /** {@code n} bytes drawn uniformly from the integers lo..hi (inclusive) with a fixed seed. */
    static byte[] uniformBytes(int n, long seed, int lo, int hi) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) v[i] = (byte) r.nextInt(lo, hi + 1);
        return v;
    }

    static Map<String, Tensor> inputs(Object... nameTensor) {
        Map<String, Tensor> m = new HashMap<>();
        for (int i = 0; i < nameTensor.length; i += 2) m.put((String) nameTensor[i], (Tensor) nameTensor[i + 1]);
        return m;
    }

    private static TensorData toData(Tensor t) {
        if (t.floats() != null) return TensorData.ofFloats(t.shape(), t.floats());
        int[] shape = Arrays.stream(t.shape()).mapToInt(Math::toIntExact).toArray();
        int[] v = Arrays.stream(t.longs()).mapToInt(Math::toIntExact).toArray();
        return MilTensor.ints(DType.INT32, shape, v).toData();
    }

    private static float[] toFloats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }
}
