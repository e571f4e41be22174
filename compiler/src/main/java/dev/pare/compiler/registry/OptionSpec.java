package dev.pare.compiler.registry;

import java.lang.reflect.RecordComponent;

/**
 * One option of a pass: a component of its options record.
 *
 * @param key          the pipeline spelling, the component name in lower_snake
 * @param component    the record component it comes from
 * @param type         the value type ({@code T} of an {@code Optional<T>} component)
 * @param optional     the component is an {@code Optional}: absent from a pipeline = empty, no default
 * @param help         one-line help ({@code ""} when the component has no {@code @Option})
 * @param min          inclusive lower bound for numbers (or -infinity); of the contained value when optional
 * @param max          inclusive upper bound for numbers (or +infinity); of the contained value when optional
 * @param defaultValue the value in the provider's {@code defaults()}; null when optional
 */
public record OptionSpec(String key, RecordComponent component, OptionType type, boolean optional, String help,
                         double min, double max, Object defaultValue) {

    public OptionSpec {
        if (optional != (defaultValue == null)) throw new IllegalArgumentException("option '" + key + "': a default exactly when not optional");
    }

    public boolean bounded() { return min != Double.NEGATIVE_INFINITY || max != Double.POSITIVE_INFINITY; }

    /** The range in the form error messages use: {@code [1, 8]}, {@code >= 1}, {@code <= 0.5}. */
    public String describeRange() {
        OptionType numeric = type.kind() == OptionType.Kind.LIST ? type.elementType() : type;
        String lo = bound(min, numeric);
        String hi = bound(max, numeric);
        if (min != Double.NEGATIVE_INFINITY && max != Double.POSITIVE_INFINITY) return "[" + lo + ", " + hi + "]";
        if (min != Double.NEGATIVE_INFINITY) return ">= " + lo;
        if (max != Double.POSITIVE_INFINITY) return "<= " + hi;
        return "";
    }

    private static String bound(double b, OptionType t) {
        if (t.isIntegral() && b == Math.rint(b) && Math.abs(b) < 9.0e18) return Long.toString((long) b);
        return Numbers.shortestDouble(b);
    }
}
