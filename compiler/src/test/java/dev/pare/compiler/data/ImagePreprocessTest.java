package dev.pare.compiler.data;

import static dev.pare.compiler.data.NpyBytes.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePreprocessTest {

    @TempDir Path dir;

    /** A 2x2 RGB PNG: red, green / blue, (10, 20, 30). */
    private Path png() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xFF0000);
        img.setRGB(1, 0, 0x00FF00);
        img.setRGB(0, 1, 0x0000FF);
        img.setRGB(1, 1, 0x0A141E);
        Path f = dir.resolve("img/a.png");
        Files.createDirectories(f.getParent());
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    private static float[] read(Path data, String spec, List<Value> inputs, long... shape) throws IOException {
        try (SampleSource s = CalibrationDataReaders.open(data, spec, inputs)) {
            TensorData t = s.sample(0).values().iterator().next();
            assertArrayEquals(shape, t.type().shape());
            return floats(t.bytes());
        }
    }

    @Test
    void defaultsFollowTheInputNchwRgbScaledToOne() throws IOException {
        Path f = png();
        float[] v = read(f.getParent(), null, ModelInputs.of("x:f32[N,3,2,2]"), 1, 3, 2, 2);
        assertArrayEquals(new float[] {1, 0, 0, 10 / 255f, 0, 1, 0, 20 / 255f, 0, 0, 1, 30 / 255f}, v, 1e-7f);
        assertEquals("resize=2x2 color=rgb layout=nchw scale=0.00392156862745098 mean=0.0,0.0,0.0 std=1.0,1.0,1.0",
                ImagePreprocess.parse(null, ModelInputs.of("x:f32[N,3,2,2]").get(0)).toString());
    }

    @Test
    void bgrNhwcWithMeanAndStd() throws IOException {
        Path f = png();
        // one file works as well as a folder; nhwc is inferred from the last dim 3
        float[] v = read(f, "color=bgr; scale=1 mean=10,20,30 std=2", ModelInputs.of("x:f32[1,2,2,3]"), 1, 2, 2, 3);
        // per pixel B, G, R: (value - mean[c]) / 2 with the mean in B, G, R order
        assertArrayEquals(new float[] {
            -5, -10, (255 - 30) / 2f,   -5, (255 - 20) / 2f, -15,
            (255 - 10) / 2f, -10, -15,  (30 - 10) / 2f, 0, (10 - 30) / 2f}, v, 1e-6f);
    }

    @Test
    void grayIsLumaAndResizeIsBilinear() throws IOException {
        Path f = png();
        float[] gray = read(f, "scale=1", ModelInputs.of("x:f32[N,1,2,2]"), 1, 1, 2, 2);
        assertArrayEquals(new float[] {0.299f * 255, 0.587f * 255, 0.114f * 255, 0.299f * 10 + 0.587f * 20 + 0.114f * 30}, gray, 1e-4f);

        // 2 -> 4 pixels wide: centres at -0.25, 0.25, 0.75, 1.25 (clamped): 0, 1/4, 3/4, 1 of the way
        float[] row = ImagePreprocess.resize(new float[] {0, 100}, 2, 1, 4, 1);
        assertArrayEquals(new float[] {0, 25, 75, 100}, row, 1e-5f);
        float[] wide = read(f, "resize=4x2 scale=1 color=gray", ModelInputs.of("x:f32[1,1,2,4]"), 1, 1, 2, 4);
        assertEquals(gray[0], wide[0], 1e-4f);
        assertEquals(0.75f * gray[0] + 0.25f * gray[1], wide[1], 1e-4f);
    }

    @Test
    void grayPngAndUint8Input() throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 7);
        img.getRaster().setSample(1, 0, 0, 200);
        Path f = dir.resolve("g.png");
        ImageIO.write(img, "png", f.toFile());
        // gray samples are taken as stored, not through sRGB conversion
        assertArrayEquals(new float[] {7, 200}, read(f, "scale=1", ModelInputs.of("x:f32[1,1,1,2]"), 1, 1, 1, 2));
        try (SampleSource s = CalibrationDataReaders.open(f, "layout=nhwc", ModelInputs.of("x:u8[1,1,2,3]"))) {
            TensorData t = s.sample(0).get("x");
            assertEquals(TensorType.of(DType.UINT8, 1, 1, 2, 3), t.type());
            byte[] b = new byte[6];
            t.bytes().get(b);
            // [1,2,3] would read as one channel first: layout=nhwc says otherwise; rgb repeats the gray channel
            assertArrayEquals(new byte[] {7, 7, 7, (byte) 200, (byte) 200, (byte) 200}, b);
        }

        BufferedImage deep = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(0, 0, 0, 65535);
        Path d = dir.resolve("d.png");
        ImageIO.write(deep, "png", d.toFile());
        assertArrayEquals(new float[] {255}, read(d, "scale=1", ModelInputs.of("x:f32[1,1,1,1]"), 1, 1, 1, 1));
    }

    @Test
    void specFileWithComments() throws IOException {
        Path spec = Files.writeString(dir.resolve("pre.txt"), "# ImageNet\nresize=4x4\nmean=0.485,0.456,0.406  # RGB\nstd=0.229,0.224,0.225\n");
        ImagePreprocess p = ImagePreprocess.parse("@" + spec, ModelInputs.of("x:f32[N,3,H,W]").get(0));
        assertEquals("resize=4x4 color=rgb layout=nchw scale=0.00392156862745098 mean=0.485,0.456,0.406 std=0.229,0.224,0.225", p.toString());
    }

    @Test
    void badSpecs() {
        Value rgb = ModelInputs.of("x:f32[N,3,8,8]").get(0);
        assertEquals("preprocess: unknown key 'size' (keys: resize, color, layout, scale, mean, std)", bad("size=4x4", rgb));
        assertEquals("preprocess: 'gray' is not key=value (keys: resize, color, layout, scale, mean, std)", bad("gray", rgb));
        assertEquals("preprocess: mean has 2 values; give 1 or 3 (one per channel)", bad("mean=1,2", rgb));
        assertEquals("preprocess: color=gray gives 1 channel but input 'x' (float32 [N,3,8,8]) has 3 in layout nchw", bad("color=gray", rgb));
        assertEquals("preprocess: layout=chw is not one of nchw|nhwc", bad("layout=chw", rgb));
        assertEquals("preprocess: resize=4 is not WxH (e.g. resize=224x224)", bad("resize=4", rgb));
        assertEquals("preprocess: scale value 'x' is not a number", bad("scale=x", rgb));
        assertEquals("preprocess: std must not be 0", bad("std=0", rgb));
        assertEquals("preprocess: input 'x' (float32 [N,3,H,W]) has no fixed height and width; give resize=WxH",
                bad("", ModelInputs.of("x:f32[N,3,H,W]").get(0)));
        assertEquals("preprocess: scale does not apply to input 'x' (uint8 [1,8,8,3]): it gets the pixels 0..255 as they are",
                bad("scale=1", ModelInputs.of("x:u8[1,8,8,3]").get(0)));
        assertEquals("preprocess: images can feed a float32, float16 or uint8 input, not input 'x' (int64 [1,3,8,8])",
                bad("", ModelInputs.of("x:i64[1,3,8,8]").get(0)));
        Path missing = dir.resolve("none.txt");
        assertEquals(missing + ": cannot read the preprocessing spec: " + missing, bad("@" + missing, rgb));
    }

    @Test
    void unreadableImageNamesTheFile() throws IOException {
        Path f = Files.write(dir.resolve("broken.png"), new byte[] {1, 2, 3});
        assertEquals(f + ": not an image format Java can read (PNG, JPEG, BMP, GIF)",
                assertThrows(DataException.class, () -> CalibrationDataReaders.open(f, null, ModelInputs.of("x:f32[1,1,2,2]"))).getMessage());
    }

    private static String bad(String spec, Value input) {
        return assertThrows(DataException.class, () -> ImagePreprocess.parse(spec, input)).getMessage();
    }
}
