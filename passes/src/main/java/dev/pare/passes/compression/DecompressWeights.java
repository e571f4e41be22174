package dev.pare.passes.compression;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code decompress_weights}: evaluates every {@code pare.affine_dequantize}, {@code pare.lut_to_dense}
 * and {@code pare.sparse_to_dense} whose operands are constants ({@link PareDialectEvaluator}, in
 * graph order, so whole chains collapse) and replaces it by a dense constant that keeps the
 * result's name; compressed-data constants left unused are removed. Core ML Tools'
 * {@code decompress_weights}. Statistics: {@code ops_evaluated}, {@code weights_decompressed}.
 */
public final class DecompressWeights implements PassProvider<DecompressWeights.Options> {

    /** No options. */
    public record Options() {}

    @Override public PassInfo info() {
        return PassInfo.required("decompress_weights", "Expands compressed weights (pare dialect ops on constants) back to dense constants.");
    }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(decompress(graph, options, context));
    }

    private static boolean decompress(Graph g, ScopedOptions<Options> options, PassContext context) throws PassFailure {
        boolean changed = false;
        Rewriter rw = g.rewriter();
        for (Node n : List.copyOf(g.nodes())) {
            for (Graph sub : n.subgraphs()) changed |= decompress(sub, options, context);
            if (!PareDialectEvaluator.isPareWeightOp(n.op()) || n.results().size() != 1 || options.forNode(n).isEmpty()) continue;
            List<TensorData> operands = new ArrayList<>();
            boolean constant = true;
            for (Value o : n.operands()) {
                if (o.isAbsent()) {
                    operands.add(null);
                } else if (o.isConstant() && o.data() != null) {
                    operands.add(o.data());
                } else {
                    constant = false;
                }
            }
            if (!constant) continue;
            while (!operands.isEmpty() && operands.get(operands.size() - 1) == null) operands.remove(operands.size() - 1);
            TensorData dense;
            try {
                dense = PareDialectEvaluator.evaluate(n.op(), operands, n.attributes());
            } catch (IllegalArgumentException e) {
                throw new PassFailure("DW001", n, "decompress_weights: cannot evaluate '" + n.name() + "': " + e.getMessage());
            }
            Value result = n.result(0);
            String name = result.name();
            Set<Value> inputs = new LinkedHashSet<>(n.operands());
            Value c = rw.addConstant(rw.uniqueValueName(name + "_dense"), dense);
            rw.replaceAllUsesWith(result, c);
            for (Node m : g.nodes()) for (Graph sub : m.subgraphs()) replaceNestedOutputs(sub, result, c);
            rw.erase(n);
            rw.renameValue(c, name);
            for (Value in : inputs) {
                if (in.isAbsent() || in.hasUses() || in.graph().isOutput(in) || !in.isConstant()) continue;
                in.graph().rewriter().eraseConstant(in);
            }
            context.statistics().increment("ops_evaluated");
            if (isWeight(c)) context.statistics().increment("weights_decompressed");
            changed = true;
        }
        return changed;
    }

    /** Whether the new constant is a final weight (not itself an operand of another pare op). */
    private static boolean isWeight(Value v) {
        for (Value.Use u : v.uses()) if (PareDialectEvaluator.isPareWeightOp(u.user().op())) return false;
        return true;
    }

    private static void replaceNestedOutputs(Graph g, Value from, Value to) {
        for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == from) g.rewriter().setOutput(i, to);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }
}
