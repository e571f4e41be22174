package dev.pare.spi;

import java.util.Locale;

/**
 * One stable diagnostic code ({@code CW010}, {@code P002}, ...): its severity and what it means.
 * Each module declares the codes it emits as constants of one enum implementing this, named by the
 * code itself so a code cannot be declared twice within a module; {@link DiagnosticCatalogs}
 * checks that no two modules (or plugins) declare the same code. {@code pare explain CODE} prints
 * the entry.
 */
public interface DiagnosticCode {

    /** The code as printed, e.g. {@code CW010}. */
    String code();

    Severity severity();

    /** One line: what happened. */
    String summary();

    /** Longer text for {@code pare explain}: why it happens and what to do; may be empty. */
    default String explanation() { return ""; }

    /** {@code error[CW010]}: the prefix of a message carrying this code. */
    default String tag() { return severity().name().toLowerCase(Locale.ROOT) + "[" + code() + "]"; }

    /**
     * A code that is an enum constant holding its {@link DiagnosticInfo}, as the built-in catalogues
     * are: the enum keeps one field, a constructor and {@link #info()}. The code is the constant's
     * name unless the enum overrides {@link #code()}.
     */
    interface Described extends DiagnosticCode {

        DiagnosticInfo info();

        /** The constant's name: {@link Enum#name()} implements it. */
        String name();

        @Override default String code() { return name(); }

        @Override default Severity severity() { return info().severity(); }

        @Override default String summary() { return info().summary(); }

        @Override default String explanation() { return info().explanation(); }
    }
}
