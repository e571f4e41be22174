package dev.pare.compiler.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expands a sweep grid into pipelines. A grid is pipeline text in which option values may list
 * alternatives separated by {@code |}:
 *
 * <pre>
 * palettize{mode=kmeans|uniform, nbits=2|4|8}, CLEANUP
 * </pre>
 *
 * gives six pipelines, one per combination, the first axis varying slowest. A value is a number,
 * a name, a {@code "string"} or a list {@code [a, b]}; {@code |} is not part of the pipeline
 * language, so a grid without it is a single pipeline. Each combination is named by its choices,
 * {@code mode=kmeans nbits=2}, with the pass in front ({@code prune.mode=...}) when two axes share
 * an option name. The pipeline text itself is checked later, by the pipeline compiler.
 */
public final class GridExpansion {

    /** More combinations than this is almost certainly a typo, and would run for days. */
    public static final int MAX_POINTS = 1000;

    private GridExpansion() {}

    /** One varied option: where its value is in the text and the alternatives. */
    private record Axis(int start, int end, String pass, String key, List<String> values) {}

    /** The grid's combinations, as (name, pipeline text) in expansion order. */
    public static List<Map.Entry<String, String>> expand(String grid) throws SweepException {
        List<Axis> axes = axes(grid);
        long count = 1;
        for (Axis a : axes) {
            count *= a.values().size();
            if (count > MAX_POINTS) {
                throw new SweepException("--grid '" + grid + "': more than " + MAX_POINTS + " combinations; sweep fewer values");
            }
        }
        Map<String, Integer> keyUses = new LinkedHashMap<>();
        for (Axis a : axes) keyUses.merge(a.key(), 1, Integer::sum);
        List<Map.Entry<String, String>> out = new ArrayList<>();
        int[] choice = new int[axes.size()];
        for (long n = 0; n < count; n++) {
            StringBuilder text = new StringBuilder();
            StringBuilder name = new StringBuilder();
            int from = 0;
            for (int i = 0; i < axes.size(); i++) {
                Axis a = axes.get(i);
                String value = a.values().get(choice[i]);
                text.append(grid, from, a.start()).append(value);
                from = a.end();
                if (name.length() > 0) name.append(' ');
                if (keyUses.get(a.key()) > 1 && !a.pass().isEmpty()) name.append(a.pass()).append('.');
                name.append(a.key()).append('=').append(value);
            }
            text.append(grid.substring(from));
            out.add(Map.entry(axes.isEmpty() ? grid.strip() : name.toString(), text.toString()));
            for (int i = axes.size() - 1; i >= 0; i--) { // odometer: the last axis varies fastest
                if (++choice[i] < axes.get(i).values().size()) break;
                choice[i] = 0;
            }
        }
        return out;
    }

    /** Scans the text for {@code key=v1|v2|...} inside option blocks. */
    private static List<Axis> axes(String grid) throws SweepException {
        if (grid.isBlank()) throw new SweepException("--grid is empty; give pipeline text such as 'palettize{nbits=2|4|8}'");
        List<Axis> axes = new ArrayList<>();
        List<String> blockOwners = new ArrayList<>(); // the pass in front of each open '{'
        int i = 0;
        while (i < grid.length()) {
            char c = grid.charAt(i);
            if (c == '"') {
                i = skipString(grid, i);
            } else if (c == '{') {
                blockOwners.add(identifierBefore(grid, i));
                i++;
            } else if (c == '}') {
                if (!blockOwners.isEmpty()) blockOwners.remove(blockOwners.size() - 1);
                i++;
            } else if (c == '=' && !blockOwners.isEmpty()) {
                String key = identifierBefore(grid, i);
                int start = skipSpace(grid, i + 1);
                List<String> values = new ArrayList<>();
                int end = start;
                while (true) {
                    int valueEnd = valueEnd(grid, end);
                    String value = grid.substring(end, valueEnd).strip();
                    if (value.isEmpty()) {
                        throw new SweepException("--grid '" + grid + "': option '" + key + "' has an empty value at column " + (end + 1));
                    }
                    values.add(value);
                    int next = skipSpace(grid, valueEnd);
                    if (next < grid.length() && grid.charAt(next) == '|') {
                        end = skipSpace(grid, next + 1);
                    } else {
                        end = valueEnd;
                        break;
                    }
                }
                if (values.size() > 1) {
                    if (values.stream().distinct().count() < values.size()) {
                        throw new SweepException("--grid '" + grid + "': option '" + key + "' lists a value twice");
                    }
                    axes.add(new Axis(start, end, blockOwners.get(blockOwners.size() - 1), key, List.copyOf(values)));
                }
                i = end;
            } else if (c == '|') {
                throw new SweepException("--grid '" + grid + "': '|' at column " + (i + 1)
                        + " is not between option values (write key=a|b inside a pass's { })");
            } else {
                i++;
            }
        }
        return axes;
    }

    /** The end of one value starting at {@code from}: a string, a bracketed list or a bare word. */
    private static int valueEnd(String s, int from) throws SweepException {
        if (from < s.length() && s.charAt(from) == '"') return skipString(s, from);
        if (from < s.length() && s.charAt(from) == '[') {
            int depth = 0;
            for (int i = from; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"') {
                    i = skipString(s, i) - 1;
                } else if (c == '[') {
                    depth++;
                } else if (c == ']' && --depth == 0) {
                    return i + 1;
                }
            }
            throw new SweepException("--grid '" + s + "': '[' at column " + (from + 1) + " is not closed");
        }
        int i = from;
        while (i < s.length() && ",}|{[]\"".indexOf(s.charAt(i)) < 0 && !Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static int skipString(String s, int quote) throws SweepException {
        for (int i = quote + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') i++;
            else if (c == '"') return i + 1;
        }
        throw new SweepException("--grid '" + s + "': the string at column " + (quote + 1) + " is not closed");
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    /** The name just before position {@code at} (skipping spaces), or "" if there is none. */
    private static String identifierBefore(String s, int at) {
        int end = at;
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) end--;
        int start = end;
        while (start > 0 && (Character.isLetterOrDigit(s.charAt(start - 1)) || s.charAt(start - 1) == '_'
                || s.charAt(start - 1) == ':')) start--;
        return s.substring(start, end);
    }
}
