package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.cli.testplugin.NullCreate;
import dev.pare.cli.testplugin.TestPlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken plugins and plugin paths that load nothing: one line naming the class, the jar or the path. */
class PluginErrorsTest {

    @TempDir Path dir;
    TinyModelWorkspace ws;
    MemoryFormat mem;
    Path in;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        ws = new TinyModelWorkspace(dir);
        mem = ws.mem;
        in = ws.in;
        out = ws.out;
    }

    private CliRun run(String... args) { return ws.run(args); }

    @Test
    void aProviderWhoseCreateReturnsNullIsAPluginErrorNamingClassAndJar() throws IOException {
        Path jar = TestPlugins.writeJar(dir.resolve("plugins/null.jar"), NullCreate.class);
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--pipeline", "null_create",
                "--plugin-path", jar.getParent().toString());
        assertEquals(new CliRun(2, "", "pare: error[R007] pass 'null_create' failed at <pipeline>:1:1: plugin error: "
                + NullCreate.class.getName() + " (from " + jar + ") returned null from create(); a provider must return a Pass\n"), r);
        assertFalse(Files.exists(out));
    }

    @Test
    void aFileNamedJarThatIsNotAZipIsNamed() throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Path broken = Files.writeString(plugins.resolve("broken.jar"), "not a zip");
        String expected = "pare: error[R006]: plugin jar " + broken + " is not a valid jar file (zip END header not found)\n";
        assertEquals(new CliRun(2, "", expected), run("passes", "--plugin-path", plugins.toString()));
        assertEquals(new CliRun(2, "", expected), run("pipelines", "--plugin-path", broken.toString()));
        assertEquals(new CliRun(2, "", expected),
                run("compile", in.toString(), "-o", out.toString(), "--plugin-path", broken.toString()));
    }

    @Test
    void aPlainFileOnThePluginPathIsAWarning() throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.txt"), "hello");
        CliRun r = run("passes", "--plugin-path", notes.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("pare: warning: --plugin-path " + notes + ": neither a directory nor a jar; no plugins loaded\n", r.err());
        assertTrue(r.out().contains("dead_code_elimination"), r.out());
    }

    @Test
    void aFolderWithoutJarsIsAWarning() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no jars here");
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--plugin-path", empty.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("pare: warning: --plugin-path " + empty + ": no .jar file in this directory; no plugins loaded\n", r.err());
        assertTrue(Files.exists(out));
    }

    @Test
    void aPipelineFileThatIsADirectoryIsOneLine() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("steps.pipeline"));
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--pipeline", "@" + folder);
        assertEquals(new CliRun(2, "", "pare: error: pipeline file '" + folder + "' is a directory\n"), r);
    }
}
