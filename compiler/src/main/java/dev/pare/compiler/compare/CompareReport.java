package dev.pare.compiler.compare;

import dev.pare.compiler.runtime.ExactSigmoid;
import java.util.List;

/**
 * The result of comparing model B against model A.
 *
 * @param inputs where the inputs came from: the data path, or "generated" (with the seed in {@code seed})
 * @param seed the seed of generated inputs, or null for data
 * @param labels the labels file, or null
 * @param generated how each generated input was filled (e.g. {@code input: float32 [1,1,28,28] uniform [0, 1)}),
 *     empty for data
 * @param onlyInA outputs of A with no counterpart in B (and {@code onlyInB} the other way)
 * @param exactSigmoidA with {@code --exact-sigmoid}, what the rewrite did to ONNX model A (null when
 *     not asked for or A is not an ONNX model; {@code exactSigmoidB} the same for B)
 */
public record CompareReport(String modelA, String modelB, String inputs, Long seed, int samples, List<String> generated,
        String labels, List<OutputComparison> outputs, List<String> onlyInA, List<String> onlyInB,
        ExactSigmoid.Result exactSigmoidA, ExactSigmoid.Result exactSigmoidB) {}
