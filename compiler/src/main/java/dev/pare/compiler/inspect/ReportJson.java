package dev.pare.compiler.inspect;

import dev.pare.ir.Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The machine-readable form of a {@link ModelReport} ({@code pare inspect --json}). Keys are
 * sorted; every key is always present (null when it does not apply), so consumers can rely on
 * the shape. Schema version {@value #SCHEMA_VERSION}; documented in README.md.
 */
public final class ReportJson {

    /** Bumped when a key is removed or changes meaning; adding keys does not bump it. */
    public static final int SCHEMA_VERSION = 1;

    private ReportJson() {}

    public static String write(ModelReport r, String source) {
        return Json.write(toMap(r, source));
    }

    public static Map<String, Object> toMap(ModelReport r, String source) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema_version", SCHEMA_VERSION);
        root.put("file", source);
        root.put("format", r.format());
        root.put("properties", r.properties());
        root.put("metadata_props", r.metadataProps());
        List<Object> opsets = new ArrayList<>();
        for (Model.OpsetImport o : r.opsets()) opsets.add(map("domain", o.domain(), "version", o.version()));
        root.put("opsets", opsets);

        Map<String, Object> graph = new LinkedHashMap<>();
        graph.put("name", r.graphName());
        graph.put("inputs", ports(r.inputs()));
        graph.put("outputs", ports(r.outputs()));
        graph.put("nodes", r.nodes());
        graph.put("subgraph_nodes", r.subgraphNodes());
        root.put("graph", graph);
        if (!r.functions().isEmpty()) { // only for multi-function models
            List<Object> functions = new ArrayList<>();
            for (FunctionPorts f : r.functions()) functions.add(map("name", f.name(), "inputs", ports(f.inputs()), "outputs", ports(f.outputs())));
            root.put("functions", functions);
        }

        List<Object> ops = new ArrayList<>();
        for (OpCount o : r.ops()) ops.add(map("op", o.op(), "count", o.count()));
        root.put("ops", ops);

        List<Object> weights = new ArrayList<>();
        for (WeightReport w : r.weights()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("graph", w.graphPath());
            m.put("name", w.name());
            m.put("shape", w.shape());
            m.put("dtype", w.dtype().shortName());
            m.put("elements", w.elements());
            m.put("bytes", w.bytes());
            m.put("storage", w.storage().label());
            m.put("node", w.node().isEmpty() ? null : w.node());
            m.put("location", w.location().isEmpty() ? null : w.location());
            m.put("non_zeros", w.isSparse() ? w.nonZeros() : null);
            m.put("users", w.users());
            weights.add(m);
        }
        root.put("weights", weights);

        List<Object> dtypes = new ArrayList<>();
        for (DTypeTotal t : r.dtypeTotals()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", t.dtype().shortName());
            m.put("tensors", t.tensors());
            m.put("parameters", t.parameters());
            m.put("bytes", t.bytes());
            dtypes.add(m);
        }
        root.put("dtypes", dtypes);

        List<Object> compressed = new ArrayList<>();
        for (CompressedWeight c : r.compressedWeights()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("graph", c.graphPath());
            m.put("name", c.name());
            m.put("shape", c.shape());
            m.put("dtype", c.dtype().shortName());
            m.put("kind", c.kind());
            m.put("nbits", c.nbits() == 0 ? null : (long) c.nbits());
            m.put("luts", c.luts() == 0 ? null : c.luts());
            m.put("cluster_dim", c.clusterDim() == 0 ? null : (long) c.clusterDim());
            m.put("granularity", c.granularity().isEmpty() ? null : c.granularity());
            m.put("sparsity", c.isSparse() ? c.sparsity() : null);
            m.put("dense_bytes", c.denseBytes());
            m.put("stored_bytes", c.storedBytes());
            m.put("parts", c.parts());
            m.put("method", c.method().isEmpty() ? null : c.method());
            m.put("decompressed_from", c.decompressedFrom().isEmpty() ? null : c.decompressedFrom());
            compressed.add(m);
        }
        root.put("compressed_weights", compressed);
        root.put("totals", map("weights", (long) r.weights().size(), "parameters", r.parameters(), "bytes", r.bytes()));
        return root;
    }

    private static List<Object> ports(List<GraphPort> ports) {
        List<Object> out = new ArrayList<>();
        for (GraphPort p : ports) out.add(map("name", p.name(), "type", p.type()));
        return out;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
