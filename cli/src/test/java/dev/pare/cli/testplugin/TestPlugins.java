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
        writeJar(dir.resolve("test-passes.jar"), FailOnOp.class, WarnOnce.class);
        return dir;
    }

    /** A jar at {@code jarFile} whose services file lists {@code providers}; returns the jar. */
    public static Path writeJar(Path jarFile, Class<?>... providers) throws IOException {
        Files.createDirectories(jarFile.toAbsolutePath().getParent());
        StringBuilder services = new StringBuilder();
        for (Class<?> p : providers) services.append(p.getName()).append('\n');
        try (OutputStream file = Files.newOutputStream(jarFile);
             JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry("META-INF/services/dev.pare.spi.PassProvider"));
            jar.write(services.toString().getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        return jarFile;
    }
}
