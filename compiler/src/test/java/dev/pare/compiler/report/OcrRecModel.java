package dev.pare.compiler.report;

import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PP-OCRv4 text recognition on generated text-line images [3,48,320]: random strings of digits and
 * capitals in a 5×7 dot-matrix font on a light, slightly uneven background, normalised as PP-OCR does ((v/255 − 0.5) / 0.5). Compares the
 * softmax output (SNR), the per-timestep argmax (top-1 agreement) and the greedy CTC decoding
 * (fraction of images whose decoded label sequence is unchanged).
 */
final class OcrRecModel implements ReportModel {

    static final String TOP1 = "timestep top-1 agreement";
    static final String SAME_TEXT = "same CTC text";
    static final int IMAGES = 32;
    static final int HEIGHT = 48;
    static final int WIDTH = 320;

    private final Path file;

    /** {@code compilerDir} is the compiler module's directory. */
    OcrRecModel(Path compilerDir) {
        this.file = compilerDir.resolve("target/test-models/ppocr/ch_PP-OCRv4_rec_infer.onnx");
    }

    @Override public String name() { return "ppocr_rec"; }

    @Override public Path file() { return file; }

    @Override public String description() {
        return IMAGES + " generated text-line images [3," + HEIGHT + "," + WIDTH + "] (random strings of digits and capitals in a 5×7 dot-matrix font on a light background) "
                + "in one batch; SNR of the softmax output; top-1 agreement of the per-timestep argmax; "
                + "fraction of images whose greedy CTC decoding is unchanged";
    }

    @Override public List<String> metricNames() { return List.of(TOP1, SAME_TEXT); }

    @Override public Map<String, Tensor> inputs() {
        float[] x = new float[IMAGES * 3 * HEIGHT * WIDTH];
        for (int i = 0; i < IMAGES; i++) {
            float[] gray = textLine(new SplittableRandom(1000 + i));
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < gray.length; p++) x[(i * 3 + c) * HEIGHT * WIDTH + p] = (gray[p] / 255f - 0.5f) / 0.5f;
            }
        }
        return Map.of("x", Tensor.ofFloats(new long[] {IMAGES, 3, HEIGHT, WIDTH}, x));
    }

    /** The characters {@link #textLine} writes, and their 5×7 dot patterns (row by row, '#' = ink). */
    static final String ALPHABET = "0123456789ACDEHLPRT";
    private static final String[] GLYPHS = {
        ".###.#...##..###.#.###..##...#.###.", "..#...##....#....#....#....#...###.", ".###.#...#....#...#...#...#...#####",
        "#####...#...#.....#.....##...#.###.", "...#...##..#.#.#..#.#####...#....#.", "######....####.....#....##...#.###.",
        "..##..#...#....####.#...##...#.###.", "#####....#...#...#...#....#....#...", ".###.#...##...#.###.#...##...#.###.",
        ".###.#...##...#.####....#...#..##..", ".###.#...##...#######...##...##...#", ".###.#...##....#....#....#...#.###.",
        "###..#..#.#...##...##...##..#.###..", "######....#....####.#....#....#####", "#...##...##...#######...##...##...#",
        "#....#....#....#....#....#....#####", "####.#...##...#####.#....#....#....", "####.#...##...#####.#.#..#..#.#...#",
        "#####..#....#....#....#....#....#.."};
    private static final int DOT = 4;

    /** A random string of the alphabet, 6 to 12 characters, with the occasional space. */
    static String text(SplittableRandom r) {
        StringBuilder s = new StringBuilder();
        int length = 6 + r.nextInt(7);
        for (int i = 0; i < length; i++) {
            s.append(i > 0 && i < length - 1 && r.nextInt(6) == 0 ? ' ' : ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        }
        return s.toString();
    }

    /**
     * A gray text line, 0..255: {@link #text} in a 5×7 dot-matrix font (dots of 4 pixels, one dot
     * between characters) on an uneven light background, softened with a 3×3 box blur.
     */
    static float[] textLine(SplittableRandom r) {
        float[] img = new float[HEIGHT * WIDTH];
        double phase = r.nextDouble(6);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                img[y * WIDTH + x] = (float) (228 + 15 * Math.sin(x / 61.0 + y / 23.0 + phase) + r.nextDouble(-5, 5));
            }
        }
        float ink = (float) r.nextDouble(15, 70);
        String text = text(r);
        int left = 8 + r.nextInt(16);
        int top = (HEIGHT - 7 * DOT) / 2 + r.nextInt(-3, 4);
        for (int c = 0; c < text.length(); c++) {
            int glyph = ALPHABET.indexOf(text.charAt(c));
            if (glyph < 0) continue; // a space
            String dots = GLYPHS[glyph];
            for (int row = 0; row < 7; row++) {
                for (int col = 0; col < 5; col++) {
                    if (dots.charAt(row * 5 + col) != '#') continue;
                    for (int y = 0; y < DOT; y++) {
                        for (int x = 0; x < DOT; x++) {
                            img[(top + row * DOT + y) * WIDTH + left + c * 6 * DOT + col * DOT + x] = ink;
                        }
                    }
                }
            }
        }
        return blur(img);
    }

    private static float[] blur(float[] img) {
        float[] out = new float[img.length];
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                float sum = 0;
                int n = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy;
                        int xx = x + dx;
                        if (yy < 0 || yy >= HEIGHT || xx < 0 || xx >= WIDTH) continue;
                        sum += img[yy * WIDTH + xx];
                        n++;
                    }
                }
                out[y * WIDTH + x] = sum / n;
            }
        }
        return out;
    }

    @Override public Quality compare(Map<String, Tensor> reference, Map<String, Tensor> candidate) {
        Tensor refTensor = reference.values().iterator().next();
        float[] ref = refTensor.floats();
        float[] out = candidate.values().iterator().next().floats();
        long[] shape = refTensor.shape(); // [images, timesteps, classes]
        int steps = (int) shape[1];
        int classes = (int) shape[2];
        int agree = 0;
        int sameText = 0;
        for (int i = 0; i < IMAGES; i++) {
            int[] a = new int[steps];
            int[] b = new int[steps];
            for (int t = 0; t < steps; t++) {
                int offset = (i * steps + t) * classes;
                a[t] = Signal.argmax(ref, offset, classes);
                b[t] = Signal.argmax(out, offset, classes);
                if (a[t] == b[t]) agree++;
            }
            if (ctc(a).equals(ctc(b))) sameText++;
        }
        return new Quality(Signal.snrDb(ref, out), List.of(
                new Metric(TOP1, agree / (double) (IMAGES * steps), Metric.Kind.PERCENT),
                new Metric(SAME_TEXT, sameText / (double) IMAGES, Metric.Kind.PERCENT)));
    }

    /** Greedy CTC decoding: repeats collapsed, blanks (class 0) dropped. */
    static List<Integer> ctc(int[] argmax) {
        List<Integer> labels = new ArrayList<>();
        int previous = -1;
        for (int c : argmax) {
            if (c != previous && c != 0) labels.add(c);
            previous = c;
        }
        return labels;
    }
}
