package dev.pare.compiler.driver;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a compilation did, before and after: nodes (all graphs), weights, bytes the weights take
 * as stored (wherever they live, external data included), and the size of the model file itself
 * (without external data files); plus the wall time.
 */
public record CompileResult(Path input, Path output, long nodesIn, long nodesOut, long weightsIn,
                            long weightsOut, long weightBytesIn, long weightBytesOut, long fileBytesIn,
                            long fileBytesOut, Duration elapsed) {}
