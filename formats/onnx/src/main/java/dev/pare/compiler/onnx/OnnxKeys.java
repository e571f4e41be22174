package dev.pare.compiler.onnx;

/**
 * Metadata and annotation keys the ONNX reader leaves on the IR so the writer can reproduce the
 * file. All start with {@code onnx.}; passes may read the readable ones (doc strings, storage) and
 * otherwise leave them alone.
 */
public final class OnnxKeys {

    private OnnxKeys() {}

    // ---- model properties
    /**
     * Set (by {@code --external-data-threshold}) to a byte count: every graph initializer of at least
     * that size is written to external data, not only those a pass made (see {@code OnnxWriter}).
     */
    public static final String EXTERNAL_DATA_THRESHOLD = "onnx.external_data_threshold";

    // ---- everywhere
    /** A doc_string (node, graph, value, tensor, model property). */
    public static final String DOC_STRING = "onnx.doc_string";
    /** A {@link ProtoPatch} of what the IR does not model. */
    public static final String PATCH = "onnx.patch";

    // ---- node metadata
    /** The node's name in the file when the IR had to give it another one (empty or duplicate). */
    public static final String ORIGINAL_NAME = "onnx.name";
    public static final String OVERLOAD = "onnx.overload";
    /** op_type and domain verbatim, when op_type contains a dot and cannot live in the op name. */
    public static final String OP_TYPE = "onnx.op_type";
    public static final String DOMAIN = "onnx.domain";
    /** Prefix of per-attribute patches: {@code onnx.attr.<name>.patch}. */
    public static final String ATTR_PREFIX = "onnx.attr.";

    // ---- value metadata (prefix + suffix)
    public static final String INPUT_PREFIX = "onnx.input.";
    public static final String VALUE_INFO_PREFIX = "onnx.vi.";
    /** Graph metadata prefix of output entry {@code i}: {@code onnx.output.<i>.}. */
    public static final String OUTPUT_PREFIX = "onnx.output.";
    /** Suffix: the original TypeProto (base64) when the canonical encoding differs. */
    public static final String TYPE = "type";
    /** Suffix: the original TypeProto belongs to this entry only (differs from the value's type). */
    public static final String TYPE_OWN = "type.own";
    /** Value metadata: position in the graph's value_info list. */
    public static final String VALUE_INFO_INDEX = "onnx.vi.index";
    /** Graph metadata prefix of value_info entries that name no value of the graph (base64 ValueInfoProto). */
    public static final String VALUE_INFO_EXTRA = "onnx.vi.extra.";
    /** Input metadata: position of its default value in initializer / sparse_initializer. */
    public static final String INITIALIZER_INDEX = "onnx.initializer.index";
    public static final String SPARSE_INITIALIZER_INDEX = "onnx.sparse_initializer.index";

    // ---- model properties
    /** Set when the file writes the default opset domain as an explicit empty string. */
    public static final String OPSET_EXPLICIT_DEFAULT_DOMAIN = "onnx.opset.explicit_default_domain";

    // ---- tensor annotations
    /**
     * How the tensor was stored: {@code raw_data}, {@code float_data}, {@code int32_data},
     * {@code int64_data}, {@code double_data}, {@code uint64_data}, {@code string_data},
     * {@code external} or {@code none} (no data fields, zero elements).
     */
    public static final String STORAGE = "onnx.storage";
    /** Tensor name when it is not a value name (attribute tensors, sparse parts). */
    public static final String NAME = "onnx.name";
    /** Original external data location (informative). */
    public static final String EXTERNAL_LOCATION = "onnx.external.location";
    /** external_data entries other than location/offset/length (base64 TensorProto holding only them). */
    public static final String EXTERNAL_EXTRA = "onnx.external.extra";

    public static final String RAW_DATA = "raw_data";
    public static final String EXTERNAL = "external";
    public static final String NONE = "none";
}
