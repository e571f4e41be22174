package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/corpus/make-inputs.py}, the corpus's sample writer: the input kinds of the
 * {@code inputs} column of models.tsv hold what they say, deterministically for a seed.
 */
class MakeInputsScriptTest {

    private static final Pattern SHAPE = Pattern.compile("'shape': \\(([0-9, ]*)\\)");

    @TempDir Path dir;

    /** A float32 .npy: its shape and values. */
    record Npy(long[] shape, float[] values) {}

    private static Npy read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
        assertTrue(header.contains("'descr': '<f4'"), header);
        Matcher m = SHAPE.matcher(header);
        assertTrue(m.find(), header);
        long[] shape = Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        ByteBuffer b = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return new Npy(shape, v);
    }

    private Path run(String name, String shapes, String kind, int seed) throws Exception {
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("python3", "../scripts/corpus/make-inputs.py", out.toString(), "2",
                Integer.toString(seed), shapes, ""));
        if (kind != null) cmd.add(kind);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        return out;
    }

    @Test
    void textImageIsDarkGlyphsOnALightPageNormalizedAsPpOcr() throws Exception {
        Path out = run("text", "x=1,3,48,64", "text-image", 0);
        Npy x = read(out.resolve("000/x.npy"));
        assertArrayEquals(new long[] {1, 3, 48, 64}, x.shape());
        float[] mean = {0.485f, 0.456f, 0.406f};
        float[] std = {0.229f, 0.224f, 0.225f};
        int plane = 48 * 64;
        int dark = 0;
        int light = 0;
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < plane; k++) {
                double gray = (x.values()[c * plane + k] * std[c] + mean[c]) * 255;
                assertTrue(gray > -1e-3 && gray < 255 + 1e-3, "gray level " + gray);
                if (c == 0 && gray < 90) dark++;
                if (c == 0 && gray > 150) light++;
            }
        }
        // every pixel is page or ink, and the three channels hold the same gray
        assertEquals(plane, dark + light);
        assertTrue(dark > plane / 50 && dark < plane / 2, "ink pixels: " + dark + " of " + plane);
        for (int k = 0; k < plane; k++) {
            double r = x.values()[k] * std[0] + mean[0];
            double b = x.values()[2 * plane + k] * std[2] + mean[2];
            assertEquals(r, b, 1e-5);
        }
        // deterministic, and another seed draws another page
        assertArrayEquals(Files.readAllBytes(out.resolve("001/x.npy")), Files.readAllBytes(run("again", "x=1,3,48,64", "text-image", 0).resolve("001/x.npy")));
        assertFalse(Arrays.equals(x.values(), read(run("other", "x=1,3,48,64", "text-image", 1).resolve("000/x.npy")).values()));
    }

    @Test
    void linesImageIsInMinusOneToOneWithAChannelOfOnes() throws Exception {
        Npy x = read(run("lines", "input=1,40,40,4", "lines-image", 0).resolve("000/input.npy"));
        assertArrayEquals(new long[] {1, 40, 40, 4}, x.shape());
        int extreme = 0;
        for (int p = 0; p < 40 * 40; p++) {
            assertEquals(1f, x.values()[p * 4 + 3], "channel 3 is ones");
            for (int c = 0; c < 3; c++) {
                float v = x.values()[p * 4 + c];
                assertTrue(v >= -1 && v <= 1, "value " + v);
            }
            // line pixels are near black or white; the background is mid-gray ([0.1, 0.9] as colors)
            if (Math.abs(x.values()[p * 4]) > 0.8f) extreme++;
        }
        assertTrue(extreme > 20 && extreme < 40 * 40 / 2, "line pixels: " + extreme);
    }

    @Test
    void noiseIsTheDefaultAndUnknownKindsAreRefused() throws Exception {
        Npy x = read(run("noise", "input=1,512", null, 0).resolve("000/input.npy"));
        assertArrayEquals(new long[] {1, 512}, x.shape());
        for (float v : x.values()) assertTrue(v >= 0 && v < 1, "uniform in [0, 1): " + v);
        Process p = new ProcessBuilder("python3", "../scripts/corpus/make-inputs.py", dir.resolve("bad").toString(), "1", "0",
                "x=1,2", "", "speech").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertEquals("make-inputs: unknown input kind 'speech' (noise, text-image, lines-image)\n", log);
    }
}
