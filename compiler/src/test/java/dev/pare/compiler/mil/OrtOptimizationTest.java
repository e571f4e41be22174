package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.compare.CompareRequest;
import dev.pare.compiler.compare.ModelComparison;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.compiler.runtime.OrtOptimization;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OrtModelExecutor}'s optimization level reaches ONNX Runtime, and {@code pare compare}'s
 * through it. The probe is a fusion that changes the rounding: from the extended level on, ONNX
 * Runtime turns MatMul(Mul(x, c), W) into one FusedMatMul that scales the product, i.e. computes
 * Mul(MatMul(x, W), c); without optimizations (and at the basic level) it runs the nodes as written.
 */
class OrtOptimizationTest {

    private static final int K = 64;
    private static final int N = 8;

    @TempDir Path tmp;

    /** y = (x * c) W when {@code scaleFirst}, else y = (x W) * c: the same up to rounding. */
    private Path scaledMatMul(String name, boolean scaleFirst) throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        float[] w = new float[K * N];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() * 2 - 1);
        OnnxGraphBuilder b = new OnnxGraphBuilder(name).input("x", FLOAT, 2, K)
                .floats("w", new long[] {K, N}, w).floats("c", new long[] {}, 0.3f);
        if (scaleFirst) {
            b.node("Mul", new String[] {"x", "c"}, new String[] {"xc"}).node("MatMul", new String[] {"xc", "w"}, new String[] {"y"});
        } else {
            b.node("MatMul", new String[] {"x", "w"}, new String[] {"xw"}).node("Mul", new String[] {"xw", "c"}, new String[] {"y"});
        }
        GraphProto g = b.output("y", FLOAT, 2, N).build();
        return OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
    }

    private static float[] input() {
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[2 * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 5 - 2);
        return x;
    }

    private static float[] run(Path onnx, OrtOptimization level, float[] x) throws Exception {
        Model m = new OnnxFormat().read(onnx);
        try (ModelExecutor.Session s = new OrtModelExecutor(m, 1, level).open(m.graph(), List.of())) {
            TensorData y = s.run(Map.of("x", TensorData.ofFloats(new long[] {2, K}, x))).get("y");
            FloatBuffer b = y.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] v = new float[b.remaining()];
            b.get(v);
            return v;
        }
    }

    @Test
    void theLevelDecidesWhetherOnnxRuntimeFusesTheScaleIntoTheMatMul() throws Exception {
        Path scaleFirst = scaledMatMul("scale_first", true);
        Path scaleLast = scaledMatMul("scale_last", false);
        float[] x = input();
        for (OrtOptimization level : OrtOptimization.values()) {
            float[] first = run(scaleFirst, level, x);
            float[] last = run(scaleLast, level, x);
            boolean fused = level == OrtOptimization.EXTENDED || level == OrtOptimization.ALL;
            if (fused) {
                assertArrayEquals(last, first, level + ": the scale moved after the product");
            } else {
                assertFalse(Arrays.equals(first, last), level + ": the nodes as written round differently");
                assertArrayEquals(last, first, 1e-5f);
            }
        }
    }

    @Test
    void compareRunsOnnxModelsAtTheRequestedLevel() throws Exception {
        Path scaleFirst = scaledMatMul("scale_first", true);
        Path scaleLast = scaledMatMul("scale_last", false);
        Path data = tmp.resolve("data");
        Files.write(Files.createDirectories(data.resolve("000")).resolve("x.npy"), npy(input()));
        ModelComparison comparison = new ModelComparison(ModelFormats.discover());

        CompareRequest none = new CompareRequest(scaleFirst, scaleLast, data, null, null, 0, null, Map.of(), 1, OrtOptimization.NONE);
        double unfused = comparison.run(none).outputs().get(0).maxAbsError();
        assertTrue(unfused > 0 && unfused < 1e-5, "ONNX semantics: two roundings apart, " + unfused);

        CompareRequest all = new CompareRequest(scaleFirst, scaleLast, data, null, null, 0, null, Map.of(), 1, OrtOptimization.ALL);
        assertEquals(0.0, comparison.run(all).outputs().get(0).maxAbsError(), "fused: both compute (x W) * c");

        CompareRequest unset = new CompareRequest(scaleFirst, scaleLast, data, null, null, 0, null, Map.of(), 1);
        assertEquals(OrtOptimization.ALL, unset.ortOptimization(), "without a level, ONNX Runtime's default");
    }

    /** A version-1 .npy of float32 [2, K]. */
    private static byte[] npy(float[] v) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, " + K + "), }";
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
