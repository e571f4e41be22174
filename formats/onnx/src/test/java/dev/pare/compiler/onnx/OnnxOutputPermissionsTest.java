package dev.pare.compiler.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs are written through a temporary file, which must not leave them owner-only. */
class OnnxOutputPermissionsTest {

    @Test
    void writtenModelIsWorldReadable(@TempDir Path dir) throws Exception {
        OnnxFormat format = new OnnxFormat();
        Model m = format.read(Path.of("src/test/resources/models/mnist_dwnet/model.onnx"));
        Path out = dir.resolve("out.onnx");
        format.write(m, out);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }
}
