package dev.pare.bench.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ModelReport;
import dev.pare.compiler.inspect.OpCount;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaGeneratorTest {

    @TempDir Path dir;

    private static final long[][] IDS = {{3, 17, 255, 0, 42}};

    @Test
    void tinyRunsInOnnxRuntimeWithFiniteLogitsOfTheRightShape() throws Exception {
        Path model = generate(Preset.TINY, 7, "tiny.onnx");
        float[] logits = run(model, new long[] {1, IDS[0].length, Preset.TINY.vocab()});
        for (float v : logits) assertTrue(Float.isFinite(v), "logit " + v);
        // random weights still make the positions differ: the graph is not constant
        assertFalse(logits[0] == logits[Preset.TINY.vocab()] && logits[1] == logits[Preset.TINY.vocab() + 1]);
    }

    @Test
    void float16LogitsMatchFloat32FromTheSameSeed() throws Exception {
        Path half = generate(Preset.TINY, 7, "half.onnx");
        Path single = generate(Preset.TINY.withDtype(WeightType.FP32), 7, "single.onnx");
        long[] shape = {1, IDS[0].length, Preset.TINY.vocab()};
        float[] a = run(half, shape);
        float[] b = run(single, shape);
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(b[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        }
        assertTrue(maxAbs > 0.05, "logits too small to compare: " + maxAbs);
        assertTrue(maxDiff < 0.01 * maxAbs + 1e-3, "float16 and float32 logits differ by " + maxDiff + " (max |logit| " + maxAbs + ")");
    }

    @Test
    void weightsAreExternalAlignedAndSeeded() throws Exception {
        Path a = generate(Preset.TINY, 1, "a.onnx");
        Path b = generate(Preset.TINY, 1, "b.onnx");
        Path c = generate(Preset.TINY, 2, "c.onnx");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.onnx.data")), Files.readAllBytes(dir.resolve("b.onnx.data")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a.onnx.data")),
                Files.readAllBytes(dir.resolve("c.onnx.data"))));

        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(a));
        long elements = 0;
        int external = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
                assertTrue(t.getRawData().size() <= 64, t.getName() + " is inline but not a small constant");
                continue;
            }
            external++;
            Map<String, String> kv = new java.util.HashMap<>();
            for (StringStringEntryProto e : t.getExternalDataList()) kv.put(e.getKey(), e.getValue());
            assertEquals("a.onnx.data", kv.get("location"));
            assertEquals(0, Long.parseLong(kv.get("offset")) % ExternalDataWriter.ALIGNMENT, t.getName());
            long n = 1;
            for (long d : t.getDimsList()) n *= d;
            assertEquals(n * 2, Long.parseLong(kv.get("length")), t.getName());
            elements += n;
        }
        assertEquals(Preset.TINY.parameters(), elements);
        assertEquals(1 + 2 * 9 + 1 + 1, external); // embedding, 9 per layer, final norm, lm_head
    }

    @Test
    void pareInspectReadsTheModel() throws Exception {
        Path model = generate(Preset.TINY, 3, "inspect.onnx");
        ModelReport r = ModelInspector.inspect(new Compilation(ModelFormats.discover()).readInput(model));
        // inspect counts the inline scalars and Reshape shapes too: 3 scalars, shapes of 5, 4, 4, 5 and 3
        assertEquals(Preset.TINY.parameters() + 3 + 21, r.parameters());
        long matmuls = r.ops().stream().filter(o -> o.op().endsWith("MatMul")).mapToLong(OpCount::count).sum();
        assertEquals(Preset.TINY.layers() * 9 + 1, matmuls); // q k v o, 2 attention, gate up down; lm_head
    }

    @Test
    void embeddingAndMatMulKindsRunInOnnxRuntime() throws Exception {
        // the embed152k and matmul4096 graphs, at test size
        Preset embed = new Preset("e", Preset.Kind.EMBEDDING, 8, 0, 0, 0, 0, 300, WeightType.FP32);
        float[] hidden = run(generate(embed, 5, "embed.onnx"), new long[] {1, IDS[0].length, 8});
        for (float v : hidden) assertTrue(Float.isFinite(v) && Math.abs(v) < 0.1f, "embedding value " + v);

        Preset matmul = new Preset("m", Preset.Kind.MATMUL, 16, 0, 0, 0, 0, 0, WeightType.FP32);
        Path model = generate(matmul, 5, "matmul.onnx");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] x = new float[1][16];
        x[0][3] = 1f; // y = row 3 of the weight
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor in = OnnxTensor.createTensor(env, x);
             OrtSession.Result r = s.run(Map.of("x", in))) {
            float[][] y = (float[][]) r.get(0).getValue();
            assertEquals(16, y[0].length);
            java.nio.ByteBuffer data = java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve("matmul.onnx.data")))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int j = 0; j < 16; j++) assertEquals(data.getFloat((3 * 16 + j) * 4), y[0][j], 0f);
        }
    }

    @Test
    void presetsHaveThePublishedShapes() {
        assertEquals(6_738_415_616L, Preset.P7B.parameters()); // LLaMA-2-7B, untied lm_head
        assertEquals(152_064L * 3584, Preset.EMBED_152K.parameters());
        assertEquals(WeightType.FP32, Preset.EMBED_152K.dtype());
        assertEquals(128, Preset.P1_5B.headDim());
    }

    @Test
    void halfConversionRoundsToNearestEven() {
        assertEquals((short) 0x3c00, WeightType.toHalf(1f));
        assertEquals((short) 0xc000, WeightType.toHalf(-2f));
        assertEquals((short) 0x7bff, WeightType.toHalf(65504f));
        assertEquals((short) 0x7c00, WeightType.toHalf(65520f));
        assertEquals((short) 0x0400, WeightType.toHalf(6.103515625e-5f));   // smallest normal
        assertEquals((short) 0x0001, WeightType.toHalf(5.9604645e-8f));     // smallest subnormal
        assertEquals((short) 0x0000, WeightType.toHalf(2.9802322e-8f));     // half of it: tie to even 0
        assertEquals((short) 0x3c00, WeightType.toHalf(1f + 1f / 2048));    // tie between 1 and 1+2^-10: even
        assertEquals((short) 0x3c02, WeightType.toHalf(1f + 3f / 2048));    // tie between odd and even: even
        assertEquals((short) 0x211f, WeightType.toHalf(0.01f));
    }

    private Path generate(Preset p, long seed, String name) throws Exception {
        Path out = dir.resolve(name);
        new LlamaGenerator(p, seed).write(out);
        return out;
    }

    private static float[] run(Path model, long[] expectedShape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, IDS);
             OrtSession.Result r = s.run(Map.of("input_ids", ids))) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            assertArrayEquals(expectedShape, out.getInfo().getShape());
            FloatBuffer fb = out.getFloatBuffer();
            float[] values = new float[fb.remaining()];
            fb.get(values);
            return values;
        }
    }
}
