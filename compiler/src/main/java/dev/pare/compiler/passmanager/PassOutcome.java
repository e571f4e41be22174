package dev.pare.compiler.passmanager;

import dev.pare.spi.PassResult;

/**
 * What a successful pass run gave.
 *
 * @param result      what the pass reported
 * @param passNanos   time spent in the pass (creating and running it)
 * @param verifyNanos time spent verifying the graph afterwards (0 with verification off)
 */
public record PassOutcome(PassResult result, long passNanos, long verifyNanos) {}
