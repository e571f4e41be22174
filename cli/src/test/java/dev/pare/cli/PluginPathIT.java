package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example plugin (examples/custom-pass, built as its own jar and copied to
 * {@code cli/target/plugins} by the build after packaging) is found only through
 * {@code --plugin-path}, and runs in a pipeline. Runs in {@code mvn verify} (integration-test phase).
 */
class PluginPathIT {

    static final String PASS = "simplify_arithmetic";

    static Path pluginDir;

    @TempDir Path dir;

    @BeforeAll
    static void findTheJar() throws Exception {
        String property = System.getProperty("pare.plugin.dir");
        // Only the integration-test execution sets the property (after the jar was copied); the
        // unit-test execution reaches this class only when -Dtest names it.
        Assumptions.assumeTrue(property != null, "runs in the integration-test phase (mvn verify)");
        pluginDir = Path.of(property);
        List<Path> jars;
        try (Stream<Path> files = Files.list(pluginDir)) {
            jars = files.filter(p -> p.getFileName().toString().matches("pare-example-custom-pass-.*\\.jar")).toList();
        }
        assertEquals(1, jars.size(), "expected the example plugin jar in " + pluginDir
                + " (copied by maven-dependency-plugin in pre-integration-test; run mvn verify from the repository root)");
    }

    private static CliRun pare(String... args) { return CliRun.of(new Main(ModelFormats.discover(), Map.of()), args); }

    @Test
    void theExampleIsNotOnTheClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("dev.pare.examples.arith.SimplifyArithmeticProvider"));
    }

    @Test
    void passesListsThePluginOnlyWithThePluginPath() {
        CliRun without = pare("passes");
        assertEquals(0, without.exitCode(), without.err());
        assertTrue(without.out().contains("\n  dead_code_elimination "), without.out());
        assertFalse(without.out().contains(PASS), without.out());
        CliRun unknown = pare("passes", PASS);
        assertEquals(new CliRun(2, "", "pare: error: unknown pass 'simplify_arithmetic' (see 'pare passes')\n"), unknown);

        CliRun with = pare("passes", "--plugin-path", pluginDir.toString());
        assertEquals(0, with.exitCode(), with.err());
        assertTrue(with.out().contains("\n  " + PASS + "    optional  Removes x*1, x/1, x-0 and bit-exact x+0 "), with.out());

        CliRun detail = pare("passes", PASS, "--plugin-path", pluginDir.toString());
        assertEquals(0, detail.exitCode(), detail.err());
        assertTrue(detail.out().startsWith("Pass simplify_arithmetic (optional)\n"), detail.out());
        assertTrue(detail.out().contains("\n  provider  dev.pare.examples.arith.SimplifyArithmeticProvider\n"), detail.out());
        assertTrue(detail.out().contains("\n  from      " + pluginDir.toAbsolutePath()), detail.out());
        assertTrue(detail.out().contains("""
                  option  type     default  range  help
                  mul     boolean  true            remove Mul by a constant one
                """), detail.out());
    }

    /** x -> Mul(x, 1.0) -> Relu -> y, written with the ONNX writer. */
    private Path mulByOneModel() throws Exception {
        Graph g = new Graph("mul_by_one");
        Rewriter r = g.rewriter();
        TensorType t = TensorType.of(DType.FLOAT32, 2, 3);
        Value x = r.addInput("x", t);
        Value one = r.addConstant("one", TensorData.ofFloats(new long[] {}, 1.0f));
        Value m = r.createNode("scale", "onnx.Mul", List.of(x, one), List.of("m"), List.of(t), Attributes.empty(),
                Location.UNKNOWN).result(0);
        Value y = r.createNode("relu", "onnx.Relu", List.of(m), List.of("y"), List.of(t), Attributes.empty(),
                Location.UNKNOWN).result(0);
        r.addOutput(y);
        Model model = new Model("onnx", g);
        model.setOpsets(List.of(new Model.OpsetImport("", 13)));
        model.setProperty("ir_version", "8");
        Path file = dir.resolve("mul_by_one.onnx");
        new OnnxFormat().write(model, file);
        return file;
    }

    @Test
    void thePluginRunsInAPipeline() throws Exception {
        Path in = mulByOneModel();
        Path out = dir.resolve("out.onnx");
        CliRun missing = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", PASS + ", CLEANUP");
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().startsWith("<pipeline>:1:1: error[P002]: unknown pass 'simplify_arithmetic'\n"), missing.err());

        CliRun compile = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", PASS + ", CLEANUP",
                "--plugin-path", pluginDir.toString());
        assertEquals(0, compile.exitCode(), compile.err());
        assertEquals("", compile.err());
        assertTrue(compile.out().contains(": nodes 2 -> 1, weights 1 -> 0 "), compile.out());

        Model compiled = new OnnxFormat().read(out);
        assertEquals(List.of("onnx.Relu"), compiled.graph().nodes().stream().map(Node::op).toList());
        float[] x = {-2.5f, -0f, 0f, 1e-30f, 3.25f, Float.MAX_VALUE};
        assertArrayEquals(bits(run(in, x)), bits(run(out, x)));
    }

    @Test
    void theOnnxOnlyPluginAfterConvertToMilIsRefusedBeforeAnyPassRuns() throws Exception {
        CliRun detail = pare("passes", PASS, "--plugin-path", pluginDir.toString());
        assertTrue(detail.out().contains("\n  requires  onnx\n"), detail.out());

        Path in = mulByOneModel();
        Path out = dir.resolve("out.onnx");
        CliRun late = pare("compile", in.toString(), "-o", out.toString(), "--pipeline", "convert_to_mil, " + PASS,
                "--plugin-path", pluginDir.toString());
        assertEquals(new CliRun(2, "", "pare: error[M016] pass 'simplify_arithmetic' at <pipeline>:1:17 requires 'onnx' "
                + "(the graph's ops are ONNX ops), which step 'convert_to_mil' at <pipeline>:1:1 invalidates; run it before "
                + "that step\n"), late);
        assertFalse(Files.exists(out));
    }

    private static float[] run(Path model, float[] x) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 3});
             OrtSession.Result result = session.run(Map.of("x", input))) {
            FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }

    private static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < b.length; i++) b[i] = Float.floatToRawIntBits(values[i]);
        return b;
    }
}
