package dev.pare.compiler.coreml;

import java.util.Map;

/**
 * The field numbers of Core ML's {@code Model.Type} oneof that Pare's schema leaves out (they
 * parse as unknown fields), so that a model of another kind can be named in an error.
 */
final class ModelTypes {

    private ModelTypes() {}

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(200, "pipelineClassifier"), Map.entry(201, "pipelineRegressor"), Map.entry(202, "pipeline"),
            Map.entry(300, "glmRegressor"), Map.entry(301, "supportVectorRegressor"),
            Map.entry(302, "treeEnsembleRegressor"), Map.entry(303, "neuralNetworkRegressor"),
            Map.entry(304, "bayesianProbitRegressor"),
            Map.entry(400, "glmClassifier"), Map.entry(401, "supportVectorClassifier"),
            Map.entry(402, "treeEnsembleClassifier"), Map.entry(403, "neuralNetworkClassifier"),
            Map.entry(404, "kNearestNeighborsClassifier"),
            Map.entry(500, "neuralNetwork"), Map.entry(501, "itemSimilarityRecommender"),
            Map.entry(555, "customModel"), Map.entry(556, "linkedModel"),
            Map.entry(600, "oneHotEncoder"), Map.entry(601, "imputer"), Map.entry(602, "featureVectorizer"),
            Map.entry(603, "dictVectorizer"), Map.entry(604, "scaler"), Map.entry(606, "categoricalMapping"),
            Map.entry(607, "normalizer"), Map.entry(609, "arrayFeatureExtractor"),
            Map.entry(610, "nonMaximumSuppression"), Map.entry(900, "identity"));

    /** The oneof member's name, or null for a field number that is not a model type. */
    static String name(int field) {
        String known = NAMES.get(field);
        if (known != null) return known;
        return field >= 2000 && field < 3100 ? "Core ML provided (field " + field + ")" : null;
    }

    /** The three neural network kinds, which coremltools can re-convert to an ML Program. */
    static boolean isNeuralNetwork(int field) {
        return field == 500 || field == 403 || field == 303;
    }
}
