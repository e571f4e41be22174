package dev.pare.compiler.coreml;

/**
 * Names under which the Core ML reader keeps, on the IR, what a writer needs to reproduce the
 * package (ir/MIL_DIALECT.md, section "Model"). Shared by reader and writer.
 */
public final class CoreMlKeys {

    private CoreMlKeys() {}

    /** The format name of models read from Core ML. */
    public static final String FORMAT = "coreml";

    // ---- Model.properties ------------------------------------------------------------------
    public static final String SPECIFICATION_VERSION = "coreml.specificationVersion";
    /** The main function's opset, e.g. {@code CoreML7}. */
    public static final String OPSET = "coreml.opset";
    /** Set by {@code --target}; wins over the read specification version when writing. */
    public static final String TARGET = "coreml.target";
    public static final String SHORT_DESCRIPTION = "coreml.shortDescription";
    public static final String VERSION_STRING = "coreml.versionString";
    public static final String AUTHOR = "coreml.author";
    public static final String LICENSE = "coreml.license";
    /** {@code true} when Model.isUpdatable was set. */
    public static final String IS_UPDATABLE = "coreml.isUpdatable";

    /**
     * userDefined metadata key for the weights Pare decompressed before compressing them again:
     * a one-line JSON object from weight name to how it was stored, in program order. The reader
     * moves it onto the weights' values ({@code WeightHistory.DECOMPRESSED_FROM}); the writer
     * rebuilds it from them.
     */
    public static final String DECOMPRESSED_FROM = "com.github.pare.decompressedFrom";
    /**
     * userDefined metadata key for the main function's inputs and outputs whose names are not MIL
     * identifiers (an ONNX input {@code input:0} is written as {@code input_0}): a one-line JSON
     * object from the MIL name to the original name, inputs then outputs. The reader puts each on
     * its value as {@link #ORIGINAL_NAME}; the writer rebuilds it.
     */
    public static final String ORIGINAL_NAMES = "com.github.pare.originalNames";
    /**
     * userDefined metadata key for the main function's inputs and outputs whose element type
     * differs from the model they were converted from (an ONNX bool input is an int32 feature): a
     * one-line JSON object from the MIL name to the original dtype's short name ({@code bool},
     * {@code i64}), inputs then outputs. The reader puts each on its value as
     * {@link dev.pare.ir.FeatureTypes#ORIGINAL_DTYPE}; the writer rebuilds it.
     */
    public static final String ORIGINAL_DTYPES = "com.github.pare.originalDTypes";

    // ---- Graph.metadata (per function / nested block) --------------------------------------
    /** A function's opset (also on the main graph). */
    public static final String FUNCTION_OPSET = "coreml.opset";
    /** Base64 of an encoded MIL {@code Function} holding only the function's attributes. */
    public static final String FUNCTION_ATTRIBUTES = "coreml.functionAttributes";
    /** Base64 of an encoded MIL {@code Block} holding only the block's attributes. */
    public static final String BLOCK_ATTRIBUTES = "coreml.blockAttributes";

    // ---- Value.metadata ----------------------------------------------------------------------
    /** On a constant from a {@code const} op: the op's index in its block. */
    public static final String OP_INDEX = "coreml.opIndex";
    /** On a constant from a {@code const} op whose name differs from its output's name. */
    public static final String OP_NAME = "coreml.opName";
    /**
     * {@code true} on a constant the file bound inline (an iOS18 {@code Binding.value} or an
     * iOS16 constexpr attribute) rather than as a {@code const} op.
     */
    public static final String INLINE = "coreml.inline";
    /**
     * On a graph input: the shapes Core ML accepts for it, {@code 1,64|1,128} (the first is the
     * default), set by {@code --input-shape NAME=S1|S2|...} or read from the description's
     * {@code enumeratedShapes}; see {@link EnumeratedShapes}.
     */
    public static final String ENUMERATED_SHAPES = "coreml.enumeratedShapes";
    /**
     * On a main-function input or output read from a package: the name it had before the writer
     * made it a MIL identifier (from {@link #ORIGINAL_NAMES}); {@code pare compare} matches
     * inputs, outputs and {@code --data} entries by it.
     */
    public static final String ORIGINAL_NAME = "coreml.originalName";

    // ---- TensorData.annotations ---------------------------------------------------------------
    /** {@code blob} (in a weight file) or {@code immediate} (in the model protobuf). */
    public static final String STORAGE = "coreml.storage";
    /** For blob values: the BlobFileValue file name, e.g. {@code @model_path/weights/weight.bin}. */
    public static final String BLOB_FILE = "coreml.blob.file";
    /** For blob values: the BlobFileValue offset (of the blob's metadata record). */
    public static final String BLOB_OFFSET = "coreml.blob.offset";

    // ---- Model.opaqueFields ---------------------------------------------------------------
    /** Field number of Model.description; its OpaqueField holds a Model with only that field. */
    public static final int DESCRIPTION_FIELD = 2;
    /**
     * Field number of Model.mlProgram; its OpaqueField (present only when the program has a doc
     * string or attributes, e.g. coremltools' {@code buildInfo}) holds a Model whose program has
     * {@code version}, {@code docString} and {@code attributes} but no functions.
     */
    public static final int ML_PROGRAM_FIELD = 502;
}
