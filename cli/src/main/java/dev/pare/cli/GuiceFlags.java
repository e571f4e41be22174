package dev.pare.cli;

import java.util.Map;
import java.util.Properties;

/**
 * Guice settings for a short-lived command, applied before the first injector is made (Guice
 * reads them once, when its internals are first loaded). Two of Guice's defaults cost start-up
 * time a command never gets back:
 * <ul>
 *   <li>{@code guice_bytecode_gen_option=DISABLED}: call constructors and {@code @Provides}
 *       methods by reflection instead of generating a "fast class" per injected type with ASM;
 *       each provider is built once, so the generated code never pays for itself. Pare binds no
 *       method interceptors, the one feature that needs generated classes.</li>
 *   <li>{@code guice_include_stack_traces=OFF}: do not record the source (a stack walk) of every
 *       binding; only Guice's own error messages used it, and registry errors name the provider
 *       class themselves ({@code PassRegistry}).</li>
 * </ul>
 * A value the user set ({@code JAVA_OPTS=-Dguice_...}) is kept. On the 4096x4096 package this
 * took about 0.04 s of CPU off {@code pare compile --pipeline EMPTY} (bench/SCALE.md).
 */
final class GuiceFlags {

    static final Map<String, String> VALUES = Map.of(
            "guice_bytecode_gen_option", "DISABLED",
            "guice_include_stack_traces", "OFF");

    private GuiceFlags() {}

    /** Sets each flag in {@code properties} unless it is already set. */
    static void applyTo(Properties properties) {
        VALUES.forEach(properties::putIfAbsent);
    }
}
