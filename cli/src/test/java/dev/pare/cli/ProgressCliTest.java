package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.cli.testplugin.Hog;
import dev.pare.cli.testplugin.TestPlugins;
import dev.pare.compiler.io.ModelFormats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress of {@code pare compile} on stderr (not a terminal here), timed by a clock that jumps 4 s per reading. */
class ProgressCliTest {

    @TempDir Path dir;
    TinyModelWorkspace ws;
    Path plugins;
    long now;

    @BeforeEach
    void setUp() throws IOException {
        ws = new TinyModelWorkspace(dir);
        plugins = TestPlugins.writeJar(dir.resolve("plugins/hog.jar"), Hog.class).getParent();
    }

    private CliRun compile(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("compile", ws.in.toString(), "-o", ws.out.toString(),
                "--pipeline", "hog{steps=3}", "--plugin-path", plugins.toString()));
        args.addAll(List.of(extra));
        Main main = new Main(new ModelFormats(List.of(ws.mem)), Map.of()).progressClock(() -> now += 4_000_000_000L);
        return CliRun.of(main, args.toArray(String[]::new));
    }

    @Test
    void aSlowPassPrintsProgressLines() {
        CliRun r = compile();
        assertEquals(0, r.exitCode(), r.err());
        // a line once 10 s have passed (at the third block), and a closing line since one was printed
        assertEquals("pare: hog: allocate: 3/3 blocks (100%), 3.0 MiB\npare: hog: allocate: done, 3 blocks, 3.0 MiB in 16s\n", r.err());
    }

    @Test
    void quietPrintsNoProgress() {
        CliRun r = compile("--quiet");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals("", compile("-q", "--force").err());
    }
}
