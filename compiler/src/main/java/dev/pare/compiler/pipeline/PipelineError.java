package dev.pare.compiler.pipeline;

import dev.pare.spi.MessageText;

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
     * column (tildes continue under the rest of the marked text). Text from the pipeline is escaped
     * ({@link MessageText}; the printer cuts long lines); the caret counts the escaped width of what
     * precedes it.
     */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(MessageText.oneLine(span.toString())).append(": error[").append(code.code()).append("]: ")
          .append(MessageText.oneLine(message));
        if (span.hasPosition() && !sourceLine.isEmpty()) {
            String shown = MessageText.oneLineKeepingTabs(sourceLine);
            sb.append('\n').append("    ").append(shown).append('\n').append("    ");
            int col = Math.min(span.column(), sourceLine.length() + 1);
            int width = 0;
            for (int i = 0; i < col - 1 && width < shown.length(); i++) {
                int w = MessageText.escapedWidth(sourceLine, i, true);
                if (sourceLine.charAt(i) == '\t') sb.append('\t');
                else sb.append(" ".repeat(w));
                width += w;
            }
            sb.append('^');
            int underline = Math.min(span.length(), sourceLine.length() - (col - 1));
            int marked = 0;
            for (int i = col; i < col - 1 + underline; i++) marked += MessageText.escapedWidth(sourceLine, i, true);
            sb.append("~".repeat(Math.max(0, Math.min(marked, shown.length() - width - 1))));
        }
        return sb.toString();
    }

    @Override public String toString() { return render(); }
}
