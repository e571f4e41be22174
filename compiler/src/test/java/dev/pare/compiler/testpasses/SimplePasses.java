package dev.pare.compiler.testpasses;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Small test providers for the pass manager. */
public final class SimplePasses {

    private SimplePasses() {}

    public record NoOptions() {}

    /** {@code erase_one_dead}: erases the last node nobody uses, one per run (so a fixpoint needs several runs). */
    public static final class EraseOneDead implements PassProvider<NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("erase_one_dead", "erases one dead node"); }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) {
            return (graph, context) -> {
                List<Node> nodes = new ArrayList<>(graph.nodes());
                Collections.reverse(nodes);
                for (Node n : nodes) {
                    boolean dead = n.results().stream().noneMatch(r -> r.hasUses() || graph.isOutput(r));
                    if (dead) {
                        graph.rewriter().erase(n);
                        context.statistics().increment("erased");
                        return PassResult.CHANGED;
                    }
                }
                return PassResult.UNCHANGED;
            };
        }
    }

    /** {@code always_changed}: claims a change every time; a fixpoint over it never converges. */
    public static final class AlwaysChanged implements PassProvider<NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("always_changed", "claims to change the graph"); }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) { return (graph, context) -> PassResult.CHANGED; }
    }

    /** {@code quantize}: a required pass that does nothing. */
    public static final class Quantize implements PassProvider<NoOptions> {
        @Override public PassInfo info() { return PassInfo.required("quantize", "stands for a compression pass"); }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) { return (graph, context) -> PassResult.UNCHANGED; }
    }

    /** {@code reverse_nodes}: a buggy pass that breaks topological order. */
    public static final class ReverseNodes implements PassProvider<NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("reverse_nodes", "reverses the node order (a bug)"); }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) {
            return (graph, context) -> {
                List<Node> order = new ArrayList<>(graph.nodes());
                Collections.reverse(order);
                graph.rewriter().reorder(order);
                return PassResult.CHANGED;
            };
        }
    }

    public record ExplodeOptions(@Option(help = "op type to fail on") String opType,
                                 @Option(help = "throw an unexpected exception instead") boolean unexpected) {}

    /** {@code explode}: fails on the first node of an op type. */
    public static final class Explode implements PassProvider<ExplodeOptions> {
        @Override public PassInfo info() { return PassInfo.optional("explode", "fails on purpose"); }
        @Override public ExplodeOptions defaults() { return new ExplodeOptions("Conv", false); }
        @Override public Pass create(ScopedOptions<ExplodeOptions> options) {
            return (Graph graph, dev.pare.spi.PassContext context) -> {
                for (Node n : graph.nodes()) {
                    if (n.opType().equals(options.base().opType())) {
                        if (options.base().unexpected()) throw new IllegalStateException("index out of bounds in " + n.name());
                        throw new PassFailure("X001", n, "weights are not constant");
                    }
                }
                return PassResult.UNCHANGED;
            };
        }
    }

    /** {@code draw}: records one random long per run in statistics (to check seeding). */
    public static final class Draw implements PassProvider<NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("draw", "draws a random number"); }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) {
            return (graph, context) -> {
                context.statistics().add("value", context.random().nextInt(1_000_000));
                return PassResult.UNCHANGED;
            };
        }
    }

}
