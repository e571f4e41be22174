package dev.pare.compiler.report;

import dev.pare.compiler.runtime.OrtEnvironments;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * MiniLM data for scripts/data-aware-report.sh (README "Data-aware compression"):
 * <ul>
 *   <li>{@code calibration TOKENIZER DIR N}: writes N token sequences (16 to 64 tokens, windows of
 *       the project's dialect documents) as {@code DIR/<i>/input_ids.npy}, {@code attention_mask.npy},
 *       {@code token_type_ids.npy} (int64 [1, L]), the layout {@code --calibration-data} reads;</li>
 *   <li>{@code cosine TOKENIZER FLOAT.onnx OUT.onnx}: runs both models in ONNX Runtime on 16 held-out
 *       sentences (none from the calibration text) and prints the mean and minimum cosine between
 *       their sentence embeddings (last_hidden_state mean-pooled over the attention mask).</li>
 * </ul>
 */
public final class DataAwareMiniLm {

    /** Held out: general sentences, none of them in the calibration text. */
    static final List<String> HELD_OUT = List.of(
            "The ferry was cancelled because of the storm over the bay.",
            "A small bakery on the corner sells bread until noon.",
            "The committee will vote on the new parking rules next month.",
            "Her grandfather repaired old clocks in a workshop behind the house.",
            "The hikers reached the summit just as the fog lifted.",
            "This recipe needs three eggs, sugar and a pinch of salt.",
            "The printer on the second floor is out of paper again.",
            "Scientists found a new species of frog in the rainforest.",
            "The concert was moved indoors after the forecast changed.",
            "He forgot his umbrella on the train to the airport.",
            "The city opened a cycling lane along the old canal.",
            "Children learn languages faster when they hear them every day.",
            "The bridge will be closed for repairs during the weekend.",
            "A good night's sleep improves memory and concentration.",
            "The shop offers a discount to students on Tuesdays.",
            "Astronomers observed a comet passing close to the sun.");

    private DataAwareMiniLm() {}

    public static void main(String[] args) throws Exception {
        OrtEnvironments.shared();  // before any other ONNX Runtime use: its start-up then needs no -Xss
        if (args.length == 4 && args[0].equals("calibration")) {
            calibration(WordPiece.load(Path.of(args[1])), Path.of(args[2]), Integer.parseInt(args[3]));
        } else if (args.length == 4 && args[0].equals("cosine")) {
            double[] c = cosine(WordPiece.load(Path.of(args[1])), Path.of(args[2]), Path.of(args[3]));
            System.out.printf(Locale.ROOT, "cosine mean %.4f min %.4f%n", c[0], c[1]);
        } else {
            System.err.println("usage: DataAwareMiniLm calibration TOKENIZER DIR N | cosine TOKENIZER FLOAT.onnx OUT.onnx");
            System.exit(2);
        }
    }

    static void calibration(WordPiece wp, Path dir, int count) throws IOException {
        int cls = wp.id("[CLS]");
        int sep = wp.id("[SEP]");
        Path root = Path.of(System.getProperty("pare.root", "."));
        String text = Files.readString(root.resolve("ir/PARE_DIALECT.md"), StandardCharsets.UTF_8) + " "
                + Files.readString(root.resolve("ir/MIL_DIALECT.md"), StandardCharsets.UTF_8);
        List<Integer> stream = wp.encode(text);
        for (int i = 0; i < count; i++) {
            int length = 16 + (i * 37) % 49;
            int words = length - 2;
            int offset = (int) ((i * 131L) % (stream.size() - words));
            long[] ids = new long[length];
            long[] mask = new long[length];
            ids[0] = cls;
            for (int t = 0; t < words; t++) ids[1 + t] = stream.get(offset + t);
            ids[length - 1] = sep;
            java.util.Arrays.fill(mask, 1);
            Path sample = Files.createDirectories(dir.resolve(String.format(Locale.ROOT, "%04d", i)));
            Files.write(sample.resolve("input_ids.npy"), npyInt64(ids));
            Files.write(sample.resolve("attention_mask.npy"), npyInt64(mask));
            Files.write(sample.resolve("token_type_ids.npy"), npyInt64(new long[length]));
        }
    }

    /** A version-1 .npy of int64 [1, n]. */
    private static byte[] npyInt64(long[] v) {
        String header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, " + v.length + "), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (long x : v) b.putLong(x);
        return b.array();
    }

    static double[] cosine(WordPiece wp, Path floatModel, Path compressed) throws Exception {
        Map<String, Tensor> in = SentenceEmbeddings.batch(wp, HELD_OUT);
        long[] mask = in.get("attention_mask").longs();
        float[] a = OrtRunner.run(floatModel, in).get("last_hidden_state").floats();
        float[] b = OrtRunner.run(compressed, in).get("last_hidden_state").floats();
        return SentenceEmbeddings.cosines(a, b, mask, HELD_OUT.size());
    }
}
