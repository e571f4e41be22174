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
        Model m = format.read(mnist());
        Path out = dir.resolve("out.onnx");
        format.write(m, out);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    /** The MNIST model stays with the compiler's tests; found from this module's directory upwards. */
    private static Path mnist() {
        Path relative = Path.of("compiler/src/test/resources/models/mnist_dwnet/model.onnx");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(relative))) return dir.resolve(relative);
        }
        throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
