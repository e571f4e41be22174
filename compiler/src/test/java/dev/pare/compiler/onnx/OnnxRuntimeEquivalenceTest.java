package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The written model computes bit-identical outputs in ONNX Runtime. */
class OnnxRuntimeEquivalenceTest {

    @TempDir Path tmp;

    private Path rewrite(Path in) throws Exception {
        Model m = new OnnxFormat().read(in);
        Path out = tmp.resolve(in.getFileName());
        new OnnxFormat().write(m, out);
        return out;
    }

    private static void assertSameOutputs(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            Tensor e = expected.get(name);
            Tensor a = actual.get(name);
            assertArrayEquals(e.shape(), a.shape(), name + " shape");
            if (e.floats() != null) {
                int[] eb = new int[e.floats().length];
                int[] ab = new int[a.floats().length];
                for (int i = 0; i < eb.length; i++) eb[i] = Float.floatToRawIntBits(e.floats()[i]);
                for (int i = 0; i < ab.length; i++) ab[i] = Float.floatToRawIntBits(a.floats()[i]);
                assertArrayEquals(eb, ab, name + " float bits");
            } else {
                assertArrayEquals(e.longs(), a.longs(), name);
            }
        }
    }

    @Test
    void mnistOnItsTestImages() throws Exception {
        byte[] raw = Files.readAllBytes(TestModels.MNIST_TEST_X);
        int images = raw.length / (28 * 28 * 4);
        float[] x = new float[images * 28 * 28];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        Map<String, Tensor> in = Map.of("input", Tensor.ofFloats(new long[] {images, 1, 28, 28}, x));
        Map<String, Tensor> expected = OrtRunner.run(TestModels.MNIST, in);
        assertTrue(expected.get("logits").floats().length == images * 10L);
        assertSameOutputs(expected, OrtRunner.run(rewrite(TestModels.MNIST), in));
    }

    private static Map<String, Tensor> tokens() {
        int batch = 2;
        int seq = 12;
        long[] ids = new long[batch * seq];
        long[] mask = new long[batch * seq];
        long[] types = new long[batch * seq];
        SplittableRandom r = new SplittableRandom(7);
        for (int b = 0; b < batch; b++) {
            int len = b == 0 ? seq : 8;
            for (int s = 0; s < seq; s++) {
                int i = b * seq + s;
                ids[i] = s == 0 ? 101 : s == len - 1 ? 102 : s < len ? 1000 + r.nextInt(20000) : 0;
                mask[i] = s < len ? 1 : 0;
            }
        }
        long[] shape = {batch, seq};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, mask));
        in.put("token_type_ids", Tensor.ofLongs(shape, types));
        return in;
    }

    @Test
    void miniLm() throws Exception {
        Map<String, Tensor> in = tokens();
        assertSameOutputs(OrtRunner.run(TestModels.MINILM, in), OrtRunner.run(rewrite(TestModels.MINILM), in));
    }

    @Test
    void miniLmQuantized() throws Exception {
        Map<String, Tensor> in = tokens();
        assertSameOutputs(OrtRunner.run(TestModels.MINILM_Q, in), OrtRunner.run(rewrite(TestModels.MINILM_Q), in));
    }

    private static float[] image(int h, int w, long seed) {
        float[] x = new float[3 * h * w];
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int i = 0; i < w; i++) {
                    // stripes plus noise, roughly normalized like the OCR preprocessing
                    double v = ((y / 6 + i / 9 + c) % 2 == 0 ? 0.8 : -0.8) + (r.nextDouble() - 0.5) * 0.2;
                    x[(c * h + y) * w + i] = (float) v;
                }
            }
        }
        return x;
    }

    @Test
    void ppOcrDetection() throws Exception {
        Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {1, 3, 96, 128}, image(96, 128, 1)));
        assertSameOutputs(OrtRunner.run(TestModels.OCR_DET, in), OrtRunner.run(rewrite(TestModels.OCR_DET), in));
    }

    @Test
    void ppOcrRecognition() throws Exception {
        Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {1, 3, 48, 160}, image(48, 160, 2)));
        assertSameOutputs(OrtRunner.run(TestModels.OCR_REC, in), OrtRunner.run(rewrite(TestModels.OCR_REC), in));
    }
}
