package dev.pare.spi;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a pass is. {@code required} passes (compression) always run; optional ones (cleanup) may be
 * switched off with {@code --disable-pass}.
 */
public record PassInfo(String name, String summary, boolean required,
                       Set<String> requires, Set<String> establishes, Set<String> invalidates) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)?");

    public PassInfo {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("pass name must be lower_snake (optionally ns::name): " + name);
        }
        if (summary == null || summary.isBlank()) throw new IllegalArgumentException("pass " + name + " needs a summary");
        requires = Set.copyOf(requires);
        establishes = Set.copyOf(establishes);
        invalidates = Set.copyOf(invalidates);
    }

    public static PassInfo optional(String name, String summary) {
        return new PassInfo(name, summary, false, Set.of(), Set.of(), Set.of());
    }

    public static PassInfo required(String name, String summary) {
        return new PassInfo(name, summary, true, Set.of(), Set.of(), Set.of());
    }
}
