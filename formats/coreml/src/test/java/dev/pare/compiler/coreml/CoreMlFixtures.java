package dev.pare.compiler.coreml;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The coremltools 9.0 packages under compiler/src/test/resources/models/coreml and their expected.json. */
final class CoreMlFixtures {

    /**
     * The packages stay with the compiler's end-to-end tests, which use them too; this finds them from
     * the formats/coreml module and from the compiler module (the working directory of each one's tests).
     */
    static final Path DIR = inRepository(Path.of("compiler/src/test/resources/models/coreml"));

    private static Path inRepository(Path relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(relative))) return dir.resolve(relative);
        }
        throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
    }

    /** From the fixture README table: package, specificationVersion, opset, op count. */
    record Row(String name, int specVersion, String opset, int ops) {
        Path path() { return DIR.resolve(name + ".mlpackage"); }
        @Override public String toString() { return name; }
    }

    static final List<Row> PACKAGES = List.of(
            new Row("mnist_dwnet_fp16_ios16", 7, "CoreML6", 167),
            new Row("mnist_dwnet_fp32_ios18", 9, "CoreML8", 165),
            new Row("mnist_dwnet_pal4_ios16", 7, "CoreML6", 167),
            new Row("mnist_dwnet_int8_ios16", 7, "CoreML6", 167),
            new Row("mnist_dwnet_prune50_ios16", 7, "CoreML6", 167),
            new Row("mnist_dwnet_pal4g16_ios18", 9, "CoreML8", 165),
            new Row("mnist_dwnet_int4b32_ios18", 9, "CoreML8", 165),
            new Row("mnist_dwnet_joint_prune_pal_ios18", 9, "CoreML8", 176),
            new Row("block_fp16_ios17", 8, "CoreML7", 20),
            new Row("block_fp32_ios18", 9, "CoreML8", 16),
            new Row("block_w8a8_ios17", 8, "CoreML7", 47));

    static List<Row> packages() { return PACKAGES; }

    @SuppressWarnings("unchecked")
    static Map<String, Object> expected(Row row) throws IOException {
        return (Map<String, Object>) JsonValues.parse(Files.readString(DIR.resolve(row.name + ".expected.json")));
    }

    static Path weightBin(Row row) {
        return row.path().resolve("Data/com.apple.CoreML/weights/weight.bin");
    }

    static String sha256(ByteBuffer data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(data.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ByteBuffer floats(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.flip();
    }

    private CoreMlFixtures() {}
}
