package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.cli.testplugin.TestPlugins;
import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compile --pipeline} and the pass-manager flags, {@code passes} and {@code pipelines}:
 * exact error texts and locations, instrumentation output, diagnostics, reproducers. The test
 * passes {@code fail_on_op} and {@code warn_once} come from a plugin jar written per test.
 */
class PipelineCliTest {

    @TempDir Path dir;
    MemoryFormat mem;
    Path in;
    Path out;
    Path plugins;

    @BeforeEach
    void setUp() throws IOException {
        mem = new MemoryFormat();
        in = dir.resolve("in.mem");
        out = dir.resolve("out.mem");
        mem.put(in, MainTest.tinyModel());
        plugins = TestPlugins.writeJar(dir.resolve("plugins"));
    }

    private CliRun run(String... args) { return CliRun.of(new Main(new ModelFormats(List.of(mem)), Map.of()), args); }

    private CliRun compile(String... flags) {
        String[] args = new String[flags.length + 4];
        args[0] = "compile";
        args[1] = in.toString();
        args[2] = "-o";
        args[3] = out.toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        return run(args);
    }

    private static void assertFails(CliRun r, int code, String err) {
        assertEquals(new CliRun(code, "", err), r);
    }

    // ---- pipeline errors (exit 2), rendered with location, source line and caret

    @Test
    void unknownPassWithDidYouMean() {
        assertFails(compile("--pipeline", "identity_elimination, dead_code_elimnation"), 2, """
                <pipeline>:1:23: error[P002]: unknown pass 'dead_code_elimnation'; did you mean 'dead_code_elimination'?
                    identity_elimination, dead_code_elimnation
                                          ^~~~~~~~~~~~~~~~~~~~
                """);
        assertFalse(Files.exists(out));
    }

    @Test
    void unknownPipelineWithDidYouMean() {
        assertFails(compile("--pipeline", "CLEANPU"), 2, """
                <pipeline>:1:1: error[P003]: unknown pipeline 'CLEANPU'; did you mean 'CLEANUP'?
                    CLEANPU
                    ^~~~~~~
                """);
    }

    @Test
    void optionOutOfRangeInAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.pipeline"), "// too small\nconst_folding{max_elements=-1};\n");
        assertFails(compile("--pipeline", "@" + file), 2, file + """
                :2:28: error[P006]: option 'max_elements' of pass 'const_folding' must be >= 0, got -1
                    const_folding{max_elements=-1};
                                               ^~
                """);
    }

    @Test
    void missingPipelineFile() {
        Path file = dir.resolve("nothere.pipeline");
        assertFails(compile("--pipeline", "@" + file), 2,
                file + ": error[P015]: cannot read pipeline file " + file + ": no such file\n");
    }

    // ---- pass failures (exit 1): pass, node and the step's file:line:col

    @Test
    void failingPassNamesTheNodeAndTheStepInTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("steps.pipeline"), """
                # tidy up, then the pass that fails
                CLEANUP,
                  fail_on_op{op_type="onnx.Add"};
                """);
        assertFails(compile("--pipeline", "@" + file, "--plugin-path", plugins.toString()), 1,
                "pare: error[T001] pass 'fail_on_op' failed at " + file + ":3:3 on node 'add' (onnx.Add): refusing to run on onnx.Add\n");
        assertFalse(Files.exists(out));
    }

    @Test
    void aFailingPassInsideANamedPipelineShowsWhereItWasUsed() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve("strict.pipeline"), "pipeline STRICT = CLEANUP, fail_on_op;\n");
        assertFails(compile("--pipeline", "STRICT", "--pipeline-path", lib.toString(), "--plugin-path", plugins.toString()), 1,
                "pare: error[T001] pass 'fail_on_op' failed at " + lib.resolve("strict.pipeline")
                        + ":1:28 (from STRICT at <pipeline>:1:1) on node 'add' (onnx.Add): refusing to run on onnx.Add\n");
    }

    // ---- pass-manager flags

    @Test
    void disablingARequiredPassIsAnError() {
        assertFails(compile("--pipeline", "warn_once", "--plugin-path", plugins.toString(), "--disable-pass", "warn_once"), 2,
                "pare: error[M004] pass 'warn_once' is required and cannot be disabled\n");
    }

    @Test
    void disablingAnUnknownPassSuggestsOne() {
        assertFails(compile("--disable-pass=const_foldng"), 2,
                "pare: error[M005] --disable-pass names unknown pass 'const_foldng'; did you mean 'const_folding'?\n");
    }

    @Test
    void printIrBeforeAnUnknownPass() {
        assertFails(compile("--print-ir-before=topological_order"), 2,
                "pare: error[M005] --print-ir-before names unknown pass 'topological_order'; did you mean 'topological_reorder'?\n");
    }

    @Test
    void aDisabledOptionalPassIsSkipped() {
        CliRun r = compile("--pipeline", "CLEANUP, fail_on_op", "--plugin-path", plugins.toString(), "--disable-pass", "fail_on_op");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void passWarningsGoToStderr() {
        CliRun r = compile("--pipeline", "warn_once", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("pare: warning[T002] in.mem: first node is mm\n", r.err());
        assertTrue(r.out().startsWith("compiled "), r.out());
    }

    @Test
    void timingAndStatistics() {
        CliRun r = compile("--pipeline", "dead_code_elimination, topological_reorder", "--timing", "--pass-statistics");
        assertEquals(0, r.exitCode(), r.err());
        String[] lines = r.err().split("\n");
        assertEquals("=== pass timing ===", lines[0]);
        assertEquals("pass                    runs     total ms       %", lines[1]);
        assertTrue(lines[2].startsWith("dead_code_elimination      1 "), lines[2]);
        assertTrue(lines[3].startsWith("(verifier)                 2 "), lines[3]);
        assertTrue(lines[4].startsWith("topological_reorder        1 "), lines[4]);
        assertTrue(lines[5].startsWith("total "), lines[5]);
        assertTrue(r.err().endsWith("""
                === pass statistics ===
                step 0: dead_code_elimination (<pipeline>:1:1), 1 run
                  (no counters)
                step 1: topological_reorder (<pipeline>:1:24), 1 run
                  (no counters)
                """), r.err());
    }

    @Test
    void printIrAfterChangeShowsOnlyPassesThatChangedSomething() throws IOException {
        // y = Add(MatMul(x, w), b) plus a dead Neg: only dead_code_elimination changes the graph
        CliRun r = compile("--pipeline", "topological_reorder, fail_on_op{op_type=\"none\"}, dead_code_elimination",
                "--plugin-path", plugins.toString(), "--print-ir-after-change", "--print-ir-before=topological_reorder");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                // ----- IR before pass 'topological_reorder' (step 0, <pipeline>:1:1) -----
                graph tiny(%x: f32[1,2]) {
                  %w: f32[2,2] = const dense<f32[2,2]: [1, 2, 3, 4]>
                  %b: f32[2] = const dense<f32[2]: [5, 6]>
                  %h: f32[1,2] = onnx.MatMul(%x, %w) @mm
                  %y: f32[1,2] = onnx.Add(%h, %b) @add
                  return %y
                }
                """, r.err());
    }

    @Test
    void printIrAfterTheLoweringShowsWhatTheOnnxWriterGets() throws Exception {
        Path onnxIn = dir.resolve("tiny.onnx");
        dev.pare.ir.Model m = MainTest.tinyModel();
        m.setProperty("ir_version", "8");
        new OnnxFormat().write(m, onnxIn);
        // an .onnx output: the compiler appends lower_to_onnx (OnnxFormat.loweringPass) after the user's pipeline
        CliRun r = CliRun.of(new Main(ModelFormats.discover(), Map.of()), "compile", onnxIn.toString(), "-o",
                dir.resolve("q.onnx").toString(), "--pipeline", "quantize_weights{dtype=int8, granularity=per_tensor, weight_threshold=0}",
                "--print-ir-after=quantize_weights", "--print-ir-after=lower_to_onnx");
        assertEquals(0, r.exitCode(), r.err());
        String before = r.err().substring(0, r.err().indexOf("IR after pass 'lower_to_onnx'"));
        String after = r.err().substring(r.err().indexOf("IR after pass 'lower_to_onnx'"));
        assertTrue(before.contains("pare.affine_dequantize("), before);
        assertTrue(after.contains("onnx.DequantizeLinear(") && !after.contains("pare."), after);
    }

    @Test
    void printIrAfterTheLoweringShowsWhatTheCoreMlWriterGets() throws Exception {
        Path onnxIn = dir.resolve("tiny.onnx");
        dev.pare.ir.Model m = MainTest.tinyModel();
        m.setProperty("ir_version", "8");
        new OnnxFormat().write(m, onnxIn);
        // an .mlpackage output: convert_to_mil, then lower_to_coreml (CoreMlFormat.loweringPass) after the user's pipeline
        CliRun r = CliRun.of(new Main(ModelFormats.discover(), Map.of()), "compile", onnxIn.toString(), "-o",
                dir.resolve("q.mlpackage").toString(), "--target", "ios16", "--pipeline",
                "quantize_weights{dtype=int8, granularity=per_tensor, weight_threshold=0}",
                "--print-ir-after=convert_to_mil", "--print-ir-after=lower_to_coreml");
        assertEquals(0, r.exitCode(), r.err());
        String before = r.err().substring(0, r.err().indexOf("IR after pass 'lower_to_coreml'"));
        String after = r.err().substring(r.err().indexOf("IR after pass 'lower_to_coreml'"));
        assertTrue(before.contains("pare.affine_dequantize("), before);
        assertTrue(after.contains("mil.constexpr_affine_dequantize(") && !after.contains("pare."), after);
        // the lowering is not the user's pipeline: the package records only what the user asked for
        dev.pare.ir.Model written = new dev.pare.compiler.coreml.CoreMlFormat().read(dir.resolve("q.mlpackage"));
        assertFalse(written.metadataProps().get("com.github.pare.pipeline").contains("lower_to_coreml"), written.metadataProps().toString());
    }

    @Test
    void noVerifyStillRuns() {
        CliRun r = compile("--no-verify", "--timing");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.err().contains("(verifier)"), r.err());
    }

    @Test
    void badPluginPath() {
        Path missing = dir.resolve("no-plugins");
        assertFails(compile("--plugin-path", missing.toString()), 2,
                "pare: error[R004]: plugin path " + missing + " does not exist\n");
        assertFails(run("passes", "--plugin-path", missing.toString()), 2,
                "pare: error[R004]: plugin path " + missing + " does not exist\n");
    }

    @Test
    void badPipelinePath() {
        Path missing = dir.resolve("no-pipelines");
        assertFails(run("pipelines", "--pipeline-path", missing.toString()), 2,
                "pare: error: --pipeline-path " + missing + ": not a directory\n");
    }

    // ---- reproducer

    @Test
    void reproducerReplaysTheFailure() throws Exception {
        Path onnxIn = dir.resolve("tiny.onnx");
        dev.pare.ir.Model m = MainTest.tinyModel();
        m.setProperty("ir_version", "8");
        new OnnxFormat().write(m, onnxIn);
        Path repro = dir.resolve("repro");
        CliRun failed = CliRun.of(new Main(ModelFormats.discover(), Map.of()), "compile", onnxIn.toString(), "-o",
                dir.resolve("o.onnx").toString(), "--pipeline", "CLEANUP, fail_on_op", "--seed", "7",
                "--plugin-path", plugins.toString(), "--reproducer", repro.toString());
        assertEquals(1, failed.exitCode());
        assertEquals("reproducer written to " + repro + "\n"
                + "pare: error[T001] pass 'fail_on_op' failed at <pipeline>:1:10 on node 'add' (onnx.Add): refusing to run on onnx.Add\n",
                failed.err());
        assertEquals("7\n", Files.readString(repro.resolve("seed")));
        // the canonical pipeline: CLEANUP expanded (lines 1-7), the failing step on line 8
        assertTrue(Files.readString(repro.resolve("pipeline.pipeline")).endsWith("},\ntopological_reorder,\nfail_on_op{op_type=\"onnx.Add\"}\n"),
                Files.readString(repro.resolve("pipeline.pipeline")));
        assertTrue(Files.readString(repro.resolve("README")).contains("pare compile " + repro.resolve("tiny.onnx")
                + " -o out --pipeline @" + repro.resolve("pipeline.pipeline") + " --seed 7\n"));
        assertTrue(Files.readString(repro.resolve("README")).endsWith("add --plugin-path " + plugins.toAbsolutePath() + "\n"));

        CliRun replay = CliRun.of(new Main(ModelFormats.discover(), Map.of()), "compile", repro.resolve("tiny.onnx").toString(),
                "-o", dir.resolve("o.onnx").toString(), "--pipeline", "@" + repro.resolve("pipeline.pipeline"), "--seed", "7",
                "--plugin-path", plugins.toString());
        assertEquals(new CliRun(1, "", "pare: error[T001] pass 'fail_on_op' failed at " + repro.resolve("pipeline.pipeline")
                + ":8:1 on node 'add' (onnx.Add): refusing to run on onnx.Add\n"), replay);
    }

    // ---- passes and pipelines commands

    @Test
    void passesTable() {
        CliRun r = run("passes", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                Passes: 16
                  name                   kind      summary
                  activation_quantize    required  Calibrates activation ranges on sample inputs and inserts int8/uint8 quantize-dequantize pairs.
                  const_deduplication    optional  Merges constants and Constant nodes with identical contents.
                  const_folding          optional  Evaluates shape arithmetic and other exact ops on constant operands.
                  convert_to_mil         required  Lowers ONNX ops to Core ML MIL ops (folding static shape arithmetic).
                  dead_code_elimination  optional  Removes nodes and constants whose values are never used.
                  decompress_weights     required  Expands compressed weights (pare dialect ops on constants) back to dense constants.
                  fail_on_op             optional  Fails on the first node of an op type
                  identity_elimination   optional  Removes Identity, inference Dropout and no-op Cast nodes.
                  lower_to_coreml        required  Turns pare.* ops (compressed weights, activation quantize/dequantize) into Core ML constexpr and quantize ops of the target.
                  lower_to_onnx          required  Turns pare.* ops (compressed weights, activation quantize/dequantize) into standard ONNX ops.
                  mixed_precision        required  Chooses a compression candidate per weight (by measured sensitivity) to meet a size budget, and applies it.
                  palettize              required  Replaces weights by a look-up table and indices (k-means, uniform, unique or custom).
                  prune                  required  Zeroes small weights (threshold, magnitude, block or n:m) and stores them sparsely.
                  quantize_weights       required  Quantizes weights linearly to 8 or 4 bits with per-tensor, per-channel or per-block scales.
                  topological_reorder    optional  Orders nodes topologically, keeping the current order where it is valid.
                  warn_once              required  Reports one warning
                """, r.out());
    }

    @Test
    void optionsWithoutADefaultSaySo() {
        CliRun r = run("passes", "prune");
        assertEquals(0, r.exitCode(), r.err());
        List<String> rows = r.out().lines().filter(l -> l.startsWith("  target_sparsity ") || l.startsWith("  n_m_ratio ")
                || l.startsWith("  dim ")).map(l -> l.replaceAll("\\s+", " ").trim()).map(l -> l.substring(0, l.indexOf(" default") + " default".length()))
                .toList();
        assertEquals(List.of("target_sparsity double optional, no default", "n_m_ratio string optional, no default",
                "dim int optional, no default"), rows);
        assertTrue(r.out().lines().anyMatch(l -> l.replaceAll("\\s+", " ").startsWith(" dim int optional, no default [0, 1] ")), r.out());
        CliRun json = run("passes", "--json", "prune");
        assertEquals(0, json.exitCode(), json.err());
        assertEquals(3, json.out().lines().filter(l -> l.trim().equals("\"default\": null,")).count(), json.out());
    }

    @Test
    void passDetails() {
        CliRun r = run("passes", "const_folding");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("""
                Pass const_folding (optional)
                  Evaluates shape arithmetic and other exact ops on constant operands.
                  provider  dev.pare.passes.cleanup.ConstFolding
                """), r.out());
        assertTrue(r.out().endsWith("""
                Options (const_folding{key=value, ...} in a pipeline):
                  option            type     default  range  help
                  max_elements      long     65536    >= 0   Largest result, in elements, that is folded into a constant.
                  float_arithmetic  boolean  true            Fold float32/float64 Add, Sub, Mul and Div (each IEEE operation is correctly rounded).
                  max_growth_bytes  long     1024     >= 0   Bytes a fold may add to the stored constants: a result larger than the constant operands it frees by more than this stays an expression.
                """), r.out());
        assertFails(run("passes", "const_foldin"), 2,
                "pare: error: unknown pass 'const_foldin'; did you mean 'const_folding'? (see 'pare passes')\n");
    }

    @Test
    void passesJson() {
        CliRun r = run("passes", "--json", "fail_on_op", "--plugin-path", plugins.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("""
                  "options": [
                    {
                      "default": "\\"onnx.Add\\"",
                      "help": "The op type that makes the pass fail.",
                      "key": "op_type",
                      "range": "",
                      "type": "string"
                    }
                  ],
                  "provider": "dev.pare.cli.testplugin.FailOnOp",
                  "required": false,
                """), r.out());
    }

    @Test
    void pipelinesListsBuiltInsAndThePipelinePath() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve("mine.pipeline"), "// mine\npipeline TIDY = dead_code_elimination;\n");
        CliRun r = run("pipelines", "--pipeline-path", lib.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("Pipelines: 13\n"
                + "  name                   defined at\n"
                + "  CLEANUP                <builtin>/CLEANUP.pipeline:2:10\n"
                + "  DEFAULT                <builtin>/DEFAULT.pipeline:2:10\n"
                + "  DEFAULT_PALETTIZATION  <builtin>/DEFAULT_PALETTIZATION.pipeline:4:10\n"
                + "  DEFAULT_PRUNING        <builtin>/DEFAULT_PRUNING.pipeline:3:10\n"
                + "  EMPTY                  <builtin>/EMPTY.pipeline:2:10\n"
                + "  JOINT_PRUNE_PALETTIZE  <builtin>/JOINT_PRUNE_PALETTIZE.pipeline:2:10\n"
                + "  PALETTIZE_4BIT         <builtin>/PALETTIZE_4BIT.pipeline:2:10\n"
                + "  PALETTIZE_8BIT         <builtin>/PALETTIZE_8BIT.pipeline:2:10\n"
                + "  PRUNE_50               <builtin>/PRUNE_50.pipeline:2:10\n"
                + "  QUANTIZE_INT4_BLOCK32  <builtin>/QUANTIZE_INT4_BLOCK32.pipeline:2:10\n"
                + "  QUANTIZE_INT8          <builtin>/QUANTIZE_INT8.pipeline:2:10\n"
                + "  TIDY                   " + lib.resolve("mine.pipeline") + ":2:10\n"
                + "  W8A8                   <builtin>/W8A8.pipeline:5:10\n", r.out());
    }

    @Test
    void explainPrintsTheCanonicalForm() {
        CliRun r = run("pipelines", "--explain", "DEFAULT");
        assertEquals(new CliRun(0, """
                fixpoint{max_iterations=8} {
                  identity_elimination{remove_dropout=true, remove_noop_cast=true},
                  const_folding{float_arithmetic=true, max_elements=65536, max_growth_bytes=1024},
                  const_deduplication{min_bytes=0},
                  dead_code_elimination
                },
                topological_reorder
                """, ""), r);
        CliRun inline = run("pipelines", "--explain", "const_folding{max_elements=4} on op_type(shape)");
        assertEquals(new CliRun(0, "const_folding{float_arithmetic=true, max_elements=4, max_growth_bytes=1024} on op_type(shape)\n", ""), inline);
        assertFails(run("pipelines", "--explain", "DEFAUT"), 2, """
                <pipeline>:1:1: error[P003]: unknown pipeline 'DEFAUT'; did you mean 'DEFAULT'?
                    DEFAUT
                    ^~~~~~
                """);
    }
}
