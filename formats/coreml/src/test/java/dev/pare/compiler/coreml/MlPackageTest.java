package dev.pare.compiler.coreml;

import dev.pare.spi.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MlPackageTest {

    @TempDir Path tmp;

    private static final String MANIFEST = """
            {
              "fileFormatVersion": "1.0.0",
              "itemInfoEntries": {
                "A1": {"author": "com.apple.CoreML", "description": "CoreML Model Specification",
                       "name": "model.mlmodel", "path": "%s"}
              },
              "rootModelIdentifier": "A1"
            }
            """;

    private Path packageWithModelPath(String path) throws IOException {
        Path pkg = tmp.resolve("x.mlpackage");
        Files.createDirectories(pkg.resolve("Data/com.apple.CoreML"));
        Files.copy(CoreMlFixtures.PACKAGES.get(9).path().resolve("Data/com.apple.CoreML/model.mlmodel"),
                pkg.resolve("Data/com.apple.CoreML/model.mlmodel"));
        Files.writeString(pkg.resolve("Manifest.json"), String.format(MANIFEST, path));
        return pkg;
    }

    @Test
    void handWrittenManifestIsFollowed() throws Exception {
        Path pkg = packageWithModelPath("com.apple.CoreML/model.mlmodel");
        MlPackage p = MlPackage.read(pkg);
        assertEquals(pkg.resolve("Data/com.apple.CoreML/model.mlmodel").toAbsolutePath(), p.modelFile());
        assertEquals("CoreML8", p.program().getFunctionsOrThrow("main").getOpset());
        assertEquals(pkg.resolve("Data/com.apple.CoreML/weights").toAbsolutePath(), p.weightsDir());
    }

    @Test
    void manifestPathLeavingThePackageIsRefused() throws Exception {
        Path pkg = packageWithModelPath("../../model.mlmodel");
        Path data = pkg.resolve("Data").toAbsolutePath().normalize();
        assertEquals(pkg.resolve("Manifest.json") + ": entry A1 path \"../../model.mlmodel\" leaves the package folder "
                + data, BlobFileTest.message(() -> MlPackage.read(pkg)));
    }

    @Test
    void weightsEntryLeavingThePackageIsRefused() throws Exception {
        Path pkg = packageWithModelPath("com.apple.CoreML/model.mlmodel");
        Files.writeString(pkg.resolve("Manifest.json"), String.format(MANIFEST, "com.apple.CoreML/model.mlmodel")
                .replace("\"itemInfoEntries\": {", "\"itemInfoEntries\": {\"W\": {\"name\": \"weights\", \"path\": \"../..\"},"));
        Path data = pkg.resolve("Data").toAbsolutePath().normalize();
        assertEquals(pkg.resolve("Manifest.json") + ": entry W path \"../..\" leaves the package folder " + data,
                BlobFileTest.message(() -> MlPackage.read(pkg)));
    }

    @Test
    void absoluteManifestPathIsRefused() throws Exception {
        Path pkg = packageWithModelPath("/etc/passwd");
        Path data = pkg.resolve("Data").toAbsolutePath().normalize();
        assertEquals(pkg.resolve("Manifest.json") + ": entry A1 path \"/etc/passwd\" leaves the package folder "
                + data, BlobFileTest.message(() -> MlPackage.read(pkg)));
    }

    @Test
    void blobFileNameLeavingTheModelFolderIsRefused() throws Exception {
        MlPackage p = MlPackage.read(packageWithModelPath("com.apple.CoreML/model.mlmodel"));
        Path modelDir = p.modelFile().getParent();
        assertEquals(p.modelFile() + ": blob file name \"../../../w.bin\" leaves the package folder " + modelDir,
                BlobFileTest.message(() -> p.blobFile("@model_path/../../../w.bin")));
        assertEquals(p.modelFile() + ": blob file name \"weights/weight.bin\" does not start with @model_path/",
                BlobFileTest.message(() -> p.blobFile("weights/weight.bin")));
    }

    @Test
    void missingRootEntryAndBrokenJson() throws Exception {
        Path pkg = packageWithModelPath("com.apple.CoreML/model.mlmodel");
        Files.writeString(pkg.resolve("Manifest.json"), "{\"itemInfoEntries\": {}, \"rootModelIdentifier\": \"B\"}");
        assertEquals(pkg.resolve("Manifest.json") + ": rootModelIdentifier B names no itemInfoEntries entry",
                BlobFileTest.message(() -> MlPackage.read(pkg)));
        Files.writeString(pkg.resolve("Manifest.json"), "{\"a\": }");
        assertEquals(pkg.resolve("Manifest.json") + ": JSON at character 6: unexpected character '}'",
                BlobFileTest.message(() -> MlPackage.read(pkg)));
    }
}
