package dev.pare.compiler.pipeline;

import java.util.Optional;

/**
 * One arm of a {@code where { selector -> {…} | skip; }} block.
 *
 * @param selector which nodes it applies to
 * @param options  the step's options with this arm's values merged in and validated, or empty for {@code skip}
 * @param span     where the arm is written
 */
public record NodeOverride(Selector selector, Optional<Record> options, SourceSpan span) {

    public boolean skip() { return options.isEmpty(); }
}
