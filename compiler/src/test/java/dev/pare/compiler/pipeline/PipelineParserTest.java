package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.testpasses.MarkPass;
import dev.pare.compiler.testpasses.TestRegistries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PipelineParserTest {

    private final PipelineCompiler compiler = new PipelineCompiler(TestRegistries.standard());

    @Test
    void parsesOptionsSelectorsAndOverrides() throws Exception {
        PipelineSpec spec = compiler.parseInline(
                "mark{nbits=4, mode=UNIFORM, bits=[1, 2], scale=0.1, label=\"a\\\"b\"} on op_type(Conv) | op_name(\"enc*\")"
                        + " except op_type(relu) where { op_name(\"conv1\") -> {nbits=2}; op_type(matmul) -> skip; }");
        PassStep step = (PassStep) spec.steps().get(0);
        MarkPass.Options o = (MarkPass.Options) step.options();
        assertEquals(4, o.nbits());
        assertEquals(MarkPass.Mode.UNIFORM, o.mode());
        assertEquals(List.of(1, 2), o.bits());
        assertEquals(0.1f, o.scale());
        assertEquals("a\"b", o.label());
        assertEquals(16, o.groupSize()); // default kept
        assertEquals(List.of(new Selector(Selector.Kind.OP_TYPE, List.of("conv")), new Selector(Selector.Kind.OP_NAME, List.of("enc*"))),
                step.scope().on());
        assertEquals(List.of(new Selector(Selector.Kind.OP_TYPE, List.of("relu"))), step.scope().except());
        assertEquals(2, step.overrides().size());
        assertEquals(2, ((MarkPass.Options) step.overrides().get(0).options().orElseThrow()).nbits());
        assertEquals(MarkPass.Mode.UNIFORM, ((MarkPass.Options) step.overrides().get(0).options().orElseThrow()).mode());
        assertTrue(step.overrides().get(1).skip());
        assertEquals(new SourceSpan("<pipeline>", 1, 1, 4), step.span());
    }

    @Test
    void canonicalFormPrintsEveryOptionSortedAndNormalised() throws Exception {
        PipelineSpec spec = compiler.parseInline(
                "# comment\nmark{threshold=1e-12, scale=.25, mode=Uniform} on op_name(\"b\", \"a\") | op_type(Conv),\n"
                        + "fixpoint { erase_one_dead } // trailing comment\n");
        assertEquals("""
                mark{bits=[2, 4, 8], budget=1000, group_size=16, label="x", mode=uniform, nbits=8, scale=0.25, threshold=1.0e-12, verbose=false} on op_type(conv) | op_name("a", "b"),
                fixpoint{max_iterations=10} {
                  erase_one_dead
                }
                """, spec.canonicalText());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "mark",
            "mark{nbits=3, scale=3.4028235e38, threshold=0.1, budget=9223372036854775807}, erase_one_dead",
            "mark{label=\"tab\\tquote\\\"nl\\n\", bits=[]} except op_name(\"x?\") where { op_type(conv) -> {}; op_name(\"*\") -> skip }",
            "fixpoint{max_iterations=3} { mark{nbits=2} on op_type(\"onnx.Conv\"), fixpoint { erase_one_dead } }, always_changed",
            "TIDY_MARKED, mark where { op_name(\"a\") -> {mode=unique, nbits=2}; op_type(relu, conv) -> {verbose=true} }",
            "mark{scale=1e-7, threshold=0.3}, mark{scale=123456789, threshold=1}, mark{scale=-0.0}"
    })
    void printParsePrintIsTheIdentity(String text) throws Exception {
        String once = compiler.parseInline(text).canonicalText();
        PipelineSpec again = compiler.parseInline(once);
        assertEquals(once, again.canonicalText());
        assertEquals(compiler.parseInline(text).steps().size(), again.steps().size());
    }

    @Test
    void namedReferencesAreExpandedButRemembered() throws Exception {
        PipelineSpec spec = compiler.parseInline("mark, TIDY_MARKED");
        assertEquals(3, spec.steps().size());
        PassStep inner = (PassStep) spec.steps().get(1);
        assertEquals(List.of(new PipelineUse("TIDY_MARKED", new SourceSpan("<pipeline>", 1, 7, 11))), inner.via());
        assertEquals("<builtin>/cleanup_test.pipeline:3:24 (from TIDY_MARKED at <pipeline>:1:7)", inner.origin());
        FixpointStep fixpoint = assertInstanceOf(FixpointStep.class, spec.steps().get(2));
        assertEquals(5, fixpoint.maxIterations());
        PassStep erase = (PassStep) fixpoint.body().get(0);
        assertEquals("<builtin>/cleanup_test.pipeline:2:46 (from TIDY at <builtin>/cleanup_test.pipeline:3:39, TIDY_MARKED at <pipeline>:1:7)",
                erase.origin());
        assertEquals(List.of(0, 1, 2), spec.passSteps().stream().map(PassStep::index).toList());
    }

    @Test
    void fileWithDefinitionsIncludesAndTopLevelSteps(@TempDir Path dir) throws Exception {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("base.pipeline"), "pipeline BASE = mark{nbits=2};\n");
        Files.writeString(lib.resolve("extra.pipeline"), "include \"cleanup_test.pipeline\";\npipeline EXTRA = BASE_TWICE, TIDY;\n"
                + "pipeline BASE_TWICE = mark{nbits=3}, mark{nbits=3};");
        Path main = dir.resolve("main.pipeline");
        Files.writeString(main, "include \"base.pipeline\";\ninclude \"extra.pipeline\"; // found on the pipeline path\n"
                + "pipeline MINE = BASE, erase_one_dead;\n\nMINE, EXTRA;\n");
        PipelineSpec spec = new PipelineCompiler(TestRegistries.standard(), List.of(lib)).parseFile(main);
        assertEquals(main.toString(), spec.name());
        assertEquals(List.of("mark", "erase_one_dead", "mark", "mark", "erase_one_dead"),
                spec.passSteps().stream().map(PassStep::passName).toList());
        assertEquals(2, ((MarkPass.Options) spec.passSteps().get(0).options()).nbits());
        assertEquals(main + ":3:23 (from MINE at " + main + ":5:1)", spec.passSteps().get(1).origin());
    }

    @Test
    void fileWithOnePipelineAndNoStepsIsThatPipeline(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("one.pipeline");
        Files.writeString(file, "pipeline ONLY = mark{nbits=5}, always_changed;");
        assertEquals(List.of("mark", "always_changed"),
                compiler.parseArgument("@" + file).passSteps().stream().map(PassStep::passName).toList());
    }

    @Test
    void canonicalTextIsAValidPipelineFile(@TempDir Path dir) throws Exception {
        PipelineSpec spec = compiler.parseInline("TIDY_MARKED, mark on op_type(conv)");
        Path file = dir.resolve("pipeline.pipeline");
        Files.writeString(file, spec.canonicalText());
        assertEquals(spec.canonicalText(), compiler.parseFile(file).canonicalText());
    }

    @Test
    void namedPipelineFromThePipelinePathShadowsBuiltins(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("mine.pipeline"), "pipeline TIDY = always_changed;\npipeline OWN = TIDY;");
        PipelineCompiler c = new PipelineCompiler(TestRegistries.standard(), List.of(dir));
        assertEquals(List.of("always_changed"), c.named("OWN").passSteps().stream().map(PassStep::passName).toList());
        assertEquals(List.of("OWN", "TIDY", "TIDY_MARKED"), List.copyOf(c.availablePipelines().keySet()));
    }
}
