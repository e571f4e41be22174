package dev.pare.ir.text;

import dev.pare.ir.IrPrinter;
import java.util.ArrayList;
import java.util.List;

/** Splits IR text into tokens; whitespace separates tokens and is otherwise ignored. */
final class IrLexer {

    enum Kind { WORD, STRING, PERCENT, AT, PUNCT, EOF }

    /** One token; for {@code PERCENT} and {@code AT} the text is the name after the sigil. */
    record Token(Kind kind, String text, int offset) {
        boolean is(String punct) { return kind == Kind.PUNCT && text.equals(punct); }

        boolean isWord(String w) { return kind == Kind.WORD && text.equals(w); }

        String describe() {
            return switch (kind) {
                case EOF -> "end of input";
                case STRING -> "string \"" + text + "\"";
                case PERCENT -> "%" + text;
                case AT -> "@" + text;
                default -> "'" + text + "'";
            };
        }
    }

    private static final String PUNCT = "(){}[]<>,=:*?";

    private final String text;
    private final String source;
    private int pos;

    IrLexer(String text, String source) {
        this.text = text;
        this.source = source;
    }

    List<Token> tokenize() {
        List<Token> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                out.add(new Token(Kind.EOF, "", pos));
                return out;
            }
            int start = pos;
            char c = text.charAt(pos);
            if (c == '"') {
                out.add(new Token(Kind.STRING, string(), start));
            } else if (c == '%' || c == '@') {
                pos++;
                String name = nameAfterSigil(c);
                out.add(new Token(c == '%' ? Kind.PERCENT : Kind.AT, name, start));
            } else if (PUNCT.indexOf(c) >= 0) {
                pos++;
                out.add(new Token(Kind.PUNCT, String.valueOf(c), start));
            } else if (IrPrinter.isPlainNameChar(c) && c != ':') {
                out.add(new Token(Kind.WORD, word(), start));
            } else {
                throw error(start, "unexpected character '" + c + "'");
            }
        }
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '/' && pos + 1 < text.length() && text.charAt(pos + 1) == '/') {
                // comments let golden files explain themselves; the printer never writes them
                while (pos < text.length() && text.charAt(pos) != '\n') pos++;
            } else {
                return;
            }
        }
    }

    private String nameAfterSigil(char sigil) {
        if (pos < text.length() && text.charAt(pos) == '"') return string();
        int start = pos;
        String w = pos < text.length() && IrPrinter.isPlainNameChar(text.charAt(pos)) && text.charAt(pos) != ':' ? word() : "";
        if (w.isEmpty()) throw error(start, "expected a name after '" + sigil + "'");
        return w;
    }

    /** Plain name characters; a ':' belongs to the word only when another name character follows. */
    private String word() {
        int start = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ':') {
                if (pos + 1 < text.length() && IrPrinter.isPlainNameChar(text.charAt(pos + 1))) {
                    pos++;
                    continue;
                }
                break;
            }
            if (!IrPrinter.isPlainNameChar(c)) break;
            pos++;
        }
        return text.substring(start, pos);
    }

    private String string() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) throw error(start, "unterminated string");
            char c = text.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) throw error(start, "unterminated string");
            char e = text.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw error(pos - 2, "bad \\u escape");
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error(pos - 2, "bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error(pos - 2, "unknown escape '\\" + e + "'");
            }
        }
    }

    IrSyntaxException error(int offset, String message) {
        return error(text, source, offset, message);
    }

    static IrSyntaxException error(String text, String source, int offset, String message) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new IrSyntaxException(source, line, col, message);
    }
}
