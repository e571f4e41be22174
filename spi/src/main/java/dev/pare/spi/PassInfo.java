package dev.pare.spi;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a pass is. {@code required} passes (compression) always run; optional ones (cleanup) may be
 * switched off with {@code --disable-pass}. {@code requires}, {@code establishes} and
 * {@code invalidates} name graph properties the pass manager tracks through a pipeline and checks
 * before the first pass runs (compiler/src/main/java/dev/pare/compiler/passmanager/PassContracts.java):
 * {@code onnx} (the graph's ops are ONNX ops) and {@code mil} (they are Core ML MIL ops) hold as
 * the input graph says; any other name holds once a step establishes it.
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

    /** This info with a contract: what the pass needs, and what it makes true or false for later steps. */
    public PassInfo withContract(Set<String> requires, Set<String> establishes, Set<String> invalidates) {
        return new PassInfo(name, summary, required, requires, establishes, invalidates);
    }

    public static PassInfo optional(String name, String summary) {
        return new PassInfo(name, summary, false, Set.of(), Set.of(), Set.of());
    }

    public static PassInfo required(String name, String summary) {
        return new PassInfo(name, summary, true, Set.of(), Set.of(), Set.of());
    }
}
