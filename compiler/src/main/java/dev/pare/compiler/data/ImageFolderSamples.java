package dev.pare.compiler.data;

import dev.pare.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** A folder of images (PNG, JPEG, BMP, GIF: what {@link ImageIO} reads), one sample each, for a one-input model. */
final class ImageFolderSamples extends ModelSamples {

    /** Largest image decoded, in pixels (8192 x 8192); a calibration image is resized far below that anyway. */
    public static final long MAX_PIXELS = 8192L * 8192;

    static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private final List<Path> files;
    private final Value input;
    private final ImagePreprocess preprocess;

    ImageFolderSamples(String source, List<Path> files, String spec, List<Value> inputs) throws DataException {
        super(source, inputs);
        this.files = List.copyOf(files);
        this.input = single(inputs, source, "a folder of images");
        this.preprocess = ImagePreprocess.parse(spec, input);
    }

    static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(name::endsWith);
    }

    ImagePreprocess preprocess() { return preprocess; }

    @Override public int size() { return files.size(); }

    @Override protected Map<String, Located> read(int index) throws IOException {
        Path f = files.get(index);
        BufferedImage image;
        try {
            image = decode(f);
        } catch (DataException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DataException(f + ": cannot read the image: " + e.getMessage(), e);
        }
        return Map.of(input.name(), new Located(preprocess.apply(image), f.toString()));
    }

    /**
     * Decodes the first image of {@code f}, after checking the size its header declares against
     * {@link #MAX_PIXELS}: a few bytes of PNG can announce a picture that needs gigabytes.
     */
    private static BufferedImage decode(Path f) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new DataException(f + ": not an image format Java can read (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > MAX_PIXELS) {
                    throw new DataException(f + ": image of " + width + "x" + height + " pixels is larger than the limit of "
                            + MAX_PIXELS + " pixels");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        }
    }

    @Override protected String sampleName(int index) { return files.get(index).toString(); }
}
