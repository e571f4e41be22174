package dev.pare.compiler.driver;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a compilation did: node and weight counts of the model before and after, file sizes
 * of the input and output model files, and the wall time.
 */
public record CompileResult(Path input, Path output, long nodesIn, long nodesOut, long weightsIn,
                            long weightsOut, long bytesIn, long bytesOut, Duration elapsed) {}
