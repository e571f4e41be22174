package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.testing.ProtoDiff;
import dev.pare.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading then writing a real model gives back the same ModelProto and the same bytes. */
class OnnxRoundTripTest {

    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {
        "src/test/resources/models/mnist_dwnet/model.onnx",
        "target/test-models/minilm/all-minilm-l6-v2.onnx",
        "target/test-models/minilm/all-minilm-l6-v2-q.onnx",
        "target/test-models/ppocr/ch_PP-OCRv4_det_infer.onnx",
        "target/test-models/ppocr/ch_PP-OCRv4_rec_infer.onnx"})
    void roundTripIsExact(String path) throws Exception {
        Path in = Path.of(path);
        Model model = new OnnxFormat().read(in);
        Path out = tmp.resolve("out.onnx");
        new OnnxFormat().write(model, out);
        byte[] original = Files.readAllBytes(in);
        byte[] written = Files.readAllBytes(out);
        assertNull(ProtoDiff.firstDifference(ModelProto.parseFrom(original), ModelProto.parseFrom(written)));
        assertArrayEquals(original, written, "written bytes differ from the input");
    }
}
