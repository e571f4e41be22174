package dev.pare.compiler.compare;

import dev.pare.compiler.runtime.ExactSigmoid;
import dev.pare.compiler.runtime.OrtOptimization;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * One comparison of two models on the same inputs.
 *
 * @param data sample data (see {@code CalibrationDataReaders}), or null to generate inputs
 * @param dataSpec the raw-data shape or image preprocessing spec for {@code data}, or null
 * @param labels class labels, one per data sample, or null
 * @param seed seeds generated inputs
 * @param samples how many samples to run: the first of the data, or how many to generate; null
 *     for all of the data or {@value #DEFAULT_GENERATED} generated
 * @param inputShapes shapes for generated inputs by input name (fixing symbolic dims)
 * @param threads ONNX Runtime threads per model
 * @param ortOptimization ONNX Runtime's graph optimization level for the ONNX models
 * @param exactSigmoid whether the ONNX models' float32 Sigmoids run in ONNX Runtime as
 *     1 / (1 + exp(-x)) ({@link ExactSigmoid}) instead of ONNX Runtime's approximate Sigmoid kernel
 */
public record CompareRequest(Path modelA, Path modelB, Path data, String dataSpec, Path labels, long seed,
        Integer samples, Map<String, long[]> inputShapes, int threads, OrtOptimization ortOptimization,
        boolean exactSigmoid) {

    public static final int DEFAULT_GENERATED = 8;

    public CompareRequest {
        Objects.requireNonNull(modelA, "modelA");
        Objects.requireNonNull(modelB, "modelB");
        inputShapes = Map.copyOf(inputShapes);
        Objects.requireNonNull(ortOptimization, "ortOptimization");
    }

    /** A request that runs ONNX models with ONNX Runtime's own Sigmoid kernel. */
    public CompareRequest(Path modelA, Path modelB, Path data, String dataSpec, Path labels, long seed,
            Integer samples, Map<String, long[]> inputShapes, int threads, OrtOptimization ortOptimization) {
        this(modelA, modelB, data, dataSpec, labels, seed, samples, inputShapes, threads, ortOptimization, false);
    }

    /** A request that runs ONNX models with ONNX Runtime's default optimizations ({@link OrtOptimization#ALL}). */
    public CompareRequest(Path modelA, Path modelB, Path data, String dataSpec, Path labels, long seed,
            Integer samples, Map<String, long[]> inputShapes, int threads) {
        this(modelA, modelB, data, dataSpec, labels, seed, samples, inputShapes, threads, OrtOptimization.ALL);
    }
}
