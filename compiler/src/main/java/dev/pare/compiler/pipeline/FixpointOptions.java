package dev.pare.compiler.pipeline;

import dev.pare.spi.Option;

/** The options of a {@code fixpoint} block, parsed and printed like pass options. */
public record FixpointOptions(
        @Option(help = "run the body at most this many times", min = 1, max = 1000) int maxIterations) {

    public static final FixpointOptions DEFAULTS = new FixpointOptions(10);
}
