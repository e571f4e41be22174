package dev.pare.compiler.inspect;

/** Where a weight lives in the model file. */
public enum Storage {
    /** A graph initializer holding its bytes inline. */
    INITIALIZER("initializer"),
    /** A graph initializer stored as non-zero values plus indices (ONNX {@code sparse_initializer}). */
    SPARSE_INITIALIZER("sparse initializer"),
    /** A graph initializer whose bytes are in a separate file (ONNX external data). */
    EXTERNAL_FILE("external file"),
    /** The default value of a graph input (an ONNX initializer that is also an input). */
    INPUT_DEFAULT("input default"),
    /** The value of an {@code onnx.Constant} node ({@code value}, {@code sparse_value}, {@code value_floats}, …). */
    CONSTANT_NODE("Constant node"),
    /** A tensor-valued attribute of any other node (e.g. {@code ConstantOfShape.value}). */
    NODE_ATTRIBUTE("node attribute"),
    /** A Core ML value in a weight file ({@code weights/weight.bin}) of the package. */
    BLOB_FILE("blob file"),
    /** A Core ML value stored immediately in the model protobuf. */
    IMMEDIATE("immediate");

    private final String label;

    Storage(String label) { this.label = label; }

    /** Human label, also the stable JSON value. */
    public String label() { return label; }
}
