package dev.pare.compiler.registry;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The type of one pass option, as derived from a record component: a scalar (boolean, int, long,
 * float, double, String, an enum) or a {@code List} of a scalar.
 *
 * @param kind        what the value is
 * @param enumType    the enum class for {@link Kind#ENUM}, else null
 * @param elementType the element type for {@link Kind#LIST}, else null
 */
public record OptionType(Kind kind, Class<? extends Enum<?>> enumType, OptionType elementType) {

    public enum Kind { BOOLEAN, INT, LONG, FLOAT, DOUBLE, STRING, ENUM, LIST }

    public OptionType {
        if ((kind == Kind.ENUM) != (enumType != null)) throw new IllegalArgumentException("enum type mismatch");
        if ((kind == Kind.LIST) != (elementType != null)) throw new IllegalArgumentException("list element mismatch");
        if (elementType != null && elementType.kind == Kind.LIST) throw new IllegalArgumentException("nested lists");
    }

    public static OptionType scalar(Kind kind) { return new OptionType(kind, null, null); }

    /** The option type for a record component's generic type, or empty if it is not supported. */
    @SuppressWarnings("unchecked")
    public static Optional<OptionType> of(Type type) {
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            return of(p.getActualTypeArguments()[0])
                    .filter(e -> e.kind != Kind.LIST)
                    .map(e -> new OptionType(Kind.LIST, null, e));
        }
        if (!(type instanceof Class<?> c)) return Optional.empty();
        if (c == boolean.class || c == Boolean.class) return Optional.of(scalar(Kind.BOOLEAN));
        if (c == int.class || c == Integer.class) return Optional.of(scalar(Kind.INT));
        if (c == long.class || c == Long.class) return Optional.of(scalar(Kind.LONG));
        if (c == float.class || c == Float.class) return Optional.of(scalar(Kind.FLOAT));
        if (c == double.class || c == Double.class) return Optional.of(scalar(Kind.DOUBLE));
        if (c == String.class) return Optional.of(scalar(Kind.STRING));
        if (c.isEnum()) return Optional.of(new OptionType(Kind.ENUM, (Class<? extends Enum<?>>) c, null));
        return Optional.empty();
    }

    public boolean isNumeric() {
        return kind == Kind.INT || kind == Kind.LONG || kind == Kind.FLOAT || kind == Kind.DOUBLE;
    }

    public boolean isIntegral() { return kind == Kind.INT || kind == Kind.LONG; }

    /** The enum constants as written in pipelines (lower case), in declaration order. */
    public List<String> enumValues() {
        if (enumType == null) return List.of();
        return Arrays.stream(enumType.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.toList());
    }

    /** How error messages and help name the type, e.g. {@code int}, {@code list of float}. */
    public String describe() {
        return switch (kind) {
            case BOOLEAN -> "boolean";
            case INT -> "int";
            case LONG -> "long";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            case STRING -> "string";
            case ENUM -> "one of " + String.join(", ", enumValues());
            case LIST -> "list of " + elementType.describe();
        };
    }
}
