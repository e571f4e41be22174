package dev.pare.compiler.pipeline;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" candidates: a close spelling (edit distance with transpositions, at most 2) or a prefix. */
public final class Suggestions {

    private Suggestions() {}

    /** The closest candidate, ties broken alphabetically; empty when nothing is close. */
    public static Optional<String> closest(String input, Collection<String> candidates) {
        String in = input.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            String lc = c.toLowerCase(Locale.ROOT);
            // The distance is at least the length difference: skip the table (a 5 MB name would need gigabytes).
            if (Math.abs(lc.length() - in.length()) > 2) continue;
            int d = distance(in, lc);
            if (d > 2 || d >= Math.max(lc.length(), in.length())) continue;
            if (d < bestDistance || (d == bestDistance && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        if (best != null) return Optional.of(best);
        if (in.length() >= 3) {
            for (String c : candidates.stream().sorted().toList()) {
                if (c.toLowerCase(Locale.ROOT).startsWith(in)) return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** {@code "; did you mean 'x'?"} or {@code ""}. */
    public static String didYouMean(String input, Collection<String> candidates) {
        return closest(input, candidates).map(s -> "; did you mean '" + s + "'?").orElse("");
    }

    /** Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
