package dev.pare.compiler.runtime;

import ai.onnxruntime.OrtEnvironment;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

/**
 * Child JVM of {@link OrtEnvironmentsTest}, started with a 1 MiB main-thread stack and a long
 * command line:
 * <ul>
 *   <li>{@code direct}: creates ONNX Runtime's environment on the main thread (the crash);</li>
 *   <li>{@code executor N}: runs the MNIST model through {@link OrtModelExecutor} on the first N
 *       test digits and prints each logit's float bits in hex, one per line.</li>
 * </ul>
 */
public final class SmallStackOrtMain {

    private SmallStackOrtMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("direct")) {
            OrtEnvironment.getEnvironment();
            System.out.println("environment created");
        } else if (args.length == 2 && args[0].equals("executor")) {
            for (float logit : mnistLogits(Integer.parseInt(args[1]))) {
                System.out.println(Integer.toHexString(Float.floatToRawIntBits(logit)));
            }
        } else {
            System.err.println("usage: SmallStackOrtMain direct | executor N");
            System.exit(2);
        }
    }

    private static float[] mnistLogits(int images) throws Exception {
        Model model = new OnnxFormat().read(TestModels.MNIST);
        ByteBuffer pixels = ByteBuffer.wrap(Files.readAllBytes(TestModels.MNIST_TEST_X), 0, images * 28 * 28 * 4).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        TensorData input = TensorData.ofBuffer(TensorType.of(DType.FLOAT32, images, 1, 28, 28), pixels);
        try (ModelExecutor.Session session = new OrtModelExecutor(model, 1).open(model.graph(), List.of())) {
            FloatBuffer out = session.run(Map.of("input", input)).get("logits").bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] logits = new float[out.remaining()];
            out.get(logits);
            return logits;
        }
    }
}
