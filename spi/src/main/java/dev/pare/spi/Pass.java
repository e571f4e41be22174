package dev.pare.spi;

import dev.pare.ir.Graph;

/** One run of a pass over a graph. Mutate only through {@code graph.rewriter()}. */
@FunctionalInterface
public interface Pass {
    PassResult run(Graph graph, PassContext context) throws PassFailure;
}
