package dev.pare.compiler.testing;

import java.nio.file.Path;

/** Paths of the test models (relative to the compiler module, where surefire runs). */
public final class TestModels {
    public static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    public static final Path MNIST_TEST_X = Path.of("src/test/resources/models/mnist_dwnet/test_x.f32");
    public static final Path MINILM = Path.of("target/test-models/minilm/all-minilm-l6-v2.onnx");
    public static final Path MINILM_Q = Path.of("target/test-models/minilm/all-minilm-l6-v2-q.onnx");
    public static final Path OCR_DET = Path.of("target/test-models/ppocr/ch_PP-OCRv4_det_infer.onnx");
    public static final Path OCR_REC = Path.of("target/test-models/ppocr/ch_PP-OCRv4_rec_infer.onnx");
    /** Silero VAD models with If subgraphs, from scripts/fetch-test-models.sh. */
    public static final Path VAD_LEGACY = Path.of("target/test-models/vad/silero_vad_legacy.onnx");
    public static final Path VAD_V5 = Path.of("target/test-models/vad/silero_vad_v5.onnx");

    private TestModels() {}

    /** A real model by its short name in test tables: {@code mnist}, {@code minilm}, {@code det}, {@code rec}, {@code vad_legacy}, {@code vad_v5}. */
    public static Path byName(String name) {
        switch (name) {
            case "minilm": return MINILM;
            case "det": return OCR_DET;
            case "rec": return OCR_REC;
            case "mnist": return MNIST;
            case "vad_legacy": return VAD_LEGACY;
            case "vad_v5": return VAD_V5;
            default: throw new IllegalArgumentException("no test model named " + name);
        }
    }
}
