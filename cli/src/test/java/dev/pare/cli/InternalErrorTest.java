package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.cli.testplugin.Explode;
import dev.pare.cli.testplugin.TestPlugins;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The top-level guard: whatever escapes a command is one escaped line, exit 70 (5 out of memory), no stack trace unless asked. */
class InternalErrorTest {

    static final String REPORT = " (please report; rerun with --stacktrace)\n";

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

    private CliRun run(Map<String, String> env, String... args) { return ws.run(env, args); }

    private CliRun run(String... args) { return ws.run(args); }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void stackOverflowIsOneLineAndExit70() throws IOException {
        mem.readThrows = new StackOverflowError();
        CliRun r = run("compile", in.toString(), "-o", out.toString());
        assertEquals(new CliRun(70, "", "pare: internal error: StackOverflowError" + REPORT), r);
        assertEquals(List.of(in), files());
    }

    @Test
    void outOfMemoryIsOneLineWithTheHeapToTry() {
        mem.readThrows = new OutOfMemoryError("Java heap space");
        assertEquals(new CliRun(5, "", "pare: error: " + OutOfMemory.message(Optional.empty(), Runtime.getRuntime().maxMemory()) + "\n"),
                run("inspect", in.toString()));
    }

    @Test
    void aRuntimeExceptionOutsideTheDriverIsAnInternalError() {
        mem.readReturnsNull = true;  // a format plugin that returns no model: inspect fails on it
        CliRun r = run("inspect", in.toString());
        assertEquals(70, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("pare: internal error: NullPointerException"), r.err());
        assertTrue(r.err().endsWith(REPORT), r.err());
        assertEquals(1, r.err().split("\n").length, r.err());
    }

    @Test
    void aPluginRunningOutOfMemoryLeavesNoOutput() throws IOException {
        Path plugins = TestPlugins.writeJar(dir.resolve("plugins/explode.jar"), Explode.class).getParent();
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--pipeline", "explode", "--plugin-path", plugins.toString());
        // the pass manager makes every pass a task, so the message names the pass
        assertEquals(new CliRun(5, "", "pare: error: " + OutOfMemory.message(Optional.of("explode"), Runtime.getRuntime().maxMemory()) + "\n"), r);
        assertEquals(List.of(in, dir.resolve("plugins")), files());
    }

    @Test
    void theMessageOfAnErrorIsEscaped() throws IOException {
        Path plugins = TestPlugins.writeJar(dir.resolve("plugins/explode.jar"), Explode.class).getParent();
        CliRun r = run("compile", in.toString(), "-o", out.toString(), "--pipeline", "explode{what=\"error\"}",
                "--plugin-path", plugins.toString());
        assertEquals(new CliRun(70, "", "pare: internal error: Error: boom\\u001b[2J\\nsecond line" + REPORT), r);
    }

    @Test
    void stacktraceVerboseAndPareDebugPrintTheTrace() {
        mem.readThrows = new StackOverflowError();  // its trace is this test method's
        for (CliRun r : List.of(run("compile", in.toString(), "-o", out.toString(), "--stacktrace"),
                run("--stacktrace", "inspect", in.toString()),
                run("inspect", "--verbose", in.toString()),
                run(Map.of("PARE_DEBUG", "1"), "inspect", in.toString()))) {
            assertEquals(70, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("pare: internal error: StackOverflowError" + REPORT), r.err());
            assertTrue(r.err().contains("java.lang.StackOverflowError\n\tat dev.pare.cli.InternalErrorTest."), r.err());
        }
    }

    @Test
    void knownErrorsKeepTheirExitCodesAndShowTheTraceWithStacktrace() {
        Path missing = dir.resolve("missing.mem");
        CliRun r = run("inspect", missing.toString(), "--stacktrace");
        assertEquals(3, r.exitCode());
        assertTrue(r.err().startsWith("pare: error: " + missing + ": no such file\n"), r.err());
        assertTrue(r.err().contains("\tat dev.pare."), r.err());
        assertEquals(new CliRun(3, "", "pare: error: " + missing + ": no such file\n"), run("inspect", missing.toString()));
    }

    @Test
    void hostileTextInAnErrorMessageIsEscaped() {
        mem.readThrows = new IllegalStateException("name 'a\u001b[31m\u202eb\r\nc\u0000'");
        CliRun r = run("inspect", in.toString());
        assertEquals(new CliRun(3, "", "pare: error: " + in + ": name 'a\\u001b[31m\\u202eb\\r\\nc\\u0000'\n"), r);
    }
}
