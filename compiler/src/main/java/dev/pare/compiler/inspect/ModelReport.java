package dev.pare.compiler.inspect;

import dev.pare.ir.Model;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code pare inspect} shows about a model: ops, weights and their totals. Built by
 * {@link ModelInspector}; rendered by {@link ReportText} and {@link ReportJson}.
 *
 * @param format        the format the model was read from, e.g. {@code onnx}
 * @param graphName     name of the main graph
 * @param inputs        main-graph inputs (those with a default value too)
 * @param outputs       main-graph outputs
 * @param properties    model-level fields in file order (e.g. {@code ir_version}, {@code producer_name})
 * @param metadataProps user metadata in file order
 * @param opsets        operator set imports in file order
 * @param nodes         nodes in all graphs
 * @param subgraphNodes of those, nodes inside subgraphs
 * @param ops           op histogram: count descending, then op name
 * @param weights       every weight in graph order, subgraphs at the position of their node
 * @param dtypeTotals   weights per element type: bytes descending, then dtype name
 * @param parameters    total elements of all weights
 * @param bytes         total stored bytes of all weights
 * @param compressedWeights weights stored compressed and decoded at run time, in graph order
 * @param functions     the other functions of a multi-function model (Core ML) with their ports, in file order;
 *                      empty otherwise
 */
public record ModelReport(String format, String graphName, List<GraphPort> inputs, List<GraphPort> outputs,
                          Map<String, String> properties, Map<String, String> metadataProps,
                          List<Model.OpsetImport> opsets, long nodes, long subgraphNodes, List<OpCount> ops,
                          List<WeightReport> weights, List<DTypeTotal> dtypeTotals, long parameters, long bytes,
                          List<CompressedWeight> compressedWeights, List<FunctionPorts> functions) {
    public ModelReport {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        metadataProps = Collections.unmodifiableMap(new LinkedHashMap<>(metadataProps));
        opsets = List.copyOf(opsets);
        ops = List.copyOf(ops);
        weights = List.copyOf(weights);
        dtypeTotals = List.copyOf(dtypeTotals);
        compressedWeights = List.copyOf(compressedWeights);
        functions = List.copyOf(functions);
    }

    /** Whether any weight sits in a subgraph (the text form then shows a graph column). */
    public boolean hasSubgraphWeights() {
        return weights.stream().anyMatch(w -> !w.graphPath().isEmpty());
    }
}
