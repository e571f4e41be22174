package dev.pare.ir;

/**
 * What a conversion records about a model input or output whose element type the target format
 * cannot give a feature (value metadata): a Core ML feature has no bool or int64, so an ONNX
 * {@code bool} input becomes an int32 feature cast to bool inside the program. Writers keep the
 * record in the file and readers put it back, so {@code pare compare} can feed and compare the
 * feature as the original model's type.
 */
public final class FeatureTypes {

    private FeatureTypes() {}

    /**
     * Value metadata on a graph input or output: the element type it had in the model it was
     * converted from, as a {@link DType#shortName()} (e.g. {@code bool}, {@code i64}).
     */
    public static final String ORIGINAL_DTYPE = "pare.originalDType";
}
