package dev.pare.passes.cleanup;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.Value;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code identity_elimination}: removes {@code onnx.Identity}, inference-mode {@code onnx.Dropout}
 * whose mask nobody reads, and {@code onnx.Cast} to the dtype its input already has, letting
 * readers use the input directly.
 *
 * <p>Graph outputs keep their names. When the forwarded value is a graph output, the node can
 * only go if its input may take over the output's name: a node result or constant of the same
 * graph that is not itself a graph output. Otherwise (a graph input, a value of an enclosing
 * graph, or an input that is an output too) the node stays.
 */
public final class IdentityElimination implements PassProvider<IdentityElimination.Options> {

    public record Options(
            @Option(help = "Also remove Dropout nodes that run in inference mode.") boolean removeDropout,
            @Option(help = "Also remove Cast nodes whose input already has the target dtype.") boolean removeNoopCast) {}

    @Override public PassInfo info() {
        return PassInfo.optional("identity_elimination", "Removes Identity, inference Dropout and no-op Cast nodes.");
    }

    @Override public Options defaults() { return new Options(true, true); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(eliminate(graph, options, context));
    }

    private static boolean eliminate(Graph g, ScopedOptions<Options> options, PassContext context) {
        Rewriter rw = g.rewriter();
        boolean changed = false;
        for (Node n : List.copyOf(g.nodes())) {
            Optional<Options> o = options.forNode(n);
            if (o.isPresent() && isForwarding(n, g, o.get()) && forward(g, rw, n)) {
                context.statistics().increment("nodes_removed");
                changed = true;
                continue;
            }
            for (Graph sub : n.subgraphs()) changed |= eliminate(sub, options, context);
        }
        return changed;
    }

    /** Whether result 0 of {@code n} always equals operand 0 and nothing else of {@code n} is read. */
    private static boolean isForwarding(Node n, Graph g, Options o) {
        if (n.operands().isEmpty() || n.operand(0).isAbsent() || n.results().isEmpty() || n.result(0).isAbsent()) {
            return false;
        }
        if (GraphEdits.isOnnx(n, "Identity")) return n.operands().size() == 1 && n.results().size() == 1;
        if (GraphEdits.isOnnx(n, "Dropout") && o.removeDropout()) return isInferenceDropout(n, g);
        if (GraphEdits.isOnnx(n, "Cast") && o.removeNoopCast()) {
            DType from = n.operand(0).tensorType().dtype();
            Optional<Attribute> to = n.attributes().get("to");
            return from != DType.UNDEFINED && to.isPresent() && to.get() instanceof Attribute.IntAttr code
                    && DType.fromOnnx((int) code.value()).orElse(DType.UNDEFINED) == from;
        }
        return false;
    }

    private static boolean isInferenceDropout(Node n, Graph g) {
        // opsets before 7 had is_test; is_test=0 asks for training behaviour
        if (n.attributes().getInt("is_test", 1) == 0) return false;
        if (n.operands().size() > 2) {
            Value trainingMode = n.operand(2);
            if (!trainingMode.isAbsent() && !isConstantFalse(trainingMode)) return false;
        }
        Set<Value> nested = GraphEdits.nestedOutputs(g);
        for (int i = 1; i < n.results().size(); i++) {
            Value mask = n.result(i);
            if (!mask.isAbsent() && GraphEdits.isLive(mask, g, nested)) return false;
        }
        return true;
    }

    private static boolean isConstantFalse(Value v) {
        if (!v.isConstant() || v.data() == null || v.data().elementCount() != 1 || v.data().dtype() != DType.BOOL) return false;
        ByteBuffer b = v.data().bytes();
        return b.get(0) == 0;
    }

    /** Lets readers of result 0 read operand 0 and erases {@code n}; false if a graph output's name forbids it. */
    private static boolean forward(Graph g, Rewriter rw, Node n) {
        Value in = n.operand(0);
        Value out = n.result(0);
        if (!g.isOutput(out)) {
            GraphEdits.replaceAllUses(g, out, in);
            GraphEdits.eraseWithSubgraphs(rw, n);
            return true;
        }
        boolean renamable = in.graph() == g && (in.kind() == Value.Kind.RESULT || in.kind() == Value.Kind.CONSTANT)
                && !g.isOutput(in);
        if (!renamable) return false;
        String name = out.name();
        GraphEdits.replaceAllUses(g, out, in);
        GraphEdits.eraseWithSubgraphs(rw, n);
        rw.renameValue(in, name);
        return true;
    }
}
