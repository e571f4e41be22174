package dev.pare.spi;

/**
 * Thrown by an options record's constructor when one option's value is not allowed, whatever the
 * other options are (e.g. {@code nbits=5}). Names the record component so the pipeline compiler
 * can report it like a value out of an {@link Option} range: at the value, with the range's code.
 * A rejected combination of several options stays a plain {@link IllegalArgumentException}.
 */
public final class OptionValueException extends IllegalArgumentException {

    private final String component;

    /**
     * @param component the record component's name, e.g. {@code nbits} or {@code targetSparsity}
     * @param message   what the value must be, without the option's name, e.g. {@code must be one of 1, 2, got 5}
     */
    public OptionValueException(String component, String message) {
        super(component.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT) + " " + message);
        this.component = component;
    }

    /** The record component whose value is not allowed. */
    public String component() { return component; }

    /** The message without the option's name (which it starts with, in the pipeline's lower_snake form). */
    public String requirement() { return getMessage().substring(getMessage().indexOf(' ') + 1); }
}
