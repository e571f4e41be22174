package dev.pare.compiler.report;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * MiniLM-style sentence inputs and the quality measure the MiniLM reports and tests share: the
 * sentences as one batch padded to the longest, and the cosine of mean-pooled token embeddings.
 */
public final class SentenceEmbeddings {

    private SentenceEmbeddings() {}

    /** input_ids, attention_mask and token_type_ids of {@code [CLS] sentence [SEP]} rows, zero-padded. */
    public static Map<String, Tensor> batch(WordPiece wp, List<String> sentences) {
        int cls = wp.id("[CLS]");
        int sep = wp.id("[SEP]");
        List<List<Integer>> rows = new ArrayList<>();
        int max = 0;
        for (String s : sentences) {
            List<Integer> row = new ArrayList<>();
            row.add(cls);
            row.addAll(wp.encode(s));
            row.add(sep);
            rows.add(row);
            max = Math.max(max, row.size());
        }
        long[] ids = new long[rows.size() * max];
        long[] mask = new long[rows.size() * max];
        for (int r = 0; r < rows.size(); r++) {
            for (int t = 0; t < rows.get(r).size(); t++) {
                ids[r * max + t] = rows.get(r).get(t);
                mask[r * max + t] = 1;
            }
        }
        long[] shape = {rows.size(), max};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("input_ids", Tensor.ofLongs(shape, ids));
        in.put("attention_mask", Tensor.ofLongs(shape, mask));
        in.put("token_type_ids", Tensor.ofLongs(shape, new long[ids.length]));
        return in;
    }

    /**
     * Mean and minimum over the {@code sentences} rows of the cosine between the mean-pooled (over
     * the tokens {@code mask} keeps) embeddings {@code ref} and {@code out}, [sentences, tokens, hidden].
     */
    public static double[] cosines(float[] ref, float[] out, long[] mask, int sentences) {
        int hidden = ref.length / mask.length;
        int length = mask.length / sentences;
        double sum = 0;
        double min = 1;
        for (int s = 0; s < sentences; s++) {
            double[] a = new double[hidden];
            double[] b = new double[hidden];
            for (int t = 0; t < length; t++) {
                if (mask[s * length + t] == 0) continue;
                int base = (s * length + t) * hidden;
                for (int h = 0; h < hidden; h++) {
                    a[h] += ref[base + h];
                    b[h] += out[base + h];
                }
            }
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int h = 0; h < hidden; h++) {
                dot += a[h] * b[h];
                na += a[h] * a[h];
                nb += b[h] * b[h];
            }
            double cos = dot / Math.sqrt(na * nb);
            sum += cos;
            min = Math.min(min, cos);
        }
        return new double[] {sum / sentences, min};
    }
}
