package dev.pare.passes.compression;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.passes.PassesCode;
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
 * and {@code pare.sparse_to_dense} ({@link PareDialectEvaluator}) and every Core ML
 * {@code mil.constexpr_*} op ({@link MilConstexprEvaluator}) whose operands are constants, in
 * graph order so whole chains collapse, and replaces each result by a dense constant that keeps
 * the result's name; compressed-data constants left unused are removed (so is an unused second
 * result, such as the mask of a {@code constexpr_lut_to_sparse} whose consumer reads another mask). Core ML Tools'
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
            boolean pare = PareDialectEvaluator.isPareWeightOp(n.op());
            boolean mil = MilConstexprEvaluator.isConstexpr(n.op());
            if (!(pare || mil) || options.forNode(n).isEmpty()) continue;
            if (pare && n.results().size() != 1) continue;
            if (!allConstant(n)) continue;
            List<TensorData> dense;
            try {
                dense = pare ? List.of(evaluatePare(n)) : MilConstexprEvaluator.evaluate(n, Value::data);
            } catch (IllegalArgumentException e) {
                throw new PassFailure(PassesCode.DW001, n, "decompress_weights: cannot evaluate '" + n.name() + "': " + e.getMessage());
            }
            if (dense.size() != n.results().size()) {
                throw new PassFailure(PassesCode.DW001, n, "decompress_weights: '" + n.name() + "' has " + n.results().size()
                        + " results but " + n.op() + " computes " + dense.size());
            }
            Set<Value> inputs = new LinkedHashSet<>(n.operands());
            List<Value> replaced = new ArrayList<>();
            for (int r = 0; r < dense.size(); r++) {
                Value result = n.result(r);
                Value c = rw.addConstant(rw.uniqueValueName(result.name() + "_dense"), stored(dense.get(r), context));
                rw.replaceAllUsesWith(result, c);
                for (Node m : g.nodes()) for (Graph sub : m.subgraphs()) replaceNestedOutputs(sub, result, c);
                replaced.add(c);
            }
            List<String> names = new ArrayList<>();
            for (Value result : n.results()) names.add(result.name());
            rw.erase(n);
            for (int r = 0; r < replaced.size(); r++) rw.renameValue(replaced.get(r), names.get(r));
            for (Value in : inputs) {
                if (in.isAbsent() || in.hasUses() || in.graph().isOutput(in) || !in.isConstant()) continue;
                in.graph().rewriter().eraseConstant(in);
            }
            for (Value c : replaced) {
                if (!c.hasUses() && !c.graph().isOutput(c)) {
                    rw.eraseConstant(c);
                } else if (isWeight(c)) {
                    context.statistics().increment("weights_decompressed");
                }
            }
            context.statistics().increment("ops_evaluated");
            changed = true;
        }
        return changed;
    }

    /** A dense result in the context's tensor store (off the heap in the compiler); the heap copy is dropped. */
    private static TensorData stored(TensorData d, PassContext context) {
        return d instanceof dev.pare.ir.DenseData ? context.tensorStore().put(d.type(), d.bytes()) : d;
    }

    private static boolean allConstant(Node n) {
        for (Value o : n.operands()) if (!o.isAbsent() && !(o.isConstant() && o.data() != null)) return false;
        return true;
    }

    /** Operands in order (null for an absent optional one, trailing absents dropped). */
    private static TensorData evaluatePare(Node n) {
        List<TensorData> operands = new ArrayList<>();
        for (Value o : n.operands()) operands.add(o.isAbsent() ? null : o.data());
        while (!operands.isEmpty() && operands.get(operands.size() - 1) == null) operands.remove(operands.size() - 1);
        return PareDialectEvaluator.evaluate(n.op(), operands, n.attributes());
    }

    /** Whether the new constant is a final weight (not itself an operand of another weight op). */
    private static boolean isWeight(Value v) {
        for (Value.Use u : v.uses()) {
            String op = u.user().op();
            if (PareDialectEvaluator.isPareWeightOp(op) || MilConstexprEvaluator.isConstexpr(op)) return false;
        }
        return true;
    }

    private static void replaceNestedOutputs(Graph g, Value from, Value to) {
        for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == from) g.rewriter().setOutput(i, to);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }
}
