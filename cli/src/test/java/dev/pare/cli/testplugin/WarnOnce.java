package dev.pare.cli.testplugin;

import dev.pare.ir.Graph;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;

/** {@code warn_once}: a required pass that changes nothing and reports one warning on the first node (a test plugin). */
public final class WarnOnce implements PassProvider<WarnOnce.Options> {

    public record Options() {}

    @Override public PassInfo info() { return PassInfo.required("warn_once", "Reports one warning"); }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (Graph graph, dev.pare.spi.PassContext context) -> {
            context.diagnostics().warn("T002", graph.nodes().get(0).location(), "first node is " + graph.nodes().get(0).name());
            return PassResult.UNCHANGED;
        };
    }
}
