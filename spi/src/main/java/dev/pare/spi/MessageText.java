package dev.pare.spi;

/**
 * Makes text from models, pipeline files and plugins safe to print in a message: control
 * characters (C0, DEL, C1), bidirectional-text controls such as U+202E, line and paragraph
 * separators, the byte-order mark and lone surrogates are escaped ({@code \n}, {@code \t},
 * {@code \r}, otherwise {@code \}{@code u202e}), and long text is cut to {@link #MAX_LENGTH}
 * characters with {@code … (N more characters)}. Every renderer of errors, warnings and notes uses
 * this one class, so a name read from a hostile file can neither break a message into lines,
 * move the terminal's cursor, reorder what is shown, nor flood stderr.
 */
public final class MessageText {

    /** The longest message line printed; the rest is counted, not shown. */
    public static final int MAX_LENGTH = 2000;

    private MessageText() {}

    /** {@code text} with unsafe characters escaped, on one line, of any length. */
    public static String oneLine(String text) {
        return escape(text, Integer.MAX_VALUE, false);
    }

    /** As {@link #oneLine}, but tabs stay (a source line shown above a caret line keeps its alignment). */
    public static String oneLineKeepingTabs(String text) {
        return escape(text, Integer.MAX_VALUE, true);
    }

    /** {@code text} escaped onto one line and cut to {@link #MAX_LENGTH} characters. */
    public static String forDisplay(String text) {
        return escape(text, MAX_LENGTH, false);
    }

    /**
     * Several lines (a rendered pipeline error: message, source line, caret): each line is escaped
     * and cut as {@link #forDisplay}; the line breaks between them stay, and tabs are kept so a
     * caret line still lines up under its source line.
     */
    public static String lines(String text) {
        if (text.indexOf('\n') < 0) return escape(text, MAX_LENGTH, true);
        StringBuilder sb = new StringBuilder(Math.min(text.length(), 4 * MAX_LENGTH) + 16);
        int start = 0;
        while (true) {
            int nl = text.indexOf('\n', start);
            String line = text.substring(start, nl < 0 ? text.length() : nl);
            sb.append(escape(line, MAX_LENGTH, true));
            if (nl < 0) return sb.toString();
            sb.append('\n');
            start = nl + 1;
        }
    }

    /** How many characters {@code c} (at {@code i} in {@code s}) takes once escaped. */
    public static int escapedWidth(String s, int i, boolean keepTabs) {
        char c = s.charAt(i);
        if (!unsafe(s, i) || (keepTabs && c == '\t')) return 1;
        return c == '\n' || c == '\t' || c == '\r' ? 2 : 6;
    }

    /**
     * Escapes {@code text}; stops once {@code max} characters are written and appends how many
     * input characters were left out. Returns {@code text} itself when nothing changes.
     */
    static String escape(String text, int max, boolean keepTabs) {
        if (text == null) return "null";
        StringBuilder sb = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            boolean plain = !unsafe(text, i) || (keepTabs && c == '\t');
            int written = sb == null ? i : sb.length();
            if (written >= max) {
                if (sb == null) sb = new StringBuilder(max + 32).append(text, 0, i);
                appendCut(sb, n - i);
                return sb.toString();
            }
            if (plain) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(Math.min(n, max) + 32).append(text, 0, i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> appendUnicodeEscape(sb, c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    private static void appendCut(StringBuilder sb, int remaining) {
        // Never end on half of a surrogate pair.
        int last = sb.length() - 1;
        if (last >= 0 && Character.isHighSurrogate(sb.charAt(last))) {
            sb.setLength(last);
            remaining++;
        }
        sb.append("\u2026 (").append(remaining).append(remaining == 1 ? " more character)" : " more characters)");
    }

    private static void appendUnicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u");
        String hex = Integer.toHexString(c);
        for (int k = hex.length(); k < 4; k++) sb.append('0');
        sb.append(hex);
    }

    /** Whether the char at {@code i} must not reach a terminal as it is. */
    private static boolean unsafe(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
        if (c < 0x061c) return false;
        if (c == 0x061c || c == 0x200e || c == 0x200f) return true;           // ALM, LRM, RLM
        if (c >= 0x202a && c <= 0x202e) return true;                          // LRE, RLE, PDF, LRO, RLO
        if (c >= 0x2066 && c <= 0x2069) return true;                          // LRI, RLI, FSI, PDI
        if (c == 0x2028 || c == 0x2029 || c == 0xfeff) return true;           // line/paragraph separator, BOM
        if (Character.isHighSurrogate(c)) return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (Character.isLowSurrogate(c)) return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        return false;
    }
}
