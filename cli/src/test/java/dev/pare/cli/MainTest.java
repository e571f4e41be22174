package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.inspect.ModelInspector;
import dev.pare.compiler.inspect.ReportJson;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.cli.testplugin.TestPlugins;
import dev.pare.spi.PassFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {

    static final String VERSION = System.getProperty("pare.expected.version");

    @TempDir Path dir;
    MemoryFormat mem;
    Path in;
    Path out;

    @BeforeEach
    void setUp() throws IOException {
        mem = new MemoryFormat();
        in = dir.resolve("in.mem");
        out = dir.resolve("out.mem");
        mem.put(in, tinyModel());
    }

    /** x -> MatMul(w) -> Add(b) -> y */
    static Model tinyModel() {
        Graph g = new Graph("tiny");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", TensorType.of(DType.FLOAT32, 1, 2));
        Value w = r.addConstant("w", TensorData.ofFloats(new long[] {2, 2}, 1, 2, 3, 4));
        Value b = r.addConstant("b", TensorData.ofFloats(new long[] {2}, 5, 6));
        TensorType t = TensorType.of(DType.FLOAT32, 1, 2);
        Value h = r.createNode("mm", "onnx.MatMul", List.of(x, w), List.of("h"), List.of(t), Attributes.empty(),
                Location.UNKNOWN).result(0);
        Value y = r.createNode("add", "onnx.Add", List.of(h, b), List.of("y"), List.of(t), Attributes.empty(),
                Location.UNKNOWN).result(0);
        r.addOutput(y);
        Model m = new Model("mem", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        return m;
    }

    private CliRun run(String... args) { return run(Map.of(), args); }

    private CliRun run(Map<String, String> env, String... args) {
        return CliRun.of(new Main(new ModelFormats(List.of(mem)), env), args);
    }

    private static void assertError(CliRun r, int code, String line) {
        assertEquals(code, r.exitCode(), r.err());
        assertEquals("pare: error: " + line + "\n", r.err());
        assertEquals("", r.out());
    }

    /** A coded error: {@code pare: error[CODE] line}. */
    private static void assertError(CliRun r, int code, String line, String errorCode) {
        assertEquals(code, r.exitCode(), r.err());
        assertEquals("pare: error[" + errorCode + "] " + line + "\n", r.err());
        assertEquals("", r.out());
    }

    // ---- version and help

    @ParameterizedTest
    @ValueSource(strings = {"", "compile", "inspect", "compare", "passes", "pipelines"})
    void versionOnEveryCommand(String command) {
        CliRun r = command.isEmpty() ? run("--version") : run(command, "--version");
        assertEquals(0, r.exitCode());
        assertEquals("pare " + VERSION + "\n", r.out());
        assertFalse(VERSION.startsWith("${"), "surefire passes the project version");
    }

    @Test
    void helpOnEveryCommand() {
        CliRun top = run("--help");
        assertEquals(0, top.exitCode());
        assertTrue(top.out().startsWith("Usage: pare [-hV] [--stacktrace] [--verbose] [COMMAND]\n"), top.out());
        assertTrue(top.out().contains("\n  compile    Reads MODEL, compiles it and writes the result to OUT.\n"), top.out());
        assertTrue(top.out().endsWith("""
                Exit codes:
                  0  ok
                  1  compilation or pass failure
                  2  usage error (bad flags or arguments)
                  3  bad input model (missing, unreadable or invalid)
                  4  I/O error writing the output
                  5  out of memory (the message says which JAVA_OPTS=-Xmx to try)
                 70  internal error (a bug in Pare or a plugin; please report it)

                Pass --stacktrace (or --verbose, or set PARE_DEBUG=1) to see stack traces.
                """), top.out());

        CliRun compile = run("compile", "--help");
        assertEquals(0, compile.exitCode());
        assertTrue(compile.out().startsWith("Usage: pare compile [-hqV] [--force] [--no-verify] [--pass-statistics]\n"), compile.out());
        assertTrue(compile.out().contains("      --force                Replace OUT if it exists.\n"), compile.out());
        assertTrue(compile.out().contains("\n  4  I/O error writing the output\n"), compile.out());

        CliRun inspect = run("inspect", "-h");
        assertEquals(0, inspect.exitCode());
        assertTrue(inspect.out().startsWith("Usage: pare inspect [-hV] [--json] [--stacktrace] [--verbose]\n"
                + "                    [--original=MODEL] [--check-weight=NAME]... MODEL\n"), inspect.out());
        assertTrue(inspect.out().contains("\n  3  bad input model (missing, unreadable or invalid)\n"), inspect.out());
    }

    @Test
    void aRunOfOneCommandBuildsOnlyThatCommandAndEveryOtherRunAllOfThem() {
        Main main = new Main(new ModelFormats(List.of(mem)), Map.of());
        assertEquals(List.of("compile", "analyze", "inspect", "compare", "passes", "pipelines", "explain", "sweep"),
                List.copyOf(main.commandLine().getSubcommands().keySet()));
        for (Map.Entry<String, Class<?>> sub : Main.SUBCOMMANDS.entrySet()) {
            assertEquals(sub.getKey(), sub.getValue().getAnnotation(picocli.CommandLine.Command.class).name());
            assertEquals(List.of(sub.getKey()),
                    List.copyOf(main.commandLine(new String[] {sub.getKey(), "--help"}).getSubcommands().keySet()));
        }
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"compil", "x"}, new String[] {"--verbose", "inspect"})) {
            assertEquals(Main.SUBCOMMANDS.keySet(), main.commandLine(args).getSubcommands().keySet());
        }
    }

    // ---- usage errors (2)

    @Test
    void unknownFlag() {
        assertError(run("compile", in.toString(), "-o", out.toString(), "--bogus"), 2,
                "Unknown option: '--bogus' (see 'pare compile --help')");
    }

    @Test
    void unknownFlagWinsOverMissingArguments() {
        assertError(run("inspect", "--bogus"), 2, "Unknown option: '--bogus' (see 'pare inspect --help')");
    }

    @Test
    void missingOutputOption() {
        assertError(run("compile", in.toString()), 2,
                "Missing required option: '--output=OUT' (see 'pare compile --help')");
    }

    @Test
    void unknownCommand() {
        assertError(run("compil", "x.onnx"), 2, "Unmatched arguments from index 0: 'compil', 'x.onnx' (see 'pare --help')");
    }

    @Test
    void noCommandPrintsUsageToStderr() {
        CliRun r = run();
        assertEquals(2, r.exitCode());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("pare: error: missing command (compile, inspect, compare, passes, pipelines)\nUsage: pare [-hV] [--stacktrace] [--verbose] [COMMAND]\n"), r.err());
    }

    @Test
    void outputEqualsInput() {
        assertError(run("compile", in.toString(), "-o", in.toString(), "--force"), 2,
                in + ": output would overwrite the input model");
    }

    @Test
    void existingOutputNeedsForce() throws IOException {
        Files.writeString(out, "old");
        assertError(run("compile", in.toString(), "-o", out.toString()), 2,
                out + ": already exists (use --force to replace it)");
        assertEquals(0, run("compile", in.toString(), "-o", out.toString(), "--force").exitCode());
    }

    @Test
    void unknownOutputExtension() {
        Path txt = dir.resolve("out.txt");
        assertError(run("compile", in.toString(), "-o", txt.toString()), 2,
                txt + ": unknown model file extension (known: .mem)");
    }

    // ---- bad input (3)

    @Test
    void missingInputFile() {
        Path missing = dir.resolve("missing.mem");
        assertError(run("inspect", missing.toString()), 3, missing + ": no such file");
        assertError(run("compile", missing.toString(), "-o", out.toString()), 3, missing + ": no such file");
    }

    @Test
    void unknownInputExtension() throws IOException {
        Path txt = Files.writeString(dir.resolve("model.txt"), "hello");
        assertError(run("inspect", txt.toString()), 3, txt + ": unknown model file extension (known: .mem)");
    }

    @Test
    void unreadableModel() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.mem"), "junk");
        assertError(run("compile", junk.toString(), "-o", out.toString()), 3, junk + ": not a model this test wrote");
    }

    // ---- compile failure (1), output failure (4)

    @Test
    void passFailureExitsWithOne() throws IOException {
        Path plugins = TestPlugins.writeJar(dir.resolve("plugins"));
        assertError(run("compile", in.toString(), "-o", out.toString(), "--plugin-path", plugins.toString(),
                        "--pipeline", "CLEANUP, fail_on_op"), 1,
                "pass 'fail_on_op' failed at <pipeline>:1:10 on node 'add' (onnx.Add): refusing to run on onnx.Add",
                "T001");
        assertFalse(Files.exists(out));
    }

    @Test
    void writeFailureExitsWithFour() {
        mem.failWritesWith = "no space left on device";
        assertError(run("compile", in.toString(), "-o", out.toString()), 4, out + ": no space left on device");
    }

    @Test
    void stackTraceOnlyWhenAsked() {
        Path missing = dir.resolve("missing.mem");
        CliRun verbose = run("inspect", "--verbose", missing.toString());
        assertEquals(3, verbose.exitCode());
        assertTrue(verbose.err().startsWith("pare: error: " + missing + ": no such file\n"), verbose.err());
        assertTrue(verbose.err().contains("CliException"), verbose.err());

        CliRun topLevel = run("--verbose", "inspect", missing.toString());
        assertTrue(topLevel.err().contains("\tat dev.pare."), topLevel.err());

        CliRun debug = run(Map.of("PARE_DEBUG", "1"), "inspect", missing.toString());
        assertTrue(debug.err().contains("\tat dev.pare."), debug.err());
    }

    // ---- success

    @Test
    void compilePrintsOneSummaryLine() {
        CliRun r = run("compile", in.toString(), "-o", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().matches("compiled \\Q" + in + "\\E -> \\Q" + out
                + "\\E: nodes 2 -> 2, weights 2 -> 2 \\(24 B -> 24 B\\), file \\d+ B -> \\d+ B, \\d+\\.\\d\\d s\n"), r.out());
        assertTrue(Files.exists(out));
    }

    @Test
    void inspectPrintsTheReport() {
        CliRun r = run("inspect", in.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(ReportText.render(ModelInspector.inspect(mem.get(in)), in.toString()), r.out());
        assertTrue(r.out().contains("""
                Weights: 2 tensors, 6 parameters, 24 B
                  name  shape  dtype  size  storage      used by
                  w     [2,2]  f32    16 B  initializer  mm
                  b     [2]    f32     8 B  initializer  add
                """), r.out());
    }

    @Test
    void inspectJson() {
        CliRun r = run("inspect", "--json", in.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(ReportJson.write(ModelInspector.inspect(mem.get(in)), in.toString()), r.out());
        assertTrue(r.out().contains("""
                  "totals": {
                    "bytes": 24,
                    "parameters": 6,
                    "weights": 2
                  },
                """), r.out());
    }

    @Test
    void inspectWarnsAboutAnInvalidModelButShowsIt() throws IOException {
        Model m = tinyModel();
        Value stray = new Graph("other").rewriter().addInput("stray", TensorType.of(DType.FLOAT32, 1));
        m.graph().rewriter().setOutput(0, stray);
        mem.put(in, m);
        CliRun r = run("inspect", in.toString());
        assertEquals(0, r.exitCode());
        assertEquals("pare: warning: " + in + ": 1 verifier problem; first: graph tiny: V006: graph output %stray is not defined\n",
                r.err());
        assertTrue(r.out().startsWith("Model " + in + " (mem)\n"), r.out());
    }
}
