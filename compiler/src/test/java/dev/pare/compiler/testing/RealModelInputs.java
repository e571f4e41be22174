package dev.pare.compiler.testing;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Inputs for the real test models ({@link TestModels}), generated the same way on every run so
 * that two runs of a model (before and after a rewrite) can be compared bit for bit.
 */
public final class RealModelInputs {

    private static final int MNIST_PIXELS = 28 * 28;

    private RealModelInputs() {}

    /** Every image of the MNIST test set ({@code test_x.f32}, little-endian float32) as {@code input}. */
    public static Map<String, Tensor> mnistTestImages() throws IOException {
        byte[] raw = Files.readAllBytes(TestModels.MNIST_TEST_X);
        return mnistImages(raw, raw.length / (MNIST_PIXELS * 4));
    }

    /** The first {@code images} images of the MNIST test set as {@code input}, shape [images, 1, 28, 28]. */
    public static Map<String, Tensor> mnistTestImages(int images) throws IOException {
        return mnistImages(Files.readAllBytes(TestModels.MNIST_TEST_X), images);
    }

    private static Map<String, Tensor> mnistImages(byte[] raw, int images) {
        float[] x = new float[images * MNIST_PIXELS];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return Map.of("input", Tensor.ofFloats(new long[] {images, 1, 28, 28}, x));
    }

    /**
     * MiniLM token ids, attention mask and token types for 2 sequences of 12 tokens: the first
     * fills all 12, the second 8 followed by padding; ids between [CLS] and [SEP] are drawn with seed 7.
     */
    public static Map<String, Tensor> miniLmTokens() {
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

    /** PP-OCRv4 detection input {@code x}: one 96x128 image, seed 1. */
    public static Map<String, Tensor> ocrDetectionImage() {
        return ocrImage(96, 128, 1);
    }

    /** PP-OCRv4 recognition input {@code x}: one 48x160 image, seed 2. */
    public static Map<String, Tensor> ocrRecognitionImage() {
        return ocrImage(48, 160, 2);
    }

    /** One 3-channel {@code h x w} image as input {@code x}, shape [1, 3, h, w]. */
    public static Map<String, Tensor> ocrImage(int h, int w, long seed) {
        return Map.of("x", Tensor.ofFloats(new long[] {1, 3, h, w}, stripes(h, w, seed)));
    }

    /** Stripes plus noise, roughly normalized like the OCR preprocessing. */
    private static float[] stripes(int h, int w, long seed) {
        float[] x = new float[3 * h * w];
        SplittableRandom r = new SplittableRandom(seed);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int i = 0; i < w; i++) {
                    double v = ((y / 6 + i / 9 + c) % 2 == 0 ? 0.8 : -0.8) + (r.nextDouble() - 0.5) * 0.2;
                    x[(c * h + y) * w + i] = (float) v;
                }
            }
        }
        return x;
    }

    /**
     * A Silero VAD input: one 512-sample chunk at 16 kHz ({@code input}, a 440 Hz tone with noise,
     * seed 3), {@code sr} = 16000, and zero recurrent state tensors of the given shapes.
     */
    public static Map<String, Tensor> vadChunk(Map<String, long[]> states) {
        float[] samples = new float[512];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 16000.0) + (r.nextDouble() - 0.5) * 0.05);
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input", Tensor.ofFloats(new long[] {1, 512}, samples));
        in.put("sr", Tensor.ofLongs(new long[0], new long[] {16000}));
        for (Map.Entry<String, long[]> e : new java.util.TreeMap<>(states).entrySet()) {
            long[] shape = e.getValue();
            in.put(e.getKey(), Tensor.ofFloats(shape, new float[(int) (shape[0] * shape[1] * shape[2])]));
        }
        return in;
    }

    /** The usual inputs of a model named as in {@link TestModels#byName}; {@code mnistImages} test digits for mnist. */
    public static Map<String, Tensor> forModel(String name, int mnistImages) throws IOException {
        switch (name) {
            case "minilm": return miniLmTokens();
            case "det": return ocrDetectionImage();
            case "rec": return ocrRecognitionImage();
            case "mnist": return mnistTestImages(mnistImages);
            case "vad_legacy": return vadChunk(Map.of("h", new long[] {2, 1, 64}, "c", new long[] {2, 1, 64}));
            case "vad_v5": return vadChunk(Map.of("state", new long[] {2, 1, 128}));
            default: throw new IllegalArgumentException("no test model named " + name);
        }
    }
}
