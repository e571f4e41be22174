package dev.pare.spi;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Describes one option: a component of a pass's options record. The option's pipeline name is
 * the component name in lower_snake form. Supported types: boolean, int, long, float, double,
 * String, an enum (written in lower case in pipelines), {@code List} of those, and
 * {@code Optional} of any of those for an option whose "not set" is a meaning of its own (no
 * default: absent from a pipeline = empty, left out of printed pipelines; {@link #min} and
 * {@link #max} bound the contained value). {@code Optional<Integer>} rather than
 * {@code OptionalInt}: one wrapper for every value type, strings and enums included.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Option {

    /** One-line help text. */
    String help();

    /** Inclusive lower bound for numbers. */
    double min() default Double.NEGATIVE_INFINITY;

    /** Inclusive upper bound for numbers. */
    double max() default Double.POSITIVE_INFINITY;
}
