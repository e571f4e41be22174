package dev.pare.compiler.data;

import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Value;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Opens sample data for a model, choosing the reader by what the path holds:
 * <ul>
 *   <li>a {@code .npy} file (by its magic): a batch, the first axis counts samples; one-input models;
 *   <li>an {@code .npz} (a zip): one member {@code <input>.npy} per input, first axis = samples
 *       (a one-input model also takes a single member of any name);
 *   <li>any other file: raw little-endian float32 whose shape {@code spec} gives, first axis =
 *       samples ({@code -1} there: as many as the file holds); one-input models;
 *   <li>a folder of {@code .npy} files: one sample per file; one-input models;
 *   <li>a folder of sub-folders: {@code DIR/<sample>/<input>.npy}, one sub-folder per sample;
 *   <li>a folder (or a file) of images: {@code spec} is the {@link ImagePreprocess} spec.
 * </ul>
 * Files are taken in natural name order ({@code 2} before {@code 10}); hidden files are skipped.
 * A sample whose rank is one less than the input's gets a leading batch axis of 1. Sample 0 is
 * read and checked when the data is opened, so a mismatch fails early.
 */
public final class CalibrationDataReaders {

    private CalibrationDataReaders() {}

    /** As {@link #open(Path, String, List)} for the inputs of {@code model}'s main graph. */
    public static SampleSource open(Path path, String spec, Model model) throws IOException {
        return open(path, spec, model.graph().inputs());
    }

    /**
     * @param spec the raw-data shape or the image preprocessing spec; null when not needed
     * @param modelInputs the model's graph inputs (those with a default may be left out)
     */
    public static SampleSource open(Path path, String spec, List<Value> modelInputs) throws IOException {
        if (!Files.exists(path)) throw new DataException(path + ": no such file or directory");
        if (!Files.isDirectory(path) && !Files.isRegularFile(path)) {
            // Opening a FIFO would wait for a writer, and a device never ends.
            throw new DataException(path + ": not a regular file or folder (a device, FIFO or socket)");
        }
        SampleSource s = Files.isDirectory(path) ? openFolder(path, spec, modelInputs) : openFile(path, spec, modelInputs);
        try {
            if (s.size() == 0) throw new DataException(path + ": holds no samples");
            s.sample(0);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static SampleSource openFile(Path file, String spec, List<Value> inputs) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        }
        if (NpyHeader.hasMagic(head)) {
            noSpec(file, spec, "a .npy file carries its own dtype and shape");
            Value input = ModelSamples.single(inputs, file.toString(), "a batch .npy");
            NpyHeader h;
            try (InputStream in = Files.newInputStream(file)) {
                h = NpyHeader.read(in, file.toString());
            }
            long size = Files.size(file);
            if (size != h.dataOffset() + h.dataBytes()) {
                throw new DataException(file + ": .npy " + DTypeNames.describe(h.dtype(), h.shape()) + " needs "
                        + h.dataBytes() + " data bytes, the file has " + (size - h.dataOffset()));
            }
            return new BatchSamples(file.toString(), Map.of(input.name(), new FileBatchArray(file, h.dtype(), h.shape(), h.dataOffset())),
                    null, inputs);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            noSpec(file, spec, "an .npz file carries its own dtypes and shapes");
            return openNpz(file, inputs);
        }
        if (ImageFolderSamples.isImage(file)) {
            return new ImageFolderSamples(file.toString(), List.of(file), spec, inputs);
        }
        return openRaw(file, spec, inputs);
    }

    private static SampleSource openNpz(Path file, List<Value> inputs) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException | EOFException e) {
            // EOFException: cut inside the zip's end record
            throw new DataException(file + ": not a readable .npz (zip): " + (e instanceof EOFException ? "truncated" : e.getMessage()));
        }
        try {
            List<ZipEntry> members = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (!e.isDirectory()) members.add(e);
            }
            Map<String, BatchArray> arrays = new LinkedHashMap<>();
            List<Value> required = ModelSamples.required(inputs);
            if (required.size() == 1 && members.size() == 1) {
                ZipEntry e = members.get(0);
                arrays.put(required.get(0).name(), new ZipBatchArray(zip, e, file + ":" + e.getName()));
            } else {
                Map<String, String> byFileName = new LinkedHashMap<>();
                for (Value v : inputs) {
                    byFileName.put(v.name() + ".npy", v.name());
                    byFileName.put(SampleFolderSamples.fileStem(v.name()) + ".npy", v.name());
                }
                for (ZipEntry e : members) {
                    String input = byFileName.get(e.getName());
                    String where = file + ":" + e.getName();
                    if (input == null) {
                        List<String> names = inputs.stream().map(v -> v.name() + ".npy").toList();
                        throw new DataException(where + ": no model input is named '" + stripNpy(e.getName())
                                + "' (members must be " + String.join(", ", names) + ")");
                    }
                    arrays.put(input, new ZipBatchArray(zip, e, where));
                }
            }
            return new BatchSamples(file.toString(), arrays, zip, inputs);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static String stripNpy(String name) {
        return name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
    }

    private static SampleSource openRaw(Path file, String spec, List<Value> inputs) throws IOException {
        if (spec == null || spec.isBlank()) {
            throw new DataException(file + ": not .npy, .npz or an image; raw float32 data needs its shape "
                    + "with the sample count first, e.g. -1,1,28,28");
        }
        Value input = ModelSamples.single(inputs, file.toString(), "raw float32 data");
        long[] shape = ShapeSpec.parse(spec, file.toString());
        long size = Files.size(file);
        long sampleElements = 1;
        String described = "float32 [" + spec.replace(" ", "") + "]";
        try {
            for (int i = 1; i < shape.length; i++) sampleElements = Math.multiplyExact(sampleElements, shape[i]);
            Math.multiplyExact(Math.max(shape[0], 1), Math.multiplyExact(sampleElements, 4));
        } catch (ArithmeticException e) {
            throw new DataException(file + ": the size of " + described + " overflows 64 bits");
        }
        long sampleBytes = sampleElements * 4;
        if (shape[0] < 0) {
            if (sampleBytes == 0 || size % sampleBytes != 0) {
                throw new DataException(file + ": " + size + " bytes are not a whole number of " + described
                        + " samples of " + sampleBytes + " bytes");
            }
            shape[0] = size / sampleBytes;
        } else if (shape[0] * sampleBytes != size) {
            throw new DataException(file + ": " + size + " bytes do not hold " + described + " (" + shape[0] * sampleBytes
                    + " bytes); the first axis counts samples, -1 takes as many as the file holds");
        }
        return new BatchSamples(file.toString(), Map.of(input.name(), new FileBatchArray(file, DType.FLOAT32, shape, 0)), null, inputs);
    }

    private static SampleSource openFolder(Path dir, String spec, List<Value> inputs) throws IOException {
        List<Path> files = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(NaturalOrder.BY_FILE_NAME)::iterator) {
                if (p.getFileName().toString().startsWith(".")) continue;
                (Files.isDirectory(p) ? folders : files).add(p);
            }
        }
        List<Path> npy = files.stream().filter(p -> p.getFileName().toString().endsWith(".npy")).toList();
        List<Path> images = files.stream().filter(ImageFolderSamples::isImage).toList();
        if (!folders.isEmpty() && npy.isEmpty() && images.isEmpty()) {
            noSpec(dir, spec, ".npy files carry their own dtypes and shapes");
            return new SampleFolderSamples(dir, folders, inputs);
        }
        if (!npy.isEmpty() && images.isEmpty()) {
            noSpec(dir, spec, ".npy files carry their own dtypes and shapes");
            return new NpyFolderSamples(dir, npy, inputs);
        }
        if (!images.isEmpty() && npy.isEmpty()) return new ImageFolderSamples(dir.toString(), images, spec, inputs);
        if (npy.isEmpty() && images.isEmpty() && folders.isEmpty()) {
            throw new DataException(dir + ": holds no .npy files, images or sample folders");
        }
        throw new DataException(dir + ": mixes " + (npy.isEmpty() ? "" : npy.size() + " .npy files, ")
                + (images.isEmpty() ? "" : images.size() + " images, ") + folders.size()
                + " folders; use one layout: DIR/*.npy, DIR/<sample>/<input>.npy or DIR/*.png");
    }

    private static void noSpec(Path path, String spec, String why) throws DataException {
        if (spec != null && !spec.isBlank()) throw new DataException(path + ": " + why + "; a shape or preprocessing spec does not apply");
    }
}
