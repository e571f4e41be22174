package dev.pare.cli.testplugin;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;

/** {@code fail_on_op}: fails with T001 on the first node of the given op type (a test plugin). */
public final class FailOnOp implements PassProvider<FailOnOp.Options> {

    public record Options(@Option(help = "The op type that makes the pass fail.") String opType) {}

    @Override public PassInfo info() { return PassInfo.optional("fail_on_op", "Fails on the first node of an op type"); }

    @Override public Options defaults() { return new Options("onnx.Add"); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return new Pass() {
            @Override public PassResult run(Graph graph, PassContext context) throws PassFailure {
                for (Node n : graph.nodes()) {
                    if (options.forNode(n).map(o -> o.opType().equals(n.op())).orElse(false)) {
                        throw new PassFailure("T001", n, "refusing to run on " + n.op());
                    }
                }
                return PassResult.UNCHANGED;
            }
        };
    }
}
