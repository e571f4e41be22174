package dev.pare.cli.testplugin;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Writes a plugin jar that lists this package's providers in its services file. The classes
 * themselves are on the test class path (the plugin loader delegates to it), so the passes are
 * visible only when the jar is on {@code --plugin-path}.
 */
public final class TestPlugins {

    private TestPlugins() {}

    /** {@code dir/test-passes.jar}; returns {@code dir}. */
    public static Path writeJar(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (OutputStream file = Files.newOutputStream(dir.resolve("test-passes.jar"));
             JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry("META-INF/services/dev.pare.spi.PassProvider"));
            jar.write((FailOnOp.class.getName() + "\n" + WarnOnce.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return dir;
    }
}
