package dev.pare.compiler.pipeline;

/**
 * Where something is in pipeline text: file display name, 1-based line and column, and the
 * length of the marked text. A span with line 0 names only the file.
 */
public record SourceSpan(String file, int line, int column, int length) {

    public static SourceSpan ofFile(String file) { return new SourceSpan(file, 0, 0, 0); }

    public boolean hasPosition() { return line > 0; }

    /** {@code file:line:col}, or just the file. */
    @Override public String toString() { return hasPosition() ? file + ":" + line + ":" + column : file; }
}
