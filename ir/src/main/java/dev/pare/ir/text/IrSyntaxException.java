package dev.pare.ir.text;

/** IR text that does not parse; the message is one line: {@code source:line:col: what is wrong}. */
public final class IrSyntaxException extends IllegalArgumentException {

    private final String source;
    private final int line;
    private final int column;

    public IrSyntaxException(String source, int line, int column, String message) {
        super(source + ":" + line + ":" + column + ": " + message);
        this.source = source;
        this.line = line;
        this.column = column;
    }

    public String source() { return source; }

    public int line() { return line; }

    public int column() { return column; }
}
