package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pare.compiler.testpasses.TestRegistries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Includes stay inside the including file's folder and the pipeline path; files that are not
 * pipelines are refused without showing their content; sizes and nesting are bounded.
 */
class PipelineBoundsTest {

    private static final String SECRET = "root:x:0:0:TOPSECRET:/root:/bin/bash\n";

    @TempDir Path dir;

    private final PipelineCompiler compiler = new PipelineCompiler(TestRegistries.standard());

    private PipelineException fileError(PipelineCompiler c, Path file) {
        return assertThrows(PipelineException.class, () -> c.parseFile(file));
    }

    private PipelineException fileError(Path file) { return fileError(compiler, file); }

    private static List<String> headlines(PipelineException e) {
        return e.errors().stream().map(x -> x.span() + ": error[" + x.code().code() + "]: " + x.message()).toList();
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, text);
    }

    // ---- confined includes

    @Test
    void includeClimbingOutIsRefusedWithoutReadingIt() throws Exception {
        write("secret.pipeline", SECRET);
        Path main = write("work/main.pipeline", "include \"../secret.pipeline\";\nmark;\n");
        PipelineException e = fileError(main);
        assertEquals(main + """
                :1:9: error[P017]: include "../secret.pipeline" is outside the including file's folder and the pipeline path; includes are resolved only inside them
                    include "../secret.pipeline";
                            ^~~~~~~~~~~~~~~~~~~~""", e.getMessage());
        assertFalse(e.getMessage().contains("TOPSECRET"));
    }

    @Test
    void manyDotDotsToASystemFileAreRefused() throws Exception {
        Path main = write("main.pipeline", "include \"../../../../../../../../etc/passwd\";\n");
        assertEquals(List.of(main + ":1:9: error[P017]: include \"../../../../../../../../etc/passwd\" is outside the including "
                + "file's folder and the pipeline path; includes are resolved only inside them"), headlines(fileError(main)));
    }

    @Test
    void absoluteIncludeOutsideIsRefusedAndInsideIsAllowed() throws Exception {
        Path secret = write("secret.pipeline", SECRET);
        Path main = write("work/main.pipeline", "include \"" + secret + "\";\nmark;\n");
        assertEquals(List.of(main + ":1:9: error[P017]: include \"" + secret + "\" is outside the including file's folder "
                + "and the pipeline path; includes are resolved only inside them"), headlines(fileError(main)));

        Path lib = write("work/lib/base.pipeline", "pipeline BASE = mark{nbits=2};\n");
        Path ok = write("work/ok.pipeline", "include \"" + lib + "\";\nBASE;\n");
        assertEquals(List.of("mark"), compiler.parseFile(ok).passSteps().stream().map(PassStep::passName).toList());
    }

    @Test
    void subfolderAndPipelinePathIncludesStillWork() throws Exception {
        write("work/lib/base.pipeline", "pipeline BASE = mark{nbits=2};\n");
        Path shared = Files.createDirectories(dir.resolve("shared"));
        write("shared/tidy.pipeline", "pipeline TIDY2 = erase_one_dead;\n");
        Path main = write("work/main.pipeline", "include \"lib/base.pipeline\";\ninclude \"tidy.pipeline\";\nBASE, TIDY2;\n");
        PipelineSpec spec = new PipelineCompiler(TestRegistries.standard(), List.of(shared)).parseFile(main);
        assertEquals(List.of("mark", "erase_one_dead"), spec.passSteps().stream().map(PassStep::passName).toList());
    }

    @Test
    void symlinkLeavingTheFolderIsRefused() throws Exception {
        Path secret = write("secret.pipeline", "pipeline SECRET = mark;\n");
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.createSymbolicLink(work.resolve("link.pipeline"), secret);
        Path main = write("work/main.pipeline", "include \"link.pipeline\";\nmark;\n");
        assertEquals(List.of(main + ":1:9: error[P017]: include \"link.pipeline\" links to a file outside the including file's folder"),
                headlines(fileError(main)));
    }

    // ---- files that are not pipelines

    @Test
    void passwordFileGivenAsPipelineShowsNothingOfIt() throws Exception {
        Path passwd = write("passwd", SECRET);
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseArgument("@" + passwd));
        assertEquals(passwd + ": error[P018]: " + passwd + " is not a pipeline file: it does not start with an include, "
                + "a pipeline definition or a step (its content is not shown)", e.getMessage());
    }

    @Test
    void includedTextFileShowsNothingOfIt() throws Exception {
        write("notes.txt", "These are my private notes.\n");
        Path main = write("main.pipeline", "include \"notes.txt\";\nmark;\n");
        PipelineException e = fileError(main);
        assertEquals(List.of(main + ":1:9: error[P018]: " + dir.resolve("notes.txt") + " is not a pipeline file: it does not "
                + "start with an include, a pipeline definition or a step (its content is not shown)"), headlines(e));
        assertFalse(e.getMessage().contains("private"), e.getMessage());
    }

    @Test
    void binaryAndNonUtf8FilesAreRefused() throws Exception {
        Path binary = Files.write(dir.resolve("model.bin"), new byte[] {'m', 'a', 'r', 'k', '\n', 0, 1, 2});
        assertEquals(List.of(binary + ": error[P018]: " + binary + " is not a pipeline file: it holds control character "
                + "U+0000 on line 2 (its content is not shown)"), headlines(fileError(binary)));
        Path latin1 = Files.write(dir.resolve("latin1.pipeline"), new byte[] {'m', 'a', 'r', 'k', (byte) 0xE9});
        assertEquals(List.of(latin1 + ": error[P018]: " + latin1 + " is not a pipeline file: it is not UTF-8 text "
                + "(its content is not shown)"), headlines(fileError(latin1)));
    }

    @Test
    void aPipelineWithATypoStillShowsItsLine() throws Exception {
        Path file = write("typo.pipeline", "mark{nbits: 4};\n");
        assertEquals(file + """
                :1:11: error[P001]: unexpected character ':'
                    mark{nbits: 4};
                              ^""", fileError(file).getMessage());
        assertEquals(true, PipelineFileText.startsLikePipeline("// comment\n\nfixpoint { mark }"));
        assertEquals(true, PipelineFileText.startsLikePipeline("pipeline A = mark;"));
        assertEquals(true, PipelineFileText.startsLikePipeline(""));
        assertEquals(false, PipelineFileText.startsLikePipeline("pipeline is a word"));
        assertEquals(false, PipelineFileText.startsLikePipeline("Hello world"));
    }

    // ---- sizes

    @Test
    void fileLargerThanTheLimit() throws Exception {
        Path big = write("big.pipeline", "mark,\n" + "// padding\n".repeat((int) (PipelineLimits.MAX_FILE_BYTES / 11)) + "mark;\n");
        assertEquals(List.of(big + ": error[P015]: cannot read pipeline file " + big + ": it is larger than the limit of 1 MiB "
                + "for pipeline files"), headlines(fileError(big)));
    }

    @Test
    void deviceAndDirectoryAreNotRead() throws Exception {
        assertEquals(List.of(dir + ": error[P015]: cannot read pipeline file " + dir + ": it is a directory"),
                headlines(assertThrows(PipelineException.class, () -> compiler.parseArgument("@" + dir))));
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertEquals(List.of("/dev/zero: error[P015]: cannot read pipeline file /dev/zero: it is not a regular file "
                + "(a device, FIFO or socket)"), headlines(assertThrows(PipelineException.class, () -> compiler.parseArgument("@/dev/zero"))));
    }

    // ---- nesting

    @Test
    void fiveThousandNestedFixpointsInAFile() throws Exception {
        Path deep = write("deep.pipeline", "fixpoint {\n".repeat(5000) + "mark" + "}".repeat(5000) + ";\n");
        assertEquals(deep + """
                :65:10: error[P019]: brackets nest deeper than the limit of 64
                    fixpoint {
                             ^""", fileError(deep).getMessage());
    }

    @Test
    void fiveThousandNestedFixpointsInline() {
        PipelineException e = assertThrows(PipelineException.class,
                () -> compiler.parseInline("fixpoint {".repeat(5000) + "mark" + "}".repeat(5000)));
        assertEquals(List.of("<pipeline>:1:650: error[P019]: brackets nest deeper than the limit of 64"), headlines(e));
    }

    @Test
    void sixtyFourNestedFixpointsAreFine() throws Exception {
        PipelineSpec spec = compiler.parseInline("fixpoint {".repeat(64) + "mark" + "}".repeat(64));
        assertEquals(1, spec.passSteps().size());
    }

    @Test
    void nestingAddsUpAcrossPipelineReferences() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 40; i++) text.append("pipeline P").append(i).append(" = fixpoint { fixpoint { P").append(i + 1).append(" } };\n");
        text.append("pipeline P40 = mark;\nP0;\n");
        Path file = write("refs.pipeline", text.toString());
        List<String> errors = headlines(fileError(file));
        assertEquals(file + ":8:26: error[P019]: 'fixpoint' blocks nest deeper than the limit of 64 (counting the pipelines it refers to)",
                errors.get(0));
    }

    @Test
    void longChainsOfReferencesAndIncludesStop() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5000; i++) text.append("pipeline P").append(i).append(" = P").append(i + 1).append(";\n");
        text.append("pipeline P5000 = mark;\nP0;\n");
        Path refs = write("chain.pipeline", text.toString());
        assertEquals(refs + ":64:16: error[P019]: pipelines refer to pipelines deeper than the limit of 64", headlines(fileError(refs)).get(0));

        for (int i = 0; i < 100; i++) write("inc/f" + i + ".pipeline", "include \"f" + (i + 1) + ".pipeline\";\n");
        write("inc/f100.pipeline", "pipeline LAST = mark;\n");
        Path first = write("inc/main.pipeline", "include \"f0.pipeline\";\nmark;\n");
        assertEquals(List.of(dir.resolve("inc/f62.pipeline") + ":1:9: error[P019]: includes nest deeper than the limit of 64 files"),
                headlines(fileError(first)));
    }
}
