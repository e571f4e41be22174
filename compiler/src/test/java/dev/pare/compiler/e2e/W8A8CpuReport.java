package dev.pare.compiler.e2e;

import dev.pare.compiler.report.SentenceEmbeddings;
import dev.pare.compiler.report.WordPiece;
import dev.pare.compiler.runtime.OrtEnvironments;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.RawFloatSamples;
import dev.pare.compiler.testing.RealModelInputs;
import dev.pare.compiler.testing.TestModels;
import dev.pare.spi.CalibrationData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures W8A8 variants (README "Accuracy on CPUs without VNNI"): each pipeline below compiles
 * mnist_dwnet (calibrated on its 500 {@code calib_x.f32} images; top-1 on the 2000 test digits) and
 * all-MiniLM-L6-v2 (300 token windows, as {@link ActivationQuantizationOnMiniLmTest}; cosine of the
 * mean-pooled embeddings of the 16 held-out sentences to float, and the SNR of last_hidden_state),
 * and runs the result in ONNX Runtime with its default graph optimizations (QDQ fused into integer
 * kernels) and with none (QDQ computed in float). Prints a Markdown table. Arguments: the models
 * to run ({@code mnist}, {@code minilm}; default both). Run it with scripts/w8a8-cpu-report.sh.
 */
public final class W8A8CpuReport {

    private W8A8CpuReport() {}

    private static final String OPS = "op_types=[\"Conv\", \"ConvTranspose\", \"MatMul\", \"Gemm\", \"AveragePool\", \"MaxPool\", "
            + "\"GlobalAveragePool\"]";

    private static String pipeline(String weights, String activations) {
        return "quantize_weights{mode=linear_symmetric, granularity=per_channel, skip_inapplicable=true, " + weights + "}, "
                + "activation_quantize{" + activations + ", " + OPS + "}, CLEANUP";
    }

    /** Name, pipeline: what the table compares. */
    static final Map<String, String> VARIANTS = new LinkedHashMap<>();

    static {
        VARIANTS.put("minmax (W8A8 before)", pipeline("dtype=int8", "dtype=int8, method=minmax"));
        VARIANTS.put("minmax, 7-bit weights", pipeline("dtype=int8, reduce_range=true", "dtype=int8, method=minmax"));
        VARIANTS.put("minmax, 7-bit activations", pipeline("dtype=int8", "dtype=int8, method=minmax, reduce_range=true"));
        VARIANTS.put("mse", pipeline("dtype=int8", "dtype=int8, method=mse"));
        VARIANTS.put("mse, 7-bit activations", pipeline("dtype=int8", "dtype=int8, method=mse, reduce_range=true"));
        VARIANTS.put("mse, 7-bit activations, bias_correction=total",
                pipeline("dtype=int8", "dtype=int8, method=mse, reduce_range=true, bias_correction=total"));
    }

    public static void main(String[] args) throws Exception {
        OrtEnvironments.shared();  // before any other ONNX Runtime use: its start-up then needs no -Xss
        List<String> models = args.length == 0 ? List.of("mnist", "minilm") : List.of(args);
        Path tmp = Files.createTempDirectory("w8a8-report-");
        StringBuilder table = new StringBuilder();
        if (models.contains("mnist")) table.append(mnist(tmp));
        if (models.contains("minilm")) table.append(minilm(tmp));
        System.out.print(table);
    }

    private static String mnist(Path tmp) throws Exception {
        Path dir = Path.of("src/test/resources/models/mnist_dwnet");
        byte[] labels = Files.readAllBytes(dir.resolve("test_y.u8"));
        Tensor images = RealModelInputs.mnistTestImages().get("input");
        float[] fpLogits = OrtRunner.run(TestModels.MNIST, Map.of("input", images)).get("logits").floats();
        double fpAll = top1(fpLogits, labels);
        double fpNone = top1(OrtRunner.runUnoptimized(TestModels.MNIST, Map.of("input", images)).get("logits").floats(), labels);
        StringBuilder out = new StringBuilder();
        out.append("\nmnist_dwnet: top-1 on the 2000 test digits (float ").append(f4(fpAll))
                .append(fpAll == fpNone ? "" : ", unoptimized " + f4(fpNone)).append("), and the SNR of the logits to float\n\n");
        out.append("| variant | ORT default optimizations | ORT optimizations off |\n| --- | --- | --- |\n");
        int i = 0;
        for (Map.Entry<String, String> v : VARIANTS.entrySet()) {
            CalibrationData calibration = new RawFloatSamples(dir.resolve("calib_x.f32"), "input", new long[] {1, 1, 28, 28}, 500);
            Path model = tmp.resolve("mnist-" + i++ + ".onnx");
            CalibratedCompile.compile(TestModels.MNIST, v.getValue(), calibration, model);
            float[] all = OrtRunner.run(model, Map.of("input", images)).get("logits").floats();
            float[] none = OrtRunner.runUnoptimized(model, Map.of("input", images)).get("logits").floats();
            String row = "| " + v.getKey() + " | " + f4(top1(all, labels)) + ", " + snr(fpLogits, all) + " | "
                    + f4(top1(none, labels)) + ", " + snr(fpLogits, none) + " |\n";
            System.err.print("mnist " + row);
            out.append(row);
        }
        return out.toString();
    }

    private static String minilm(Path tmp) throws Exception {
        WordPiece wp = WordPiece.load(ActivationQuantizationOnMiniLmTest.TOKENIZER);
        Map<String, Tensor> inputs = SentenceEmbeddings.batch(wp, ActivationQuantizationOnMiniLmTest.HELD_OUT);
        long[] mask = inputs.get("attention_mask").longs();
        float[] reference = OrtRunner.run(TestModels.MINILM, inputs).get("last_hidden_state").floats();
        StringBuilder out = new StringBuilder();
        out.append("\nMiniLM-L6-v2: 16 held-out sentences, cosine of the mean-pooled embeddings to float (mean / min) "
                + "and SNR of last_hidden_state over the real tokens\n\n");
        out.append("| variant | ORT default optimizations | ORT optimizations off |\n| --- | --- | --- |\n");
        int i = 0;
        for (Map.Entry<String, String> v : VARIANTS.entrySet()) {
            CalibrationData calibration = ActivationQuantizationOnMiniLmTest.calibration(wp, 300);
            Path model = tmp.resolve("minilm-" + i++ + ".onnx");
            CalibratedCompile.compile(TestModels.MINILM, v.getValue(), calibration, model);
            String all = minilmScore(reference, OrtRunner.run(model, inputs).get("last_hidden_state").floats(), mask);
            String none = minilmScore(reference, OrtRunner.runUnoptimized(model, inputs).get("last_hidden_state").floats(), mask);
            String row = "| " + v.getKey() + " | " + all + " | " + none + " |\n";
            System.err.print("minilm " + row);
            out.append(row);
            Files.deleteIfExists(model);
        }
        return out.toString();
    }

    private static String minilmScore(float[] reference, float[] actual, long[] mask) {
        double[] cos = SentenceEmbeddings.cosines(reference, actual, mask, ActivationQuantizationOnMiniLmTest.HELD_OUT.size());
        int hidden = reference.length / mask.length;
        double signal = 0;
        double noise = 0;
        for (int t = 0; t < mask.length; t++) {
            if (mask[t] == 0) continue;
            for (int h = 0; h < hidden; h++) {
                double r = reference[t * hidden + h];
                double d = actual[t * hidden + h] - r;
                signal += r * r;
                noise += d * d;
            }
        }
        return String.format(Locale.ROOT, "%.4f / %.4f, %.1f dB", cos[0], cos[1], 10 * Math.log10(signal / noise));
    }

    private static String snr(float[] reference, float[] actual) {
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = actual[i] - reference[i];
            signal += (double) reference[i] * reference[i];
            noise += d * d;
        }
        return String.format(Locale.ROOT, "%.1f dB", 10 * Math.log10(signal / noise));
    }

    private static double top1(float[] logits, byte[] labels) {
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct / (double) labels.length;
    }

    private static String f4(double v) { return String.format(Locale.ROOT, "%.4f", v); }
}
