package dev.pare.compiler.pipeline;

import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.DiagnosticInfo;
import dev.pare.spi.Severity;

/**
 * Stable codes of pipeline errors. Each error is rendered as
 * {@code file:line:col: error[Pnnn]: message} followed by the source line and a caret.
 *
 * <table>
 *   <tr><th>code</th><th>meaning</th></tr>
 *   <tr><td>P001</td><td>syntax error (unexpected or missing token, bad character, unterminated string)</td></tr>
 *   <tr><td>P002</td><td>unknown pass (with "did you mean")</td></tr>
 *   <tr><td>P003</td><td>unknown pipeline (with "did you mean")</td></tr>
 *   <tr><td>P004</td><td>unknown option of a pass or of {@code fixpoint} (with "did you mean" or the valid keys)</td></tr>
 *   <tr><td>P005</td><td>option value has the wrong type (names the expected type and range)</td></tr>
 *   <tr><td>P006</td><td>option value out of range, not one of the enum values, or not a value the pass allows
 *       (the record's {@code OptionValueException}, e.g. {@code nbits=5}); points at the value</td></tr>
 *   <tr><td>P007</td><td>the options record rejected the combination (its constructor's message)</td></tr>
 *   <tr><td>P008</td><td>the same option is given twice in one block</td></tr>
 *   <tr><td>P009</td><td>an included file cannot be found</td></tr>
 *   <tr><td>P010</td><td>include cycle (shows the chain)</td></tr>
 *   <tr><td>P011</td><td>a pipeline name is defined twice (names the first definition)</td></tr>
 *   <tr><td>P012</td><td>a pipeline refers to itself (shows the chain)</td></tr>
 *   <tr><td>P013</td><td>a name is neither lower_snake (pass) nor UPPER_SNAKE (pipeline)</td></tr>
 *   <tr><td>P014</td><td>a pipeline reference has options, selectors or overrides</td></tr>
 *   <tr><td>P015</td><td>a pipeline file cannot be read</td></tr>
 *   <tr><td>P016</td><td>a file used as a pipeline has no top-level steps and defines several pipelines</td></tr>
 *   <tr><td>P017</td><td>an include leads outside the including file's folder and the pipeline path</td></tr>
 *   <tr><td>P018</td><td>a file is not a pipeline (not UTF-8 text, control characters, or it does not start
 *       like one); nothing of its content is shown</td></tr>
 *   <tr><td>P019</td><td>brackets, includes or pipeline references nest deeper than {@link PipelineLimits}</td></tr>
 * </table>
 *
 * <p>Every code is an error; the explanations are what {@code pare explain Pnnn} prints.
 */
public enum PipelineErrorCode implements DiagnosticCode.Described {
    SYNTAX("P001", "syntax error in pipeline text", """
            An unexpected or missing token, a bad character or an unterminated string. The caret
            points at the spot. Steps are separated by commas, options go in braces:
              const_folding{max_elements=1024}, palettize{nbits=4} on op_type(conv)"""),
    UNKNOWN_PASS("P002", "unknown pass", """
            No registered pass has this name. The message suggests the nearest one; pare passes lists
            all passes, including those of --plugin-path jars."""),
    UNKNOWN_PIPELINE("P003", "unknown pipeline", """
            UPPER_SNAKE names refer to pipelines: built-in ones (pare pipelines lists them) or ones
            defined in an included file. Check the spelling or add the include."""),
    UNKNOWN_OPTION("P004", "unknown option of a pass or of fixpoint", """
            The pass has no option of this name; the message suggests the nearest one or lists the
            valid keys. pare passes NAME shows a pass's options with types and defaults."""),
    WRONG_TYPE("P005", "an option value has the wrong type", """
            The value does not parse as the option's type (boolean, integer, number, string, enum or
            list); the message names the expected type and range, e.g. float_arithmetic=true."""),
    OUT_OF_RANGE("P006", "an option value is out of range or not one of the allowed values", """
            The value has the right type but is outside the option's range (e.g. max_elements=-1
            where it must be >= 0), is not one of an enum's values, or is not a value the pass allows
            whatever the other options are (e.g. palettize nbits=5); the message gives the limits
            or the valid values."""),
    INVALID_OPTIONS("P007", "the pass rejected this combination of options", """
            Each option is valid alone, but the pass's options record refused them together (its
            message says why and the error points at the option block)."""),
    DUPLICATE_OPTION("P008", "an option is given twice in one block", """
            Write each option once per {...} block; to give different values to different nodes, use
            selectors: palettize{nbits=4}, palettize{nbits=8} on op_name("head*")."""),
    INCLUDE_NOT_FOUND("P009", "an included file cannot be found", """
            include "FILE" is resolved against the including file's folder and then the pipeline
            path; neither has the file."""),
    INCLUDE_CYCLE("P010", "include cycle", """
            Files include each other in a loop; the message shows the chain. Remove one include."""),
    DUPLICATE_PIPELINE("P011", "a pipeline name is defined twice", """
            Two definitions (in one file or across includes) use one name; the message names the
            first definition. Rename one of them."""),
    RECURSIVE_PIPELINE("P012", "a pipeline refers to itself", """
            A pipeline expands, directly or through others, into itself; the message shows the chain.
            Use fixpoint { ... } to repeat steps."""),
    BAD_NAME("P013", "a name is neither lower_snake (a pass) nor UPPER_SNAKE (a pipeline)", """
            The case of a name says what it is: passes are lower_snake (optionally ns::name),
            pipelines UPPER_SNAKE. Mixed case such as ConstFolding is neither."""),
    REFERENCE_WITH_OPTIONS("P014", "a pipeline reference has options, selectors or overrides", """
            A pipeline name stands for its steps and takes no options or selectors; put them on the
            steps inside the pipeline's definition, or define a new pipeline."""),
    UNREADABLE_FILE("P015", "a pipeline file cannot be read", """
            The file is missing, unreadable, larger than 1 MiB or not a regular file (a FIFO, a
            device, a directory)."""),
    AMBIGUOUS_FILE("P016", "a file used as a pipeline has no top-level steps and defines several pipelines", """
            @FILE runs the file's top-level steps, or its only pipeline. With several definitions and
            no steps it is unclear which to run: add a top-level step naming the pipeline you want,
            e.g. MOBILE, after the definitions."""),
    INCLUDE_OUTSIDE("P017", "an include leads outside the including file's folder and the pipeline path", """
            Includes are confined to the including file's folder and the pipeline path, so a pipeline
            file cannot make pare read arbitrary files. The include is refused before it is read."""),
    NOT_A_PIPELINE("P018", "the file is not a pipeline file", """
            It is not UTF-8 text, holds control characters, or does not start with an include, a
            pipeline definition or a step. None of its content is shown, in case it is a secret."""),
    TOO_DEEP("P019", "brackets, includes or pipeline references nest too deeply", """
            Nesting (fixpoint and option brackets, include chains, pipelines referring to pipelines) is
            limited to 64 levels, so a hostile file cannot exhaust the stack."""),
    NO_DEFINITIONS("P020", "a file of sweep points defines no pipelines", """
            pare sweep --pipelines FILE runs each pipeline the file defines (pipeline NAME = steps;) as
            one point; a file with only top-level steps or nothing in it gives no points.""");

    private final String code;
    private final DiagnosticInfo info;

    PipelineErrorCode(String code, String summary, String explanation) {
        this.code = code;
        this.info = new DiagnosticInfo(Severity.ERROR, summary, explanation);
    }

    /** Not the constant's name: the constants are named by what went wrong. */
    @Override public String code() { return code; }

    @Override public DiagnosticInfo info() { return info; }
}
