package dev.pare.compiler.pipeline;

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
 *   <tr><td>P006</td><td>option value out of range or not one of the enum values</td></tr>
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
 */
public enum PipelineErrorCode {
    SYNTAX("P001"),
    UNKNOWN_PASS("P002"),
    UNKNOWN_PIPELINE("P003"),
    UNKNOWN_OPTION("P004"),
    WRONG_TYPE("P005"),
    OUT_OF_RANGE("P006"),
    INVALID_OPTIONS("P007"),
    DUPLICATE_OPTION("P008"),
    INCLUDE_NOT_FOUND("P009"),
    INCLUDE_CYCLE("P010"),
    DUPLICATE_PIPELINE("P011"),
    RECURSIVE_PIPELINE("P012"),
    BAD_NAME("P013"),
    REFERENCE_WITH_OPTIONS("P014"),
    UNREADABLE_FILE("P015"),
    AMBIGUOUS_FILE("P016"),
    INCLUDE_OUTSIDE("P017"),
    NOT_A_PIPELINE("P018"),
    TOO_DEEP("P019");

    private final String code;

    PipelineErrorCode(String code) { this.code = code; }

    public String code() { return code; }
}
