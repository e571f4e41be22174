package dev.pare.compiler.report;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The MNIST depthwise net on its 2000 labelled test digits: SNR of the logits against the float
 * model and test accuracy.
 */
final class MnistModel implements ReportModel {

    static final String ACCURACY = "test accuracy";
    private static final int CLASSES = 10;

    private final Path dir;
    private byte[] labels;

    /** {@code compilerDir} is the compiler module's directory. */
    MnistModel(Path compilerDir) {
        this.dir = compilerDir.resolve("src/test/resources/models/mnist_dwnet");
    }

    @Override public String name() { return "mnist_dwnet"; }

    @Override public Path file() { return dir.resolve("model.onnx"); }

    @Override public String description() {
        return "all 2000 labelled test digits (`test_x.f32`, `test_y.u8`) in one batch; SNR of the logits";
    }

    @Override public List<String> metricNames() { return List.of(ACCURACY); }

    @Override public Map<String, Tensor> inputs() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("test_x.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[] images = new float[b.remaining() / 4];
        b.asFloatBuffer().get(images);
        labels = Files.readAllBytes(dir.resolve("test_y.u8"));
        if (images.length != labels.length * 28 * 28) {
            throw new IOException(dir.resolve("test_x.f32") + ": " + images.length + " floats for " + labels.length + " labels");
        }
        return Map.of("input", Tensor.ofFloats(new long[] {labels.length, 1, 28, 28}, images));
    }

    @Override public Quality compare(Map<String, Tensor> reference, Map<String, Tensor> candidate) {
        float[] ref = reference.get("logits").floats();
        float[] out = candidate.get("logits").floats();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (Signal.argmax(out, i * CLASSES, CLASSES) == labels[i]) correct++;
        }
        return new Quality(Signal.snrDb(ref, out), List.of(new Metric(ACCURACY, correct / (double) labels.length, Metric.Kind.FRACTION)));
    }
}
