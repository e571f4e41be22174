package dev.pare.compiler.coreml;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.io.BoundedFiles;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DenseData;
import dev.pare.ir.TensorType;
import dev.pare.spi.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A read {@code .mlpackage}: Manifest.json names the root model file (paths relative to
 * {@code Data/}), the model is a Core ML {@code Model} protobuf, and ML Program weights live in
 * blob storage files that MIL names as {@code @model_path/...} relative to the model's folder.
 * Blob files are mapped on first use; the protobuf itself is small and parsed eagerly.
 */
public final class MlPackage {

    /** The prefix MIL uses for paths relative to the folder holding model.mlmodel. */
    public static final String MODEL_PATH_PREFIX = "@model_path/";

    /** Largest Manifest.json read; coremltools writes well under a kilobyte. */
    public static final long MAX_MANIFEST_BYTES = 1 << 20;

    /** Largest model protobuf read (the protobuf limit; weights live in the weight files). */
    public static final long MAX_MODEL_FILE_BYTES = Integer.MAX_VALUE - 8;

    private final Path root;
    private final Path modelFile;
    private final Path weightsDir;
    private final CoreMlModelProto.Model model;
    private final Map<Path, BlobFile> blobFiles = new HashMap<>();

    private MlPackage(Path root, Path modelFile, Path weightsDir, CoreMlModelProto.Model model) {
        this.root = root;
        this.modelFile = modelFile;
        this.weightsDir = weightsDir;
        this.model = model;
    }

    /** Reads the package at {@code root} (the {@code .mlpackage} folder). */
    public static MlPackage read(Path root) throws ModelFormatException {
        Path manifestFile = root.resolve("Manifest.json");
        Path dataDir = root.resolve("Data").toAbsolutePath().normalize();
        Map<String, Object> manifest = readManifest(manifestFile);
        Object rootId = manifest.get("rootModelIdentifier");
        if (!(rootId instanceof String)) {
            throw new ModelFormatException(manifestFile, "rootModelIdentifier is missing or not a string");
        }
        Object entries = manifest.get("itemInfoEntries");
        if (!(entries instanceof Map)) {
            throw new ModelFormatException(manifestFile, "itemInfoEntries is missing or not an object");
        }
        Object entry = ((Map<?, ?>) entries).get(rootId);
        if (!(entry instanceof Map)) {
            throw new ModelFormatException(manifestFile, "rootModelIdentifier " + rootId + " names no itemInfoEntries entry");
        }
        Object path = ((Map<?, ?>) entry).get("path");
        if (!(path instanceof String)) {
            throw new ModelFormatException(manifestFile, "entry " + rootId + " has no string path");
        }
        Path modelFile = inside(manifestFile, dataDir, (String) path, "entry " + rootId + " path");
        // coremltools names the weights folder in an entry called "weights"; without one the
        // folder MIL's @model_path/weights/... points at is the default.
        Path weightsDir = modelFile.getParent().resolve("weights");
        for (Map.Entry<?, ?> e : ((Map<?, ?>) entries).entrySet()) {
            if (e.getKey().equals(rootId) || !(e.getValue() instanceof Map)) continue;
            Map<?, ?> item = (Map<?, ?>) e.getValue();
            if ("weights".equals(item.get("name")) && item.get("path") instanceof String) {
                weightsDir = inside(manifestFile, dataDir, (String) item.get("path"), "entry " + e.getKey() + " path");
            }
        }
        return new MlPackage(root, modelFile, weightsDir, parseModel(modelFile));
    }

    /**
     * A lone model file (a {@code .mlmodel}, or the model file inside a package): blob values,
     * if it has any, resolve against the file's folder as in a package.
     */
    public static MlPackage readModelFile(Path file) throws ModelFormatException {
        Path modelFile = file.toAbsolutePath().normalize();
        return new MlPackage(modelFile.getParent(), modelFile, modelFile.getParent().resolve("weights"),
                parseModel(modelFile));
    }

    private static CoreMlModelProto.Model parseModel(Path modelFile) throws ModelFormatException {
        byte[] bytes;
        try {
            bytes = BoundedFiles.read(modelFile, MAX_MODEL_FILE_BYTES);
        } catch (IOException e) {
            throw new ModelFormatException(modelFile, "cannot read model: " + e.getMessage(), e);
        }
        CoreMlModelProto.Model model;
        try {
            model = CoreMlModelProto.Model.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            // protobuf's own limit of 100 nested messages also bounds how deep MIL blocks nest,
            // and so every recursive walk over them after this point.
            String why = e.getMessage() != null && e.getMessage().contains("too many levels of nesting")
                    ? "messages nest deeper than the protobuf limit of 100 (nested blocks)" : e.getMessage();
            throw new ModelFormatException(modelFile, "not a Core ML Model protobuf: " + why, e);
        }
        return model;
    }

    private static Map<String, Object> readManifest(Path manifestFile) throws ModelFormatException {
        String text;
        try {
            text = new String(BoundedFiles.read(manifestFile, MAX_MANIFEST_BYTES), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFormatException(manifestFile, "cannot read manifest: " + e.getMessage(), e);
        }
        Object parsed;
        try {
            parsed = JsonValues.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(manifestFile, e.getMessage());
        }
        if (!(parsed instanceof Map)) throw new ModelFormatException(manifestFile, "manifest is not a JSON object");
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) parsed;
        return m;
    }

    /** Resolves {@code relative} under {@code base}, refusing absolute paths and paths that leave it. */
    private static Path inside(Path reportAs, Path base, String relative, String what) throws ModelFormatException {
        Path rel;
        try {
            rel = base.getFileSystem().getPath(relative);
        } catch (RuntimeException e) {
            throw new ModelFormatException(reportAs, what + " \"" + relative + "\" is not a valid path");
        }
        Path resolved = base.resolve(rel).normalize();
        if (rel.isAbsolute() || !resolved.startsWith(base) || resolved.equals(base)) {
            throw new ModelFormatException(reportAs, what + " \"" + relative + "\" leaves the package folder " + base);
        }
        return resolved;
    }

    public Path root() { return root; }

    /** The root model file named by the manifest. */
    public Path modelFile() { return modelFile; }

    /** The weights folder the manifest names (default: {@code weights} next to the model file). */
    public Path weightsDir() { return weightsDir; }

    public CoreMlModelProto.Model model() { return model; }

    /** The ML Program; fails if the model is another kind. */
    public MilProto.Program program() throws ModelFormatException {
        if (!model.hasMlProgram()) {
            throw new ModelFormatException(modelFile, "model is not an ML Program (type " + model.getTypeCase() + ")");
        }
        return model.getMlProgram();
    }

    /**
     * The blob storage file a BlobFileValue names: {@code @model_path/...} relative to the model's
     * folder, which it may not leave. Opened and mapped once per package.
     */
    public synchronized BlobFile blobFile(String fileName) throws ModelFormatException {
        if (!fileName.startsWith(MODEL_PATH_PREFIX)) {
            throw new ModelFormatException(modelFile, "blob file name \"" + fileName + "\" does not start with "
                    + MODEL_PATH_PREFIX);
        }
        Path modelDir = modelFile.getParent();
        Path file = inside(modelFile, modelDir, fileName.substring(MODEL_PATH_PREFIX.length()), "blob file name");
        BlobFile open = blobFiles.get(file);
        if (open == null) {
            if (!Files.isRegularFile(file)) {
                throw new ModelFormatException(file, "weight file is missing (named " + fileName + ")");
            }
            open = BlobFile.open(file);
            blobFiles.put(file, open);
        }
        return open;
    }

    /** The tensor a blob-backed MIL value holds (a slice of the mapped blob file). */
    public DenseData blobValue(MilProto.Value value) throws ModelFormatException {
        if (!value.hasBlobFileValue()) {
            throw new ModelFormatException(modelFile, "value is not stored in a blob file (" + value.getValueCase() + ")");
        }
        if (!value.getType().hasTensorType()) {
            throw new ModelFormatException(modelFile, "blob value has no tensor type");
        }
        TensorType type = MilTypes.tensorType(value.getType().getTensorType());
        MilProto.Value.BlobFileValue ref = value.getBlobFileValue();
        return blobFile(ref.getFileName()).read(ref.getOffset(), type);
    }

    /**
     * Like {@link #blobValue}, but the tensor is a file region mapped on first use (nothing of the
     * weight file is read now except the blob's metadata record).
     */
    public DenseData blobRegion(MilProto.Value value, Map<String, String> annotations) throws ModelFormatException {
        if (!value.hasBlobFileValue()) {
            throw new ModelFormatException(modelFile, "value is not stored in a blob file (" + value.getValueCase() + ")");
        }
        if (!value.getType().hasTensorType()) {
            throw new ModelFormatException(modelFile, "blob value has no tensor type");
        }
        TensorType type = MilTypes.tensorType(value.getType().getTensorType());
        MilProto.Value.BlobFileValue ref = value.getBlobFileValue();
        return blobFile(ref.getFileName()).region(ref.getOffset(), type, annotations);
    }
}
