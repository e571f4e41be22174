package dev.pare.compiler.registry;

import dev.pare.spi.Option;
import dev.pare.spi.OptionValueException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The options of a pass, derived by reflection from its options record: one {@link OptionSpec}
 * per component (lower_snake key, type, help and range from {@link Option}, default from the
 * provider's {@code defaults()}). A component of type {@code Optional<T>} is an option without a
 * default: its value in {@code defaults()} must be empty, a pipeline that does not name it leaves
 * it empty, and a value given for it is a {@code T} (range checks apply to that value). Builds
 * records from values through the canonical constructor, so the record's own validation runs.
 */
public final class OptionsSchema<O extends Record> {

    private final Class<O> recordType;
    private final O defaults;
    private final List<OptionSpec> options;
    private final Map<String, OptionSpec> byKey;
    private final Constructor<O> constructor;

    private OptionsSchema(Class<O> recordType, O defaults, List<OptionSpec> options, Constructor<O> constructor) {
        this.recordType = recordType;
        this.defaults = defaults;
        this.options = List.copyOf(options);
        Map<String, OptionSpec> m = new LinkedHashMap<>();
        for (OptionSpec s : options) m.put(s.key(), s);
        this.byKey = Collections.unmodifiableMap(m);
        this.constructor = constructor;
    }

    /**
     * Derives the schema of {@code defaults}'s record class.
     *
     * @throws IllegalArgumentException naming the component if a type is not supported or two
     *                                  components map to the same key
     */
    @SuppressWarnings("unchecked")
    public static <O extends Record> OptionsSchema<O> of(O defaults) {
        if (defaults == null) throw new IllegalArgumentException("defaults() returned null");
        Class<O> type = (Class<O>) defaults.getClass();
        RecordComponent[] components = type.getRecordComponents();
        List<OptionSpec> specs = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (RecordComponent c : components) {
            boolean optional = c.getGenericType() instanceof ParameterizedType p && p.getRawType() == Optional.class;
            Type valueType = optional ? ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0] : c.getGenericType();
            OptionType optionType = OptionType.of(valueType).orElseThrow(() -> new IllegalArgumentException(
                    "option '" + c.getName() + "' of " + type.getName() + " has unsupported type " + c.getGenericType().getTypeName()
                            + " (use boolean, int, long, float, double, String, an enum, a List of those, or an Optional of one)"));
            String key = Names.lowerSnake(c.getName());
            String previous = seen.put(key, c.getName());
            if (previous != null) {
                throw new IllegalArgumentException("options '" + previous + "' and '" + c.getName() + "' of "
                        + type.getName() + " both map to key '" + key + "'");
            }
            Option annotation = c.getAnnotation(Option.class);
            String help = annotation == null ? "" : annotation.help();
            double min = annotation == null ? Double.NEGATIVE_INFINITY : annotation.min();
            double max = annotation == null ? Double.POSITIVE_INFINITY : annotation.max();
            Object defaultValue = read(c, defaults);
            if (defaultValue == null || (defaultValue instanceof List<?> l && l.stream().anyMatch(java.util.Objects::isNull))) {
                throw new IllegalArgumentException("option '" + c.getName() + "' of " + type.getName() + " has a null default");
            }
            specs.add(new OptionSpec(key, c, optionType, optional, help, min, max, optional ? null : defaultValue));
        }
        Class<?>[] parameterTypes = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
        try {
            Constructor<O> ctor = type.getDeclaredConstructor(parameterTypes);
            ctor.setAccessible(true);
            return new OptionsSchema<>(type, defaults, specs, ctor);
        } catch (NoSuchMethodException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use the canonical constructor of " + type.getName() + ": " + e, e);
        }
    }

    /**
     * The schema of a pass's {@code defaults()}: as {@link #of}, and every {@code Optional}
     * component must be empty there (an option with a real default is a plain component;
     * {@code Optional} says that "not set" is a meaning of its own).
     */
    public static <O extends Record> OptionsSchema<O> ofDefaults(O defaults) {
        OptionsSchema<O> schema = of(defaults);
        for (OptionSpec s : schema.options) {
            Object value = read(s.component(), defaults);
            if (s.optional() && ((Optional<?>) value).isPresent()) {
                throw new IllegalArgumentException("option '" + s.component().getName() + "' of " + schema.recordType.getName()
                        + " is an Optional with a default (" + ((Optional<?>) value).get() + "); make it a plain component");
            }
        }
        return schema;
    }

    public Class<O> recordType() { return recordType; }

    public O defaults() { return defaults; }

    /** The options in record component order. */
    public List<OptionSpec> options() { return options; }

    public Optional<OptionSpec> option(String key) { return Optional.ofNullable(byKey.get(key)); }

    public List<String> keys() { return List.copyOf(byKey.keySet()); }

    /** The values of {@code options} by key, in component order ({@code Optional}s as they are). */
    public Map<String, Object> values(Record options) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OptionSpec s : this.options) m.put(s.key(), read(s.component(), options));
        return m;
    }

    /**
     * A record with {@code changes} (by key) applied over {@code base}, validated by the record's
     * constructor. A change to an optional option is its value (or an {@code Optional} of it).
     *
     * @throws InvalidOptionsException with the constructor's message if it rejects the values
     */
    public O with(Record base, Map<String, Object> changes) throws InvalidOptionsException {
        Object[] args = new Object[options.size()];
        for (int i = 0; i < args.length; i++) {
            OptionSpec s = options.get(i);
            if (!changes.containsKey(s.key())) {
                args[i] = read(s.component(), base);
            } else {
                Object change = changes.get(s.key());
                args[i] = s.optional() && !(change instanceof Optional<?>) ? Optional.ofNullable(change) : change;
            }
        }
        try {
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (!(cause instanceof IllegalArgumentException)) message = cause.getClass().getSimpleName() + ": " + message;
            if (cause instanceof OptionValueException v) {
                for (OptionSpec s : options) {
                    if (s.component().getName().equals(v.component())) throw new InvalidOptionsException(message, s.key(), v.requirement(), cause);
                }
            }
            throw new InvalidOptionsException(message, null, null, cause);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new InvalidOptionsException("cannot build " + recordType.getSimpleName() + ": " + e.getMessage(), null, null, e);
        }
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            var accessor = c.getAccessor();
            accessor.setAccessible(true);
            return accessor.invoke(r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read option " + c.getName() + " of " + r.getClass().getName(), e);
        }
    }

    /**
     * The options record's constructor rejected the values: a combination, or (with {@link #key})
     * one option's value ({@link OptionValueException}).
     */
    public static final class InvalidOptionsException extends Exception {
        private final String key;
        private final String requirement;

        public InvalidOptionsException(String message, String key, String requirement, Throwable cause) {
            super(message, cause);
            this.key = key;
            this.requirement = requirement;
        }

        /** The key of the one option whose value is not allowed, if the record named one. */
        public Optional<String> key() { return Optional.ofNullable(key); }

        /** What that option's value must be, e.g. {@code must be one of 1, 2, got 5}; null without a key. */
        public String requirement() { return requirement; }
    }
}
