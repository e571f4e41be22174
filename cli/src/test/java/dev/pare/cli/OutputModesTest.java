package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs get ordinary modes (0644 files, 0755 folders, under the usual umask 022), not the owner-only ones of temporary files. */
class OutputModesTest {

    @TempDir Path dir;

    private CliRun compileTo(String name) throws Exception {
        Path in = dir.resolve("in.onnx");
        new OnnxFormat().write(MainTest.tinyModel(), in);
        return CliRun.of(new Main(ModelFormats.discover(), Map.of()), "compile", in.toString(), "-o", dir.resolve(name).toString());
    }

    private static void assumeUmask022() throws IOException {
        assumeTrue(Files.readString(Path.of("/proc/self/status")).contains("\nUmask:\t0022\n"), "umask 022");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void onnxOutputIsWorldReadable() throws Exception {
        assumeUmask022();
        CliRun r = compileTo("out.onnx");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("rw-r--r--", mode(dir.resolve("out.onnx")));
    }

    @Test
    void mlpackageFoldersAre0755AndItsFiles0644() throws Exception {
        assumeUmask022();
        CliRun r = compileTo("out.mlpackage");
        assertEquals(0, r.exitCode(), r.err());
        Path pkg = dir.resolve("out.mlpackage");
        Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> s = Files.walk(pkg)) {
            for (Path p : (Iterable<Path>) s::iterator) modes.put(pkg.relativize(p).toString(), mode(p));
        }
        assertEquals(Map.of("", "rwxr-xr-x", "Data", "rwxr-xr-x", "Data/com.apple.CoreML", "rwxr-xr-x",
                "Data/com.apple.CoreML/model.mlmodel", "rw-r--r--", "Manifest.json", "rw-r--r--"), modes);
    }
}
