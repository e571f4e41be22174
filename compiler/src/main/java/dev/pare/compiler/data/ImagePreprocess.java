package dev.pare.compiler.data;

import dev.pare.compiler.io.BoundedFiles;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How an image becomes a model input: resize to {@code width x height} (bilinear, pixel centres
 * aligned, no antialiasing), pick the channels ({@code rgb}, {@code bgr} or {@code gray}: luma
 * 0.299 R + 0.587 G + 0.114 B), then per channel {@code value = (pixel * scale - mean[c]) / std[c]}
 * with pixels in 0..255, laid out channels first ({@code nchw}) or last ({@code nhwc}). The array
 * has no batch axis; a batch axis of 1 is added when the input has one.
 *
 * <p>The spec is a list of {@code key=value} items separated by spaces, {@code ;} or new lines
 * ({@code #} starts a comment), or {@code @FILE} to read them from a file. Keys: {@code resize=WxH},
 * {@code color=rgb|bgr|gray}, {@code layout=nchw|nhwc}, {@code scale=F} (also {@code 1/255}),
 * {@code mean=A[,B,C]}, {@code std=A[,B,C]} (one value, or one per channel in the order the model
 * receives them). Unset keys come from the model input: its height, width and channel count, the
 * layout whose channel axis is 1 or 3, {@code gray} for one channel and {@code rgb} otherwise,
 * {@code scale=1/255}, mean 0 and std 1. A {@code uint8} input gets the resized pixels as they are.
 */
public record ImagePreprocess(int width, int height, Color color, Layout layout, double scale, double[] mean,
        double[] std, DType dtype) {

    public enum Color { RGB, BGR, GRAY }

    public enum Layout { NCHW, NHWC }

    /** Largest {@code @FILE} preprocessing spec read; a spec is a few lines. */
    public static final long MAX_SPEC_FILE_BYTES = 64 << 10;

    private static final List<String> KEYS = List.of("resize", "color", "layout", "scale", "mean", "std");

    public int channels() { return color == Color.GRAY ? 1 : 3; }

    /** The array shape this produces: {@code [C,H,W]} or {@code [H,W,C]}. */
    public long[] shape() {
        return layout == Layout.NCHW ? new long[] {channels(), height, width} : new long[] {height, width, channels()};
    }

    /**
     * Parses {@code spec} (null or blank: all defaults) for {@code input}.
     *
     * @throws DataException naming the key (and the spec file) on a bad spec
     */
    public static ImagePreprocess parse(String spec, Value input) throws DataException {
        String where = "preprocess";
        String text = spec == null ? "" : spec;
        if (text.startsWith("@")) {
            Path file = Path.of(text.substring(1));
            where = file.toString();
            try {
                text = new String(BoundedFiles.read(file, MAX_SPEC_FILE_BYTES), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new DataException(file + ": cannot read the preprocessing spec: " + e.getMessage());
            }
        }
        Map<String, String> items = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash);
            for (String item : line.trim().split("[\\s;]+")) {
                if (item.isEmpty()) continue;
                int eq = item.indexOf('=');
                if (eq <= 0) throw new DataException(where + ": '" + item + "' is not key=value (keys: " + String.join(", ", KEYS) + ")");
                String key = item.substring(0, eq).toLowerCase(Locale.ROOT);
                if (!KEYS.contains(key)) throw new DataException(where + ": unknown key '" + key + "' (keys: " + String.join(", ", KEYS) + ")");
                if (items.put(key, item.substring(eq + 1)) != null) throw new DataException(where + ": '" + key + "' is given twice");
            }
        }
        return resolve(items, input, where);
    }

    private static ImagePreprocess resolve(Map<String, String> items, Value input, String where) throws DataException {
        TensorType t = input.tensorType();
        DType dtype = t.dtype();
        String in = "input '" + input.name() + "' (" + DTypeNames.describe(t) + ")";
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT16 && dtype != DType.UINT8) {
            throw new DataException(where + ": images can feed a float32, float16 or uint8 input, not " + in);
        }
        List<Dim> dims = t.hasRank() ? t.dims() : null;
        if (dims != null && dims.size() != 3 && dims.size() != 4) {
            throw new DataException(where + ": images feed an input of rank 3 or 4, not " + in);
        }
        // the image axes: the last three dims of the input
        List<Dim> img = dims == null ? null : dims.subList(dims.size() - 3, dims.size());

        Layout layout;
        if (items.containsKey("layout")) {
            layout = enumValue(Layout.class, items.get("layout"), "layout", where);
        } else if (img != null && !isChannelCount(img.get(0)) && isChannelCount(img.get(2))) {
            layout = Layout.NHWC;
        } else {
            layout = Layout.NCHW;
        }
        Dim channelDim = img == null ? null : layout == Layout.NCHW ? img.get(0) : img.get(2);
        Dim heightDim = img == null ? null : layout == Layout.NCHW ? img.get(1) : img.get(0);
        Dim widthDim = img == null ? null : layout == Layout.NCHW ? img.get(2) : img.get(1);

        Color color;
        if (items.containsKey("color")) {
            color = enumValue(Color.class, items.get("color"), "color", where);
        } else {
            color = fixed(channelDim) == 1 ? Color.GRAY : Color.RGB;
        }
        int channels = color == Color.GRAY ? 1 : 3;
        long wantChannels = fixed(channelDim);
        if (wantChannels >= 0 && wantChannels != channels) {
            throw new DataException(where + ": color=" + color.name().toLowerCase(Locale.ROOT) + " gives " + channels
                    + " channel" + (channels == 1 ? "" : "s") + " but " + in + " has " + wantChannels + " in layout "
                    + layout.name().toLowerCase(Locale.ROOT));
        }

        int width;
        int height;
        if (items.containsKey("resize")) {
            String r = items.get("resize");
            String[] wh = r.toLowerCase(Locale.ROOT).split("x");
            if (wh.length != 2) throw new DataException(where + ": resize=" + r + " is not WxH (e.g. resize=224x224)");
            width = positive(wh[0], "resize width", where);
            height = positive(wh[1], "resize height", where);
        } else {
            long w = fixed(widthDim);
            long h = fixed(heightDim);
            if (w <= 0 || h <= 0) {
                throw new DataException(where + ": " + in + " has no fixed height and width; give resize=WxH");
            }
            width = (int) w;
            height = (int) h;
        }

        boolean raw = dtype == DType.UINT8;
        if (raw) {
            for (String k : List.of("scale", "mean", "std")) {
                if (items.containsKey(k)) throw new DataException(where + ": " + k + " does not apply to " + in + ": it gets the pixels 0..255 as they are");
            }
        }
        double scale = items.containsKey("scale") ? number(items.get("scale"), "scale", where) : raw ? 1.0 : 1.0 / 255;
        double[] mean = perChannel(items.get("mean"), "mean", channels, 0, where);
        double[] std = perChannel(items.get("std"), "std", channels, 1, where);
        for (double s : std) if (s == 0) throw new DataException(where + ": std must not be 0");
        return new ImagePreprocess(width, height, color, layout, scale, mean, std, dtype);
    }

    private static boolean isChannelCount(Dim d) { return fixed(d) == 1 || fixed(d) == 3; }

    private static long fixed(Dim d) { return d instanceof Dim.Fixed f ? f.size() : -1; }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String v, String key, String where) throws DataException {
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
        String options = String.join("|", Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        throw new DataException(where + ": " + key + "=" + v + " is not one of " + options);
    }

    private static int positive(String s, String what, String where) throws DataException {
        try {
            int v = Integer.parseInt(s.trim());
            if (v > 0 && v <= 1 << 15) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DataException(where + ": " + what + " '" + s + "' is not a size between 1 and 32768");
    }

    private static double number(String s, String key, String where) throws DataException {
        try {
            int slash = s.indexOf('/');
            double v = slash < 0 ? Double.parseDouble(s) : Double.parseDouble(s.substring(0, slash)) / Double.parseDouble(s.substring(slash + 1));
            if (Double.isFinite(v)) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DataException(where + ": " + key + " value '" + s + "' is not a number");
    }

    private static double[] perChannel(String s, String key, int channels, double dflt, String where) throws DataException {
        double[] out = new double[channels];
        if (s == null) {
            Arrays.fill(out, dflt);
            return out;
        }
        String[] parts = s.split(",");
        if (parts.length != 1 && parts.length != channels) {
            throw new DataException(where + ": " + key + " has " + parts.length + " values; give 1 or " + channels + " (one per channel)");
        }
        for (int c = 0; c < channels; c++) out[c] = number(parts[parts.length == 1 ? 0 : c].trim(), key, where);
        return out;
    }

    /** The preprocessed image as an array of the input's dtype. */
    Sample apply(BufferedImage image) {
        float[][] planes = channels(image);
        int c = planes.length;
        int n = width * height;
        float[][] resized = new float[c][];
        for (int i = 0; i < c; i++) resized[i] = resize(planes[i], image.getWidth(), image.getHeight(), width, height);
        int bytesPer = dtype == DType.FLOAT32 ? 4 : dtype == DType.FLOAT16 ? 2 : 1;
        ByteBuffer out = ByteBuffer.allocate(n * c * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n * c; k++) {
            // k walks the output in its own order: channel-major (nchw) or pixel-major (nhwc)
            int ch = layout == Layout.NCHW ? k / n : k % c;
            int px = layout == Layout.NCHW ? k % n : k / c;
            double v = resized[ch][px];
            if (dtype == DType.UINT8) {
                out.put((byte) Math.max(0, Math.min(255, Math.round(v))));
            } else {
                float f = (float) ((v * scale - mean[ch]) / std[ch]);
                if (dtype == DType.FLOAT32) out.putFloat(f);
                else out.putShort(Float16.fromFloat(f));
            }
        }
        return new Sample(dtype, shape(), out.array());
    }

    /** The image's channels in the configured order, values 0..255. */
    private float[][] channels(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        float[] r = new float[w * h];
        float[] g = new float[w * h];
        float[] b = new float[w * h];
        boolean grayImage = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        if (grayImage) {
            // read gray samples directly: getRGB would apply the linear-gray-to-sRGB conversion
            double max = (1 << image.getColorModel().getComponentSize(0)) - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = (float) (raster.getSample(x, y, 0) * 255.0 / max);
                    r[y * w + x] = v;
                    g[y * w + x] = v;
                    b[y * w + x] = v;
                }
            }
            if (color == Color.GRAY) return new float[][] {r};
        } else {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int argb = image.getRGB(x, y);
                    r[y * w + x] = (argb >> 16) & 0xFF;
                    g[y * w + x] = (argb >> 8) & 0xFF;
                    b[y * w + x] = argb & 0xFF;
                }
            }
        }
        return switch (color) {
            case RGB -> new float[][] {r, g, b};
            case BGR -> new float[][] {b, g, r};
            case GRAY -> {
                float[] l = new float[w * h];
                for (int i = 0; i < l.length; i++) l[i] = (float) (0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i]);
                yield new float[][] {l};
            }
        };
    }

    /** Bilinear resampling with pixel centres aligned (half-pixel offsets), edges clamped. */
    static float[] resize(float[] src, int sw, int sh, int dw, int dh) {
        if (sw == dw && sh == dh) return src;
        float[] out = new float[dw * dh];
        for (int y = 0; y < dh; y++) {
            double sy = clamp((y + 0.5) * sh / dh - 0.5, sh - 1);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, sh - 1);
            double fy = sy - y0;
            for (int x = 0; x < dw; x++) {
                double sx = clamp((x + 0.5) * sw / dw - 0.5, sw - 1);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, sw - 1);
                double fx = sx - x0;
                double top = src[y0 * sw + x0] * (1 - fx) + src[y0 * sw + x1] * fx;
                double bottom = src[y1 * sw + x0] * (1 - fx) + src[y1 * sw + x1] * fx;
                out[y * dw + x] = (float) (top * (1 - fy) + bottom * fy);
            }
        }
        return out;
    }

    private static double clamp(double v, int max) { return Math.max(0, Math.min(max, v)); }

    /** The spec in canonical form, e.g. {@code resize=28x28 color=gray layout=nchw scale=0.003922 mean=0 std=1}. */
    @Override public String toString() {
        return "resize=" + width + "x" + height + " color=" + color.name().toLowerCase(Locale.ROOT) + " layout="
                + layout.name().toLowerCase(Locale.ROOT) + " scale=" + scale + " mean=" + join(mean) + " std=" + join(std);
    }

    private static String join(double[] v) {
        return String.join(",", Arrays.stream(v).mapToObj(Double::toString).toList());
    }
}
