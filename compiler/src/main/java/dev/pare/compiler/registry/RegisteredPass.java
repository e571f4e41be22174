package dev.pare.compiler.registry;

import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;

/**
 * A discovered pass: its provider, what it is, and the schema of its options.
 *
 * @param provider the provider instance (one per registry)
 * @param info     {@code provider.info()}, read once
 * @param schema   the options schema derived from {@code provider.defaults()}
 * @param source   the plugin jar or class-path folder whose services file lists the provider; empty if unknown
 */
public record RegisteredPass(PassProvider<?> provider, PassInfo info, OptionsSchema<?> schema, String source) {

    public RegisteredPass(PassProvider<?> provider, PassInfo info, OptionsSchema<?> schema) {
        this(provider, info, schema, "");
    }

    public String name() { return info.name(); }

    public boolean required() { return info.required(); }

    public String providerClassName() { return provider.getClass().getName(); }
}
