package dev.pare.compiler.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.report.CompressionReport.ModelResults;
import dev.pare.compiler.report.CompressionReport.Row;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the compression report working: the report logic on mnist_dwnet for the float and the int8
 * configurations (table shape, sane accuracy and SNR), plus the input generators of the larger models.
 */
class CompressionReportTest {

    private static final Path COMPILER_DIR = Path.of("").toAbsolutePath();

    @TempDir Path tmp;

    @Test
    void mnistFloatAndInt8() throws Exception {
        List<Configuration> configs = List.of(CompressionReport.CONFIGURATIONS.get(0), CompressionReport.CONFIGURATIONS.get(3));
        assertEquals("QUANTIZE_INT8", configs.get(1).pipeline());
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ModelResults results = new CompressionReport(tmp, new PrintStream(progress, true, StandardCharsets.UTF_8))
                .measure(new MnistModel(COMPILER_DIR), configs);
        assertEquals(2, results.rows().size());

        Row cleanup = results.rows().get(0);
        assertTrue(cleanup.available(), cleanup.unavailable());
        assertEquals(Double.POSITIVE_INFINITY, cleanup.quality().snrDb(), "cleanup keeps ORT outputs bit-identical");
        assertEquals(0.983, cleanup.quality().metric(MnistModel.ACCURACY).value(), 0.002);
        assertEquals(0, cleanup.weightsCompressed());

        Row int8 = results.rows().get(1);
        assertTrue(int8.available(), int8.unavailable());
        assertTrue(int8.quality().metric(MnistModel.ACCURACY).value() >= 0.97, int8.toString());
        assertTrue(int8.quality().snrDb() > 20, int8.toString());
        assertTrue(int8.fileBytes() < 0.4 * results.floatFileBytes(), int8.fileBytes() + " of " + results.floatFileBytes());
        assertTrue(int8.weightsCompressed() > 0);
        assertTrue(int8.warnings().isEmpty(), int8.warnings().toString());

        String md = CompressionReport.markdown(List.of(results), configs);
        List<String> lines = Arrays.asList(md.split("\n"));
        int header = lines.indexOf("| configuration | file | vs float | SNR (dB) | test accuracy | weights compressed | compile (s) | notes |");
        assertTrue(header > 0, md);
        assertEquals("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |", lines.get(header + 1));
        for (int r = 0; r < 2; r++) {
            String line = lines.get(header + 2 + r);
            assertTrue(line.startsWith("| " + configs.get(r).label() + " | "), line);
            assertEquals(cellCount(lines.get(header)), cellCount(line), line);
        }
        assertTrue(lines.get(header + 2).contains("| ∞ (identical) | 0.9830 | 0 |"), lines.get(header + 2));
        assertTrue(md.contains("| int8 per-channel | `QUANTIZE_INT8` |"), md);
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("mnist_dwnet | int8 per-channel | "));
    }

    private static int cellCount(String markdownRow) {
        return markdownRow.substring(2, markdownRow.length() - 2).split(" \\| ", -1).length;
    }

    @Test
    void unavailableRowKeepsTheColumnCount() {
        ReportModel mnist = new MnistModel(COMPILER_DIR);
        Configuration int4 = CompressionReport.CONFIGURATIONS.get(4);
        ModelResults results = new ModelResults(mnist, 1000, List.of(Row.unavailable(int4, 0.25, "compile: a | b")));
        List<String> cells = CompressionReport.cells(results.rows().get(0), results);
        assertEquals(List.of("int4 per-block 32", "n/a", "n/a", "n/a", "n/a", "—", "0.3", "n/a: compile: a \\| b"), cells);
    }

    @Test
    void snrAndCosine() {
        assertEquals(10 * Math.log10(2 / 0.01), Signal.snrDb(new float[] {1, 1}, new float[] {1, 1.1f}), 1e-5);
        assertEquals(Double.POSITIVE_INFINITY, Signal.snrDb(new float[] {1, 2}, new float[] {1, 2}));
        assertTrue(Double.isNaN(Signal.snrDb(new float[] {1, 2}, new float[] {1, Float.NaN})));
        assertEquals(0.0, Signal.cosine(new double[] {1, 0}, new double[] {0, 3}), 0);
        assertEquals(1.0, Signal.cosine(new double[] {1, 2}, new double[] {2, 4}), 1e-12);
    }

    @Test
    void wordPieceMatchesTheBertUncasedVocabulary() throws Exception {
        WordPiece wp = WordPiece.load(COMPILER_DIR.resolve("target/test-models/minilm/all-minilm-l6-v2-tokenizer.json"));
        // bert-base-uncased ids: hello 7592, "," 1010, world 2088, "." 1012; "pruning" splits into pieces
        assertEquals(List.of(7592, 1010, 2088, 1012), wp.encode("Hello, world."));
        List<Integer> pruning = wp.encode("pruning");
        assertTrue(pruning.size() > 1, pruning.toString());
        assertEquals(101, wp.id("[CLS]"));
    }

    @Test
    void miniLmInputsAreRealTokensOfEveryLength() throws Exception {
        Map<String, Tensor> in = new MiniLmModel(COMPILER_DIR).inputs();
        long[] ids = in.get("input_ids").longs();
        long[] mask = in.get("attention_mask").longs();
        int shortest = Integer.MAX_VALUE;
        int longest = 0;
        for (int s = 0; s < MiniLmModel.SEQUENCES; s++) {
            int length = 0;
            for (int t = 0; t < MiniLmModel.MAX_LENGTH; t++) length += (int) mask[s * MiniLmModel.MAX_LENGTH + t];
            shortest = Math.min(shortest, length);
            longest = Math.max(longest, length);
            assertEquals(101, ids[s * MiniLmModel.MAX_LENGTH]);
            assertEquals(102, ids[s * MiniLmModel.MAX_LENGTH + length - 1]);
            for (int t = 0; t < length; t++) assertTrue(ids[s * MiniLmModel.MAX_LENGTH + t] != 100, "[UNK] in sequence " + s);
        }
        assertEquals(16, shortest);
        assertEquals(64, longest);
    }

    @Test
    void ocrImagesDecodeToText() throws Exception {
        OcrRecModel rec = new OcrRecModel(COMPILER_DIR);
        Map<String, Tensor> in = rec.inputs();
        Tensor out = OrtRunner.run(rec.file(), in).values().iterator().next();
        int steps = (int) out.shape()[1];
        int classes = (int) out.shape()[2];
        int nonEmpty = 0;
        for (int i = 0; i < OcrRecModel.IMAGES; i++) {
            int[] argmax = new int[steps];
            for (int t = 0; t < steps; t++) argmax[t] = Signal.argmax(out.floats(), (i * steps + t) * classes, classes);
            if (!OcrRecModel.ctc(argmax).isEmpty()) nonEmpty++;
            System.out.println("ppocr_rec image " + i + ": " + OcrRecModel.ctc(argmax));
        }
        // Dot-matrix text is still text: the model reads something on (nearly) every line.
        assertTrue(nonEmpty >= OcrRecModel.IMAGES * 9 / 10, nonEmpty + " of " + OcrRecModel.IMAGES + " lines decode to text");
        assertEquals(List.of(5, 7, 5), OcrRecModel.ctc(new int[] {0, 5, 5, 0, 7, 5, 5, 0}));
        assertFalse(Arrays.equals(OcrRecModel.textLine(new java.util.SplittableRandom(1)), OcrRecModel.textLine(new java.util.SplittableRandom(2))));
    }
}
