package dev.pare.compiler.coreml;

import java.util.ArrayList;
import java.util.List;

/**
 * The shapes a Core ML input accepts when it has enumerated shapes, as kept on the graph input's
 * metadata ({@link CoreMlKeys#ENUMERATED_SHAPES}): {@code 1,64|1,128}, the first being the
 * default. When several inputs have enumerated shapes, their k-th shapes go together (one
 * configuration), so every such input lists the same number of shapes.
 */
public final class EnumeratedShapes {

    /** Core ML Tools documents at most 128 enumerated shapes per input. */
    public static final int MAX_SHAPES = 128;

    private EnumeratedShapes() {}

    /** {@code 1,64|1,128}. */
    public static String format(List<long[]> shapes) {
        StringBuilder sb = new StringBuilder();
        for (long[] s : shapes) {
            if (sb.length() > 0) sb.append('|');
            sb.append(dims(s));
        }
        return sb.toString();
    }

    /** {@code 1,64}. */
    public static String dims(long[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ",").append(shape[i]);
        return sb.toString();
    }

    /**
     * Parses what {@link #format} wrote.
     *
     * @throws IllegalArgumentException if the text is not non-empty shapes of positive sizes and one rank
     */
    public static List<long[]> parse(String text) {
        List<long[]> out = new ArrayList<>();
        for (String alternative : text.split("\\|", -1)) {
            String[] parts = alternative.split(",", -1);
            long[] s = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    s[i] = Long.parseLong(parts[i].strip());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' is not shapes like 1,64|1,128");
                }
                if (s[i] < 1) throw new IllegalArgumentException("'" + text + "' has a size below 1");
            }
            if (!out.isEmpty() && out.get(0).length != s.length) {
                throw new IllegalArgumentException("'" + text + "' mixes ranks " + out.get(0).length + " and " + s.length);
            }
            out.add(s);
        }
        return out;
    }
}
