package dev.pare.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole model: the main graph plus what the source format says about it (opset imports,
 * producer, metadata). Fields a format has but Pare does not model are kept as opaque encoded
 * fields so that a round trip through Pare loses nothing.
 */
public final class Model {

    /** An operator set import: domain ({@code ""} is the default) and version. */
    public record OpsetImport(String domain, long version) {}

    /** A format field kept verbatim: its field number and encoded bytes. */
    public record OpaqueField(int fieldNumber, byte[] encoded) {
        public OpaqueField { encoded = encoded.clone(); }
        @Override public byte[] encoded() { return encoded.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof OpaqueField f && f.fieldNumber == fieldNumber && Arrays.equals(f.encoded, encoded);
        }
        @Override public int hashCode() { return fieldNumber * 31 + Arrays.hashCode(encoded); }
    }

    private final String format;
    private final Graph graph;
    private final List<OpsetImport> opsets = new ArrayList<>();
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, String> metadataProps = new LinkedHashMap<>();
    private final List<OpaqueField> opaqueFields = new ArrayList<>();
    private final List<Graph> functions = new ArrayList<>();

    public Model(String format, Graph graph) {
        this.format = format;
        this.graph = graph;
    }

    /** The format the model was read from, e.g. {@code onnx}. */
    public String format() { return format; }

    public Graph graph() { return graph; }

    public List<OpsetImport> opsets() { return Collections.unmodifiableList(opsets); }

    /** Model-level scalar fields by name (e.g. {@code ir_version}, {@code producer_name}), in file order. */
    public Map<String, String> properties() { return Collections.unmodifiableMap(properties); }

    /** User metadata (ONNX {@code metadata_props}), in file order. */
    public Map<String, String> metadataProps() { return Collections.unmodifiableMap(metadataProps); }

    public List<OpaqueField> opaqueFields() { return Collections.unmodifiableList(opaqueFields); }

    public long opsetVersion(String domain) {
        return opsets.stream().filter(o -> o.domain().equals(domain)).mapToLong(OpsetImport::version).max().orElse(-1);
    }

    public void setOpsets(List<OpsetImport> imports) {
        opsets.clear();
        opsets.addAll(imports);
    }

    public void setProperty(String key, String value) {
        if (value == null) properties.remove(key); else properties.put(key, value);
    }

    public void setMetadataProp(String key, String value) {
        if (value == null) metadataProps.remove(key); else metadataProps.put(key, value);
    }

    public void addOpaqueField(OpaqueField f) { opaqueFields.add(f); }

    /**
     * Further entry points besides {@link #graph()}, in file order (Core ML multi-function
     * models: each graph is one function, named like it). Empty for single-graph models. Passes
     * see {@link #graph()}; writers serialize these too.
     */
    public List<Graph> functions() { return Collections.unmodifiableList(functions); }

    public void addFunction(Graph function) {
        if (function.parent() != null) throw new IllegalArgumentException(function + " is a subgraph");
        functions.add(function);
    }

    public void clearFunctions() { functions.clear(); }

    public void clearOpaqueFields() { opaqueFields.clear(); }
}
