package dev.pare.compiler.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.report.SentenceEmbeddings;
import dev.pare.compiler.report.WordPiece;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.TensorData;
import dev.pare.testkit.TestCalibrationData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * W8A8 on all-MiniLM-L6-v2: calibrated on 300 token sequences (16 to 64 tokens) cut from the
 * project's dialect documents and a few general sentences, tokenised with the model's WordPiece
 * vocabulary; measured on held-out sentences as the cosine between the float and the compressed
 * sentence embeddings (last_hidden_state mean-pooled over the attention mask), next to the cosine
 * of the int8 model shipped with the model ({@code -q}).
 */
class ActivationQuantizationOnMiniLmTest {

    static final Path TOKENIZER = TestModels.MINILM.resolveSibling("all-minilm-l6-v2-tokenizer.json");
    private static final int CALIBRATION_SAMPLES = 300;

    private static final String CALIBRATION_EXTRA = String.join(" ",
            "The train to the coast leaves every hour, and the last one departs just before midnight.",
            "Our team reviewed the proposal and asked for a clearer budget and a realistic timeline.",
            "Heavy rain is expected tomorrow afternoon, with strong winds along the northern hills.",
            "He bought fresh bread, two kinds of cheese and a bag of apples at the market.",
            "The software update fixes a crash that happened when the screen was rotated.",
            "Many birds migrate south in autumn, following rivers and coastlines for thousands of kilometres.",
            "The novel tells the story of a family that runs a small hotel by the sea.",
            "Students must hand in the assignment by Friday and present their results next week.");

    /** Held out: none of these sentences is in the calibration text. */
    static final List<String> HELD_OUT = List.of(
            "A cat slept in the warm sunlight on the kitchen window sill.",
            "The central bank raised interest rates to slow down inflation.",
            "Mix the flour and the butter, then add cold water until the dough holds together.",
            "The spacecraft entered orbit around Mars after a journey of seven months.",
            "Please restart your computer to finish installing the updates.",
            "The orchestra played a symphony by Beethoven to a full concert hall.",
            "Doctors recommend drinking enough water during hot summer days.",
            "The goalkeeper saved a penalty in the last minute of the match.",
            "An earthquake damaged several old buildings in the city centre.",
            "The library extended its opening hours during the exam period.",
            "Quantizing activations to eight bits makes inference faster on many processors.",
            "She learned to play the guitar by watching videos online every evening.",
            "The company announced a new electric car with a longer driving range.",
            "Volunteers planted hundreds of trees along the river bank on Saturday.",
            "The museum guide explained how the ancient statues were carved.",
            "Traffic was slow this morning because of roadworks on the main bridge.");

    @TempDir Path tmp;

    @Test
    void w8a8KeepsSentenceEmbeddingsOfHeldOutText() throws Exception {
        WordPiece wp = WordPiece.load(TOKENIZER);
        int cls = wp.id("[CLS]");
        int sep = wp.id("[SEP]");
        TestCalibrationData calibration = calibration(wp, CALIBRATION_SAMPLES);
        Path out = tmp.resolve("minilm-w8a8.onnx");
        CalibratedCompile.compile(TestModels.MINILM, "W8A8", calibration, out);

        Map<String, Tensor> inputs = SentenceEmbeddings.batch(wp, HELD_OUT);
        long[] mask = inputs.get("attention_mask").longs();
        float[] reference = OrtRunner.run(TestModels.MINILM, inputs).get("last_hidden_state").floats();
        double[] w8a8 = SentenceEmbeddings.cosines(reference, OrtRunner.run(out, inputs).get("last_hidden_state").floats(), mask,
                HELD_OUT.size());
        double[] shipped = SentenceEmbeddings.cosines(reference,
                OrtRunner.run(TestModels.MINILM_Q, inputs).get("last_hidden_state").floats(), mask, HELD_OUT.size());
        System.out.printf(Locale.ROOT, "MiniLM W8A8 (%d calibration sequences): embedding cosine mean %.5f min %.5f; shipped int8 -q model: mean %.5f min %.5f%n",
                CALIBRATION_SAMPLES, w8a8[0], w8a8[1], shipped[0], shipped[1]);
        assertTrue(w8a8[0] >= 0.99, "mean cosine " + w8a8[0]);
    }

    /** {@code samples} token windows (16 to 64 tokens) of the dialect documents and a few sentences. */
    static TestCalibrationData calibration(WordPiece wp, int samples) throws java.io.IOException {
        int cls = wp.id("[CLS]");
        int sep = wp.id("[SEP]");
        String text = Files.readString(Path.of("../ir/PARE_DIALECT.md"), StandardCharsets.UTF_8) + " "
                + Files.readString(Path.of("../ir/MIL_DIALECT.md"), StandardCharsets.UTF_8) + " " + CALIBRATION_EXTRA;
        List<Integer> stream = wp.encode(text);
        return TestCalibrationData.generated("minilm text windows", samples, i -> {
            int length = 16 + (i * 37) % 49;
            int words = length - 2;
            int offset = (int) ((i * 131L) % (stream.size() - words));
            long[] ids = new long[length];
            long[] mask = new long[length];
            ids[0] = cls;
            for (int t = 0; t < words; t++) ids[1 + t] = stream.get(offset + t);
            ids[length - 1] = sep;
            java.util.Arrays.fill(mask, 1);
            long[] shape = {1, length};
            Map<String, TensorData> sample = new LinkedHashMap<>();
            sample.put("input_ids", TensorData.ofLongs(shape, ids));
            sample.put("attention_mask", TensorData.ofLongs(shape, mask));
            sample.put("token_type_ids", TensorData.ofLongs(shape, new long[length]));
            return sample;
        });
    }
}
