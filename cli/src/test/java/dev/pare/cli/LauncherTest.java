package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code ./pare} script. PARE_CLASSPATH points it at this test's class path, so it
 * does not start a nested Maven build; the build-on-demand branch is checked by hand (README).
 */
class LauncherTest {

    static final Path LAUNCHER = Path.of("..", "pare").toAbsolutePath().normalize();

    @TempDir Path cwd;

    record Proc(int exitCode, String out, String err) {}

    private Proc launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("PARE_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = cwd.resolve("stdout.txt");
        Path err = cwd.resolve("stderr.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        int code = pb.start().waitFor();
        return new Proc(code, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void printsTheVersion() throws Exception {
        assertTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " is executable");
        Proc p = launch(Map.of(), "--version");
        assertEquals(new Proc(0, "pare " + MainTest.VERSION + "\n", ""), p);
    }

    @Test
    void keepsPathsRelativeToTheCallersDirectory() throws Exception {
        Proc p = launch(Map.of(), "inspect", "sub" + File.separator + "nothere.onnx");
        assertEquals(new Proc(3, "", "pare: error: sub/nothere.onnx: no such file\n"), p);
    }

    /**
     * ONNX Runtime's start-up recurses once per byte of the JVM's command line (OrtEnvironments):
     * with the launcher's long class path, a 20,000-byte property and a 1 MiB stack, compare runs ORT
     * all the same, without the launcher setting -Xss.
     */
    @Test
    void runsOnnxRuntimeWithALongCommandLineOnAOneMiBStack() throws Exception {
        Path data = Path.of("..", "compiler", "src", "test", "resources", "models", "mnist_dwnet").toAbsolutePath().normalize();
        Proc p = launch(Map.of("JAVA_OPTS", "-Xss1m -Dpare.test.padding=" + "x".repeat(20_000)), "compare",
                data.resolve("model.onnx").toString(), data.resolve("model.onnx").toString(),
                "--data", data.resolve("test_x.f32").toString(), "--data-spec", "-1,1,28,28", "--samples", "20");
        assertEquals(0, p.exitCode(), p.err());
        String model = data.resolve("model.onnx").toString();
        assertEquals(List.of("compare " + model + " (A) with " + model + " (B): 20 samples from " + data.resolve("test_x.f32"),
                "  output  shape           SNR dB    cosine  max abs err  mean abs err   top-1   top-5",
                "  logits  float32 [1,10]     inf  1.000000            0             0  1.0000  1.0000"), p.out().lines().toList());
    }

    @Test
    void passesJavaOptsToTheJvm() throws Exception {
        Proc p = launch(Map.of("JAVA_OPTS", "-Xmx64m -XX:+PareNoSuchJvmOption"), "--version");
        assertNotEquals(0, p.exitCode());
        assertTrue(p.err().contains("PareNoSuchJvmOption"), p.err());
    }
}
