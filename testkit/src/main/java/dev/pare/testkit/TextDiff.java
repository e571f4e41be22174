package dev.pare.testkit;

import java.util.ArrayList;
import java.util.List;

/** A line diff for failure messages: {@code -} expected only, {@code +} actual only, two spaces both. */
public final class TextDiff {

    private TextDiff() {}

    /** Lines without trailing blanks, LF line ends, and no trailing empty lines. */
    public static String normalize(String text) {
        String[] lines = text.replace("\r\n", "\n").split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append(l.stripTrailing()).append('\n');
        String s = sb.toString();
        while (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        return s;
    }

    public static String diff(String expected, String actual) {
        String[] a = normalize(expected).split("\n", -1);
        String[] b = normalize(actual).split("\n", -1);
        int[][] lcs = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                lcs[i][j] = a[i].equals(b[j]) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> out = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                out.add("  " + a[i++]);
                j++;
            } else if (i < a.length && (j == b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
                out.add("- " + a[i++]);
            } else {
                out.add("+ " + b[j++]);
            }
        }
        return String.join("\n", out);
    }
}
