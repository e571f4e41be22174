package dev.pare.compiler.report;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 on 32 windows of real English text, tokenised with the model's own WordPiece
 * vocabulary, 16 to 64 tokens each (with [CLS] and [SEP]), padded to 64 in one batch: SNR of
 * {@code last_hidden_state} over the real tokens, and the cosine between the float and compressed
 * sentence embeddings (the hidden states mean-pooled over the attention mask, as sentence-transformers
 * does).
 */
final class MiniLmModel implements ReportModel {

    static final String MEAN_COSINE = "mean embedding cosine";
    static final String MIN_COSINE = "min embedding cosine";
    static final int SEQUENCES = 32;
    static final int MAX_LENGTH = 64;
    private static final int HIDDEN = 384;

    /** Text to cut windows from (written for this report, varied topics and lengths). */
    private static final String TEXT = String.join(" ",
            "The old lighthouse keeper climbed the spiral stairs every evening to light the lamp before the fishing boats returned.",
            "Quarterly revenue rose by eight percent, driven mostly by subscriptions in Europe and a strong holiday season.",
            "To reset the router, hold the small button on the back for ten seconds until the lights begin to flash.",
            "Photosynthesis converts light energy into chemical energy, storing it in the bonds of glucose molecules.",
            "She missed the last train, so she walked home through the quiet streets, listening to the rain on the umbrella.",
            "The committee postponed its decision on the new bridge because the environmental report was incomplete.",
            "Whisk the eggs with sugar until pale, fold in the flour gently, and bake at one hundred eighty degrees for twenty minutes.",
            "A compiler translates source code into machine instructions, often optimizing loops and removing dead code on the way.",
            "The museum's new exhibition shows maps drawn by sailors who crossed the Atlantic in the sixteenth century.",
            "After the storm, volunteers cleared fallen trees from the roads and checked on elderly neighbours.",
            "Regular exercise, enough sleep and a balanced diet reduce the risk of many chronic diseases.",
            "The striker scored twice in the second half, and the home team won the championship for the first time in decades.",
            "Please attach your receipt to the expense form and submit it before the end of the month.",
            "Glaciers in the northern valleys have retreated several hundred meters since measurements began.",
            "The children built a cardboard rocket in the garden and argued about who would be the first astronaut.",
            "Neural networks can be made smaller by pruning weights, sharing values through a look-up table, or quantizing them to fewer bits.");

    private final Path file;
    private final Path tokenizer;
    private long[] mask;

    /** {@code compilerDir} is the compiler module's directory. */
    MiniLmModel(Path compilerDir) {
        Path dir = compilerDir.resolve("target/test-models/minilm");
        this.file = dir.resolve("all-minilm-l6-v2.onnx");
        this.tokenizer = dir.resolve("all-minilm-l6-v2-tokenizer.json");
    }

    @Override public String name() { return "minilm"; }

    @Override public Path file() { return file; }

    @Override public String description() {
        return SEQUENCES + " windows of English text tokenised with the model's WordPiece vocabulary, 16 to " + MAX_LENGTH
                + " tokens each, padded to " + MAX_LENGTH + " in one batch; SNR of `last_hidden_state` over the real tokens; "
                + "cosine between float and compressed sentence embeddings (hidden states mean-pooled over the attention mask)";
    }

    @Override public List<String> metricNames() { return List.of(MEAN_COSINE, MIN_COSINE); }

    @Override public Map<String, Tensor> inputs() throws IOException {
        WordPiece wp = WordPiece.load(tokenizer);
        List<Integer> stream = wp.encode(TEXT);
        int cls = wp.id("[CLS]");
        int sep = wp.id("[SEP]");
        long[] ids = new long[SEQUENCES * MAX_LENGTH];
        mask = new long[SEQUENCES * MAX_LENGTH];
        for (int s = 0; s < SEQUENCES; s++) {
            int length = 16 + (s * 31) % (MAX_LENGTH - 16 + 1); // 16..64, spread over the batch
            int words = length - 2;
            int offset = (s * 97) % (stream.size() - words);
            int row = s * MAX_LENGTH;
            ids[row] = cls;
            for (int t = 0; t < words; t++) ids[row + 1 + t] = stream.get(offset + t);
            ids[row + length - 1] = sep;
            for (int t = 0; t < length; t++) mask[row + t] = 1;
        }
        long[] shape = {SEQUENCES, MAX_LENGTH};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, mask));
        in.put("token_type_ids", Tensor.ofLongs(shape, new long[SEQUENCES * MAX_LENGTH]));
        return in;
    }

    @Override public Quality compare(Map<String, Tensor> reference, Map<String, Tensor> candidate) {
        float[] ref = reference.get("last_hidden_state").floats();
        float[] out = candidate.get("last_hidden_state").floats();
        double signal = 0;
        double noise = 0;
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        for (int s = 0; s < SEQUENCES; s++) {
            double[] a = new double[HIDDEN];
            double[] b = new double[HIDDEN];
            for (int t = 0; t < MAX_LENGTH; t++) {
                if (mask[s * MAX_LENGTH + t] == 0) continue;
                int base = (s * MAX_LENGTH + t) * HIDDEN;
                for (int h = 0; h < HIDDEN; h++) {
                    double r = ref[base + h];
                    double d = r - out[base + h];
                    signal += r * r;
                    noise += d * d;
                    a[h] += r;
                    b[h] += out[base + h];
                }
            }
            // The mean's 1/length factor does not change the cosine.
            double cos = Signal.cosine(a, b);
            sum += cos;
            min = Math.min(min, cos);
        }
        return new Quality(Signal.snrDb(signal, noise), List.of(
                new Metric(MEAN_COSINE, sum / SEQUENCES, Metric.Kind.COSINE),
                new Metric(MIN_COSINE, min, Metric.Kind.COSINE)));
    }
}
