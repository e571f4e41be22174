package dev.pare.compiler.pipeline;

import dev.pare.compiler.registry.Numbers;
import dev.pare.compiler.registry.OptionSpec;
import dev.pare.compiler.registry.OptionType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads typed option values from pipeline literals and writes them back in canonical form:
 * booleans {@code true}/{@code false}, integers in decimal, floats in the shortest text that
 * reads back to the same value ({@code inf}, {@code -inf}, {@code nan} for the special values),
 * strings in double quotes, enums in lower case, lists in brackets.
 */
public final class OptionsCodec {

    private OptionsCodec() {}

    /** A literal as written: a number, a bare word, a quoted string, or a list of those. */
    public sealed interface Literal permits Scalar, ListLiteral {
        SourceSpan span();

        /** The source text, for messages. */
        String text();
    }

    /** A scalar literal. {@code value} is the text with a string's quotes and escapes resolved. */
    public record Scalar(ScalarKind kind, String text, String value, SourceSpan span) implements Literal {}

    public enum ScalarKind { INTEGER, DECIMAL, WORD, STRING }

    public record ListLiteral(List<Scalar> items, String text, SourceSpan span) implements Literal {}

    /** A value that does not fit its option. */
    public static final class ValueException extends Exception {
        private final PipelineErrorCode code;
        private final SourceSpan span;

        ValueException(PipelineErrorCode code, String message, SourceSpan span) {
            super(message);
            this.code = code;
            this.span = span;
        }

        public PipelineErrorCode code() { return code; }

        public SourceSpan span() { return span; }
    }

    /**
     * The typed value of {@code literal} for {@code option}.
     *
     * @param owner how messages name the option's owner, e.g. {@code pass 'palettize'}
     */
    public static Object decode(OptionSpec option, String owner, Literal literal) throws ValueException {
        OptionType type = option.type();
        if (type.kind() == OptionType.Kind.LIST) {
            List<Scalar> items = literal instanceof ListLiteral l ? l.items() : List.of((Scalar) literal);
            List<Object> values = new ArrayList<>();
            for (Scalar item : items) values.add(decodeScalar(option, type.elementType(), owner, item));
            return List.copyOf(values);
        }
        if (literal instanceof ListLiteral l) {
            throw new ValueException(PipelineErrorCode.WRONG_TYPE, prefix(option, owner) + " expects " + expected(option, type)
                    + ", got a list " + l.text(), l.span());
        }
        return decodeScalar(option, type, owner, (Scalar) literal);
    }

    private static Object decodeScalar(OptionSpec option, OptionType type, String owner, Scalar s) throws ValueException {
        switch (type.kind()) {
            case BOOLEAN -> {
                if (s.kind() == ScalarKind.WORD && (s.text().equals("true") || s.text().equals("false"))) {
                    return Boolean.parseBoolean(s.text());
                }
                throw wrongType(option, type, owner, s);
            }
            case STRING -> {
                if (s.kind() == ScalarKind.STRING) return s.value();
                throw wrongType(option, type, owner, s);
            }
            case ENUM -> {
                if (s.kind() != ScalarKind.WORD && s.kind() != ScalarKind.STRING) throw wrongType(option, type, owner, s);
                for (Enum<?> e : type.enumType().getEnumConstants()) {
                    if (e.name().equalsIgnoreCase(s.value())) return e;
                }
                throw new ValueException(PipelineErrorCode.OUT_OF_RANGE, prefix(option, owner) + " must be one of "
                        + String.join(", ", type.enumValues()) + ", got " + s.text()
                        + Suggestions.didYouMean(s.value(), type.enumValues()), s.span());
            }
            case INT, LONG -> {
                if (s.kind() != ScalarKind.INTEGER) throw wrongType(option, type, owner, s);
                BigInteger v = new BigInteger(s.text());
                BigInteger lo = BigInteger.valueOf(type.kind() == OptionType.Kind.INT ? Integer.MIN_VALUE : Long.MIN_VALUE);
                BigInteger hi = BigInteger.valueOf(type.kind() == OptionType.Kind.INT ? Integer.MAX_VALUE : Long.MAX_VALUE);
                if (v.compareTo(lo) < 0 || v.compareTo(hi) > 0) {
                    throw new ValueException(PipelineErrorCode.OUT_OF_RANGE, prefix(option, owner) + " must fit in "
                            + article(type) + ", got " + s.text(), s.span());
                }
                long l = v.longValue();
                checkRange(option, owner, s, l < option.min() || l > option.max());
                return type.kind() == OptionType.Kind.INT ? (Object) (int) l : (Object) l;
            }
            case FLOAT, DOUBLE -> {
                double d;
                if (s.kind() == ScalarKind.INTEGER || s.kind() == ScalarKind.DECIMAL) {
                    d = Double.parseDouble(s.text());
                } else if (s.kind() == ScalarKind.WORD && (s.text().equals("inf") || s.text().equals("-inf") || s.text().equals("nan"))) {
                    d = s.text().equals("nan") ? Double.NaN : s.text().startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                } else {
                    throw wrongType(option, type, owner, s);
                }
                if (type.kind() == OptionType.Kind.FLOAT) {
                    float f = Float.parseFloat(s.kind() == ScalarKind.WORD ? Double.toString(d) : s.text());
                    if (Float.isInfinite(f) && !Double.isInfinite(d)) {
                        throw new ValueException(PipelineErrorCode.OUT_OF_RANGE, prefix(option, owner) + " must fit in a float, got " + s.text(), s.span());
                    }
                    checkRange(option, owner, s, outside(f, option));
                    return f;
                }
                if (Double.isInfinite(d) && s.kind() != ScalarKind.WORD) {
                    throw new ValueException(PipelineErrorCode.OUT_OF_RANGE, prefix(option, owner) + " must fit in a double, got " + s.text(), s.span());
                }
                checkRange(option, owner, s, outside(d, option));
                return d;
            }
            default -> throw new IllegalStateException("list inside list");
        }
    }

    private static boolean outside(double v, OptionSpec option) {
        if (Double.isNaN(v)) return option.bounded();
        return v < option.min() || v > option.max();
    }

    private static void checkRange(OptionSpec option, String owner, Scalar s, boolean outside) throws ValueException {
        if (outside) {
            throw new ValueException(PipelineErrorCode.OUT_OF_RANGE, prefix(option, owner) + " must be "
                    + (option.min() != Double.NEGATIVE_INFINITY && option.max() != Double.POSITIVE_INFINITY ? "in " : "")
                    + option.describeRange() + ", got " + s.text(), s.span());
        }
    }

    private static ValueException wrongType(OptionSpec option, OptionType type, String owner, Scalar s) {
        return new ValueException(PipelineErrorCode.WRONG_TYPE, prefix(option, owner) + " expects "
                + expected(option, option.type()) + ", got " + s.text(), s.span());
    }

    private static String prefix(OptionSpec option, String owner) { return "option '" + option.key() + "' of " + owner; }

    private static String expected(OptionSpec option, OptionType type) {
        String range = option.describeRange();
        if (type.kind() == OptionType.Kind.LIST) {
            return "a list of " + type.elementType().describe() + (range.isEmpty() || !type.elementType().isNumeric() ? "" : " " + inRange(option));
        }
        String base = article(type);
        return type.isNumeric() && !range.isEmpty() ? base + " " + inRange(option) : base;
    }

    private static String inRange(OptionSpec option) {
        String r = option.describeRange();
        return r.startsWith("[") ? "in " + r : r;
    }

    private static String article(OptionType type) {
        return switch (type.kind()) {
            case BOOLEAN -> "a boolean (true or false)";
            case INT -> "an int";
            case LONG -> "a long";
            case FLOAT -> "a float";
            case DOUBLE -> "a double";
            case STRING -> "a string in double quotes";
            case ENUM -> "one of " + String.join(", ", type.enumValues());
            case LIST -> "a list of " + type.elementType().describe();
        };
    }

    /** The canonical text of a value of {@code type}. */
    public static String encode(OptionType type, Object value) {
        return switch (type.kind()) {
            case BOOLEAN, INT, LONG -> value.toString();
            case FLOAT -> Numbers.shortestFloat((Float) value);
            case DOUBLE -> Numbers.shortestDouble((Double) value);
            case STRING -> quote((String) value);
            case ENUM -> ((Enum<?>) value).name().toLowerCase(Locale.ROOT);
            case LIST -> {
                StringBuilder sb = new StringBuilder("[");
                List<?> list = (List<?>) value;
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) sb.append(", ");
                    sb.append(encode(type.elementType(), list.get(i)));
                }
                yield sb.append(']').toString();
            }
        };
    }

    /** A double-quoted string literal with {@code \\ \" \n \r \t} escaped. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** The value of a string literal token (with its quotes). */
    public static String unquote(String literal) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < literal.length() - 1; i++) {
            char c = literal.charAt(i);
            if (c == '\\' && i + 1 < literal.length() - 1) {
                char n = literal.charAt(++i);
                sb.append(switch (n) {
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    default -> n;
                });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
