package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.testpasses.TestRegistries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every pipeline error class: exact code, location, message, and the caret excerpt. */
class PipelineErrorsTest {

    private final PipelineCompiler compiler = new PipelineCompiler(TestRegistries.standard());

    private String inlineError(String text) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(text)).getMessage();
    }

    private List<String> headlines(PipelineException e) {
        return e.errors().stream().map(x -> x.span() + ": error[" + x.code().code() + "]: " + x.message()).toList();
    }

    @Test
    void unknownPassWithDidYouMean() {
        assertEquals("""
                <pipeline>:1:7: error[P002]: unknown pass 'mrak'; did you mean 'mark'?
                    mark, mrak{nbits=4}
                          ^~~~""", inlineError("mark, mrak{nbits=4}"));
    }

    @Test
    void unknownPassWithoutSuggestion() {
        assertEquals("<pipeline>:1:1: error[P002]: unknown pass 'zzzzzz'", inlineError("zzzzzz").lines().findFirst().orElseThrow());
    }

    @Test
    void unknownPipelineWithDidYouMean() {
        assertEquals("""
                <pipeline>:1:1: error[P003]: unknown pipeline 'TIDDY'; did you mean 'TIDY'?
                    TIDDY
                    ^~~~~""", inlineError("TIDDY"));
    }

    @Test
    void unknownOptionWithDidYouMeanOrTheValidKeys() {
        assertEquals("""
                <pipeline>:1:6: error[P004]: unknown option 'nbit' for pass 'mark'; did you mean 'nbits'?
                    mark{nbit=4}
                         ^~~~""", inlineError("mark{nbit=4}"));
        assertEquals("<pipeline>:1:6: error[P004]: unknown option 'colour' for pass 'mark'; valid options: bits, budget, "
                + "group_size, label, mode, nbits, scale, threshold, verbose", inlineError("mark{colour=1}").lines().findFirst().orElseThrow());
        assertEquals("<pipeline>:1:16: error[P004]: unknown option 'nbits' for pass 'erase_one_dead'; pass 'erase_one_dead' takes no options",
                inlineError("erase_one_dead{nbits=1}").lines().findFirst().orElseThrow());
    }

    @Test
    void wrongTypeNamesTheExpectedTypeAndRange() {
        assertEquals("""
                <pipeline>:1:12: error[P005]: option 'nbits' of pass 'mark' expects an int in [1, 8], got "four"
                    mark{nbits="four"}
                               ^~~~~~""", inlineError("mark{nbits=\"four\"}"));
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseInline(
                "mark{threshold=abc, verbose=1, label=x, scale=[1], nbits=2.5}"));
        assertEquals(List.of(
                "<pipeline>:1:16: error[P005]: option 'threshold' of pass 'mark' expects a double in [0.0, 1.0], got abc",
                "<pipeline>:1:29: error[P005]: option 'verbose' of pass 'mark' expects a boolean (true or false), got 1",
                "<pipeline>:1:38: error[P005]: option 'label' of pass 'mark' expects a string in double quotes, got x",
                "<pipeline>:1:47: error[P005]: option 'scale' of pass 'mark' expects a float, got a list [1]",
                "<pipeline>:1:58: error[P005]: option 'nbits' of pass 'mark' expects an int in [1, 8], got 2.5"), headlines(e));
    }

    @Test
    void outOfRangeNamesTheRangeOrTheValues() {
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseInline(
                "mark{nbits=12, mode=kmean, budget=-1, bits=[2, 9], scale=1e40, group_size=99999999999}"));
        assertEquals(List.of(
                "<pipeline>:1:12: error[P006]: option 'nbits' of pass 'mark' must be in [1, 8], got 12",
                "<pipeline>:1:21: error[P006]: option 'mode' of pass 'mark' must be one of kmeans, uniform, unique, got kmean; did you mean 'kmeans'?",
                "<pipeline>:1:35: error[P006]: option 'budget' of pass 'mark' must be >= 0, got -1",
                "<pipeline>:1:48: error[P006]: option 'bits' of pass 'mark' must be in [1, 8], got 9",
                "<pipeline>:1:58: error[P006]: option 'scale' of pass 'mark' must fit in a float, got 1e40",
                "<pipeline>:1:75: error[P006]: option 'group_size' of pass 'mark' must fit in an int, got 99999999999"), headlines(e));
    }

    @Test
    void recordValidationIsReportedAtTheOptionBlock() {
        assertEquals("""
                <pipeline>:1:5: error[P007]: invalid options for pass 'mark': group_size must be even, got 3
                    mark{nbits=2, group_size=3}
                        ^~~~~~~~~~~~~~~~~~~~~~~""", inlineError("mark{nbits=2, group_size=3}"));
        // an override is merged over the step's options, then validated
        assertEquals("<pipeline>:1:67: error[P007]: invalid options for pass 'mark': group_size must be even, got 5",
                inlineError("mark{group_size=4} where { op_type(conv) -> skip; op_name(\"a\") -> {group_size=5} }")
                        .lines().findFirst().orElseThrow());
    }

    @Test
    void duplicateOption() {
        assertEquals("<pipeline>:1:15: error[P008]: option 'nbits' is given twice for pass 'mark'",
                inlineError("mark{nbits=4, nbits=5}").lines().findFirst().orElseThrow());
    }

    @Test
    void syntaxErrorSaysWhatWasExpectedWithAHint() {
        assertEquals("""
                <pipeline>:1:14: error[P001]: expected ',' or '}', found 'mode' (options are separated by commas)
                    mark{nbits=4 mode=uniform}
                                 ^~~~""", inlineError("mark{nbits=4 mode=uniform}"));
        assertEquals("<pipeline>:1:6: error[P001]: unexpected character '@'", inlineError("mark @").lines().findFirst().orElseThrow());
        assertEquals("<pipeline>:1:12: error[P001]: expected '[', '-', a name, a number, an integer or a string, found a string without its closing quote",
                inlineError("mark{label=\"abc}").lines().findFirst().orElseThrow());
    }

    @Test
    void badNameAndReferenceWithOptions() {
        assertEquals("<pipeline>:1:1: error[P013]: 'Mark' is neither a pass name (lower_snake) nor a pipeline name (UPPER_SNAKE); did you mean 'mark'?",
                inlineError("Mark").lines().findFirst().orElseThrow());
        assertEquals("<pipeline>:1:1: error[P014]: pipeline 'TIDY' is a reference and takes no options, selectors or overrides",
                inlineError("TIDY on op_type(conv)").lines().findFirst().orElseThrow());
    }

    @Test
    void severalErrorsAreReportedTogetherInSourceOrder() {
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseInline(
                "mrak,\n  mark{nbits=0, colour=2},\n  TIDDY,\n  fixpoint{max_iterations=0} { erase_one_dead{x=1} }"));
        assertEquals(List.of(
                "<pipeline>:1:1: error[P002]: unknown pass 'mrak'; did you mean 'mark'?",
                "<pipeline>:2:14: error[P006]: option 'nbits' of pass 'mark' must be in [1, 8], got 0",
                "<pipeline>:2:17: error[P004]: unknown option 'colour' for pass 'mark'; valid options: bits, budget, group_size, label, mode, nbits, scale, threshold, verbose",
                "<pipeline>:3:3: error[P003]: unknown pipeline 'TIDDY'; did you mean 'TIDY'?",
                "<pipeline>:4:27: error[P006]: option 'max_iterations' of 'fixpoint' must be in [1, 1000], got 0",
                "<pipeline>:4:47: error[P004]: unknown option 'x' for pass 'erase_one_dead'; pass 'erase_one_dead' takes no options"),
                headlines(e));
    }

    @Test
    void syntaxAndSemanticErrorsOfOneFileTogether(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.pipeline");
        Files.writeString(file, "pipeline A = mark{nbits=9};\npipeline B = mark{nbits=1 mode=unique};\nA, B, frob;\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseFile(file));
        assertEquals(List.of(
                file + ":1:25: error[P006]: option 'nbits' of pass 'mark' must be in [1, 8], got 9",
                file + ":2:27: error[P001]: expected ',' or '}', found 'mode' (options are separated by commas)",
                file + ":3:7: error[P002]: unknown pass 'frob'"), headlines(e));
    }

    @Test
    void includeNotFound(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("main.pipeline");
        Files.writeString(file, "include \"missing.pipeline\";\nmark;\n");
        assertEquals(file + """
                :1:9: error[P009]: cannot find include "missing.pipeline" next to the including file, on the pipeline path, or among the built-in pipelines
                    include "missing.pipeline";
                            ^~~~~~~~~~~~~~~~~~""", assertThrows(PipelineException.class, () -> compiler.parseFile(file)).getMessage());
    }

    @Test
    void includeCycleShowsTheChain(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.pipeline"), "include \"b.pipeline\";\npipeline A = mark;\n");
        Files.writeString(dir.resolve("b.pipeline"), "include \"c.pipeline\";\n");
        Files.writeString(dir.resolve("c.pipeline"), "include \"a.pipeline\";\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseFile(dir.resolve("a.pipeline")));
        assertEquals(List.of(dir.resolve("c.pipeline") + ":1:9: error[P010]: include cycle: a.pipeline -> b.pipeline -> c.pipeline -> a.pipeline"),
                headlines(e));
    }

    @Test
    void duplicatePipelineNameNamesTheFirstDefinition(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("lib.pipeline"), "pipeline SHARED = mark;\n");
        Path main = dir.resolve("main.pipeline");
        Files.writeString(main, "include \"lib.pipeline\";\npipeline SHARED = erase_one_dead;\nSHARED;\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseFile(main));
        assertEquals(List.of(main + ":2:10: error[P011]: pipeline 'SHARED' is already defined at " + dir.resolve("lib.pipeline") + ":1:10"),
                headlines(e));
    }

    @Test
    void recursivePipeline(@TempDir Path dir) throws Exception {
        Path main = dir.resolve("main.pipeline");
        Files.writeString(main, "pipeline A = mark, B;\npipeline B = A;\nA;\n");
        PipelineException e = assertThrows(PipelineException.class, () -> compiler.parseFile(main));
        assertEquals(List.of(main + ":2:14: error[P012]: pipeline 'A' refers to itself: A -> B -> A"), headlines(e));
    }

    @Test
    void unreadableAndAmbiguousFiles(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.pipeline");
        assertEquals(List.of(missing + ": error[P015]: cannot read pipeline file " + missing + ": no such file"),
                headlines(assertThrows(PipelineException.class, () -> compiler.parseArgument("@" + missing))));
        Path two = dir.resolve("two.pipeline");
        Files.writeString(two, "pipeline A = mark;\npipeline B = mark;\n");
        assertEquals(List.of(two + ": error[P016]: no top-level steps to run; the file defines pipelines A, B "
                        + "(run one by name with --pipeline NAME --pipeline-path DIR)"),
                headlines(assertThrows(PipelineException.class, () -> compiler.parseFile(two))));
    }
}
