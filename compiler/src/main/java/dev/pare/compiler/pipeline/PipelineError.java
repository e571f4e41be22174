package dev.pare.compiler.pipeline;

/**
 * One problem in pipeline text.
 *
 * @param code       stable code, see {@link PipelineErrorCode}
 * @param span       where
 * @param message    one line, without location
 * @param sourceLine the text of the span's line (empty when unknown)
 */
public record PipelineError(PipelineErrorCode code, SourceSpan span, String message, String sourceLine) {

    /**
     * {@code file:line:col: error[P002]: message}, then the source line and a caret line under the
     * column (tildes continue under the rest of the marked text).
     */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(span).append(": error[").append(code.code()).append("]: ").append(message);
        if (span.hasPosition() && !sourceLine.isEmpty()) {
            sb.append('\n').append("    ").append(sourceLine).append('\n').append("    ");
            int col = Math.min(span.column(), sourceLine.length() + 1);
            for (int i = 0; i < col - 1; i++) sb.append(sourceLine.charAt(i) == '\t' ? '\t' : ' ');
            sb.append('^');
            int underline = Math.min(span.length(), sourceLine.length() - (col - 1));
            for (int i = 1; i < underline; i++) sb.append('~');
        }
        return sb.toString();
    }

    @Override public String toString() { return render(); }
}
