package dev.pare.compiler.inspect;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small JSON writer for reports. Values are {@link Map} (keys written in sorted order, so the
 * output is stable), {@link List}, {@link String}, integral {@link Number}s, {@link Double}s
 * (rounded to 6 decimals), {@link java.math.BigDecimal}s (written as they are, without exponent),
 * {@link Boolean} and
 * {@code null}. Output is indented by two spaces and ends with a newline.
 */
public final class Json {

    private Json() {}

    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(value, sb, "");
        return sb.append('\n').toString();
    }

    private static void write(Object v, StringBuilder sb, String indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(s, sb);
        } else if (v instanceof Boolean b) {
            sb.append(b);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            sb.append(((Number) v).longValue());
        } else if (v instanceof Double d) {
            // fractions (e.g. sparsity): at most 6 decimals, no exponent, so the text is stable
            if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON has no " + d);
            java.math.BigDecimal b = java.math.BigDecimal.valueOf(d).setScale(6, java.math.RoundingMode.HALF_EVEN).stripTrailingZeros();
            sb.append(b.signum() == 0 ? "0" : b.toPlainString());
        } else if (v instanceof java.math.BigDecimal b) {
            // measures whose scale varies (errors from 1e-9 to 1e3): the caller chooses the precision
            sb.append(b.signum() == 0 ? "0" : b.stripTrailingZeros().toPlainString());
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put((String) k, x));
            String in = indent + "  ";
            sb.append("{\n");
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (!first) sb.append(",\n");
                first = false;
                sb.append(in);
                quote(e.getKey(), sb);
                sb.append(": ");
                write(e.getValue(), sb, in);
            }
            sb.append('\n').append(indent).append('}');
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                sb.append("[]");
                return;
            }
            // Lists of plain values stay on one line (shapes, user lists); lists of objects are indented.
            boolean flat = list.stream().noneMatch(x -> x instanceof Map || x instanceof List);
            String in = indent + "  ";
            sb.append(flat ? "[" : "[\n");
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) sb.append(flat ? ", " : ",\n");
                if (!flat) sb.append(in);
                write(list.get(i), sb, in);
            }
            if (!flat) sb.append('\n').append(indent);
            sb.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
