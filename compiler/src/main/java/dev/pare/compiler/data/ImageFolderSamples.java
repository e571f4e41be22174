package dev.pare.compiler.data;

import dev.pare.ir.Value;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** A folder of images (PNG, JPEG, BMP, GIF: what {@link ImageIO} reads), one sample each, for a one-input model. */
final class ImageFolderSamples extends ModelSamples {

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
            image = ImageIO.read(f.toFile());
        } catch (IOException e) {
            throw new DataException(f + ": cannot read the image: " + e.getMessage(), e);
        }
        if (image == null) throw new DataException(f + ": not an image format Java can read (PNG, JPEG, BMP, GIF)");
        return Map.of(input.name(), new Located(preprocess.apply(image), f.toString()));
    }

    @Override protected String sampleName(int index) { return files.get(index).toString(); }
}
