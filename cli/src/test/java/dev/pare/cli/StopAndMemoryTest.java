package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pare.cli.testplugin.Hog;
import dev.pare.cli.testplugin.TestPlugins;
import dev.pare.compiler.onnx.OnnxFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code java} process running the CLI (class path from this test JVM): running out of
 * heap, and being stopped by SIGINT or SIGTERM while the output is written. The writer is paused
 * after its temporary file exists by a test-only system property ({@code TempFiles}).
 */
class StopAndMemoryTest {

    static final String PAUSE = "-Dpare.test.pauseAfterTempFile=60000";

    @TempDir Path dir;
    @TempDir Path logs;
    Path in;

    @BeforeEach
    void model() throws Exception {
        in = dir.resolve("in.onnx");
        new OnnxFormat().write(MainTest.tinyModel(), in);
    }

    record Proc(int exitCode, String err) {}

    private Process start(List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")); // start quickly
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(logs.resolve("out.txt").toFile())
                .redirectError(logs.resolve("err.txt").toFile()).start();
    }

    private Proc waitFor(Process p) throws Exception {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the process did not end");
        }
        return new Proc(p.exitValue(), Files.readString(logs.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /** Waits until a hidden temporary file or folder of the output exists in {@code dir}. */
    private void awaitTemp(String prefix, Process p) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (names().stream().anyMatch(n -> n.startsWith(prefix))) return;
            if (!p.isAlive()) fail("ended before writing: " + Files.readString(logs.resolve("err.txt")));
            Thread.sleep(100);
        }
        fail("no temporary file " + prefix + "* appeared");
    }

    @Test
    void runningOutOfHeapNamesTheTaskAndTheHeapToTry() throws Exception {
        Path plugins = TestPlugins.writeJar(dir.resolve("plugins/hog.jar"), Hog.class).getParent();
        Proc r = waitFor(start(List.of("-Xmx64m"), "compile", in.toString(), "-o", dir.resolve("out.onnx").toString(),
                "--pipeline", "hog", "--plugin-path", plugins.toString()));
        assertEquals(ExitCodes.OUT_OF_MEMORY, r.exitCode(), r.err());
        assertTrue(r.err().matches("pare: error: out of memory in hog: allocate \\(\\d+ of 1000000 blocks done; "
                + "the last was 'block \\d+'\\); the Java heap is limited to \\d\\d MiB: try JAVA_OPTS=-Xmx1\\d\\dm\n"), r.err());
        assertEquals(List.of("in.onnx", "plugins"), names());
    }

    /** True when this process inherited SIGINT as ignored (a shell starts background jobs so); the child would too, and a JVM leaves an ignored SIGINT ignored. */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return false;
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0; // bit of signal 2
        }
        return false;
    }

    @Test
    void sigintWhileWritingOnnxRemovesTheTemporaryFileAndExits130() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(),
                "SIGINT is ignored in this process (started as a background job), so the child cannot receive it");
        Process p = start(List.of(PAUSE), "compile", in.toString(), "-o", dir.resolve("out.onnx").toString());
        awaitTemp(".out.onnx.", p);
        assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
        Proc r = waitFor(p);
        assertEquals(new Proc(130, "pare: interrupted; removed 1 temporary file\n"), r);
        assertEquals(List.of("in.onnx"), names());
    }

    @Test
    void sigtermWhileWritingAnMlpackageRemovesTheTemporaryFolderAndExits143() throws Exception {
        Process p = start(List.of(PAUSE), "compile", in.toString(), "-o", dir.resolve("out.mlpackage").toString());
        awaitTemp(".out.mlpackage.", p);
        p.destroy(); // SIGTERM
        Proc r = waitFor(p);
        assertEquals(new Proc(143, "pare: interrupted; removed 1 temporary file\n"), r);
        assertEquals(List.of("in.onnx"), names());
    }
}
