package dev.pare.compiler.onnx;

import static dev.pare.compiler.testing.OutputAssertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import java.nio.file.Path;
import java.util.Map;
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

    @Test
    void mnistOnItsTestImages() throws Exception {
        Map<String, Tensor> in = RealModelInputs.mnistTestImages();
        long images = in.get("input").shape()[0];
        Map<String, Tensor> expected = OrtRunner.run(TestModels.MNIST, in);
        assertTrue(expected.get("logits").floats().length == images * 10L);
        assertBitIdentical(expected, OrtRunner.run(rewrite(TestModels.MNIST), in));
    }

    @Test
    void miniLm() throws Exception {
        Map<String, Tensor> in = RealModelInputs.miniLmTokens();
        assertBitIdentical(OrtRunner.run(TestModels.MINILM, in), OrtRunner.run(rewrite(TestModels.MINILM), in));
    }

    @Test
    void miniLmQuantized() throws Exception {
        Map<String, Tensor> in = RealModelInputs.miniLmTokens();
        assertBitIdentical(OrtRunner.run(TestModels.MINILM_Q, in), OrtRunner.run(rewrite(TestModels.MINILM_Q), in));
    }

    @Test
    void ppOcrDetection() throws Exception {
        Map<String, Tensor> in = RealModelInputs.ocrDetectionImage();
        assertBitIdentical(OrtRunner.run(TestModels.OCR_DET, in), OrtRunner.run(rewrite(TestModels.OCR_DET), in));
    }

    @Test
    void ppOcrRecognition() throws Exception {
        Map<String, Tensor> in = RealModelInputs.ocrRecognitionImage();
        assertBitIdentical(OrtRunner.run(TestModels.OCR_REC, in), OrtRunner.run(rewrite(TestModels.OCR_REC), in));
    }
}
