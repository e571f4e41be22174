package dev.pare.compiler.inspect;

import dev.pare.ir.DType;
import java.util.List;

/**
 * One weight (constant tensor) of a model.
 *
 * @param graphPath  the subgraph that holds it, e.g. {@code Loop_3/body}; empty for the main graph
 * @param name       the value name (for a Constant node, the name of its output)
 * @param shape      the dense shape
 * @param dtype      element type
 * @param elements   dense element count (counts as parameters)
 * @param bytes      bytes as stored: dense size, or values + indices for sparse tensors, or the
 *                   summed lengths of string elements
 * @param storage    where it lives
 * @param node       the Constant node (or attribute-holding node) that defines it; empty otherwise
 * @param location   the external data file, for {@link Storage#EXTERNAL_FILE}; empty otherwise
 * @param nonZeros   stored values of a sparse tensor; -1 for dense tensors
 * @param users      names of the nodes that read it (including nodes in subgraphs), in first-use order
 */
public record WeightReport(String graphPath, String name, List<Long> shape, DType dtype, long elements,
                           long bytes, Storage storage, String node, String location, long nonZeros,
                           List<String> users) {
    public WeightReport {
        shape = List.copyOf(shape);
        users = List.copyOf(users);
    }

    public boolean isSparse() { return nonZeros >= 0; }
}
