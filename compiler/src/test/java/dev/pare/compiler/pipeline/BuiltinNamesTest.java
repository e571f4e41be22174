package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.PipelineResource;
import dev.pare.compiler.testpasses.MarkPass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resolving a pipeline name parses only the built-in files that may define it
 * ({@link BuiltinNames}), with the same results and errors as parsing them all.
 */
class BuiltinNamesTest {

    @Test
    void aFileMayDefineANameOnlyRightAfterThePipelineKeyword() {
        assertTrue(BuiltinNames.mayDefine("// c\npipeline EMPTY = ;\n", "EMPTY"));
        assertFalse(BuiltinNames.mayDefine("pipeline PALETTIZE_4BIT = palettize, CLEANUP;\n", "CLEANUP"));
        assertFalse(BuiltinNames.mayDefine("pipeline EMPTY = ;\n", "CLEANUP"));
        assertFalse(BuiltinNames.mayDefine("// pipeline CLEANUP = ; is not here\npipeline X = CLEANUP;\n", "CLEANUP"));
        assertFalse(BuiltinNames.mayDefine("pipeline EMPTY_2 = ;\n", "EMPTY"));
        // Syntax errors the parser recovers from by dropping one token still count.
        assertTrue(BuiltinNames.mayDefine("pipeline 5 EMPTY 6 = ;\n", "EMPTY"));
        assertTrue(BuiltinNames.mayDefine("pipeline EMPTY", "EMPTY"));
        // Unreadable: it has to be loaded (which reports why).
        assertTrue(BuiltinNames.mayDefine(null, "EMPTY"));
    }

    private static List<String> headlines(PipelineException e) {
        return e.errors().stream().map(x -> x.span() + ": error[" + x.code().code() + "]: " + x.message()).toList();
    }

    private static PipelineCompiler compiler(Path dir, String... nameAndText) throws Exception {
        List<PipelineResource> files = new ArrayList<>();
        for (int i = 0; i < nameAndText.length; i += 2) {
            Path f = dir.resolve(nameAndText[i]);
            Files.writeString(f, nameAndText[i + 1]);
            files.add(new PipelineResource(nameAndText[i], f.toUri().toURL()));
        }
        return new PipelineCompiler(PassRegistry.of(List.of(new MarkPass()), files));
    }

    @Test
    void aNameDefinedByTwoBuiltinFilesIsStillADuplicate(@TempDir Path dir) throws Exception {
        PipelineCompiler compiler = compiler(dir,
                "A.pipeline", "pipeline SHARED = mark;\n",
                "B.pipeline", "// the same name again\npipeline SHARED = mark;\n",
                "C.pipeline", "pipeline OTHER = SHARED;\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.named("SHARED"));
        assertEquals(List.of("<builtin>/B.pipeline:2:10: error[P011]: pipeline 'SHARED' is already defined at <builtin>/A.pipeline:1:10"),
                headlines(e));
    }

    @Test
    void aBrokenFileThatDoesNotDefineTheNameIsNotReported(@TempDir Path dir) throws Exception {
        PipelineCompiler compiler = compiler(dir,
                "BROKEN.pipeline", "pipeline BROKEN = mark{;\n",
                "GOOD.pipeline", "pipeline GOOD = mark;\n");
        assertEquals("GOOD", compiler.named("GOOD").name());
        assertEquals(List.of("mark"), compiler.named("GOOD").passSteps().stream().map(PassStep::passName).toList());
    }

    @Test
    void anUnknownNameIsSuggestedFromEveryBuiltinFile(@TempDir Path dir) throws Exception {
        PipelineCompiler compiler = compiler(dir,
                "A.pipeline", "pipeline TIDY = mark;\n",
                "Z.pipeline", "pipeline ZAP = mark;\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.named("TIDDY"));
        assertEquals(List.of("<pipeline>:1:1: error[P003]: unknown pipeline 'TIDDY'; did you mean 'TIDY'?"), headlines(e));
        assertEquals(List.of("TIDY", "ZAP"), List.copyOf(compiler.availablePipelines().keySet()));
    }
}
