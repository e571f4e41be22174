package dev.pare.compiler.testpasses;

import dev.pare.ir.Attribute;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import java.util.Optional;

/** Test pass {@code mark}: writes its per-node nbits/mode into node attributes; options of every supported type. */
public final class MarkPass implements PassProvider<MarkPass.Options> {

    public enum Mode { KMEANS, UNIFORM, UNIQUE }

    public record Options(
            @Option(help = "bits per weight", min = 1, max = 8) int nbits,
            @Option(help = "clustering mode") Mode mode,
            @Option(help = "channels per group", min = 1) int groupSize,
            @Option(help = "smallest weight magnitude kept", min = 0, max = 1) double threshold,
            @Option(help = "scale factor") float scale,
            @Option(help = "allowed bit widths", min = 1, max = 8) List<Integer> bits,
            @Option(help = "log more") boolean verbose,
            @Option(help = "a label") String label,
            @Option(help = "a big number", min = 0) long budget) {

        public Options {
            if (groupSize % 2 != 0) throw new IllegalArgumentException("group_size must be even, got " + groupSize);
            bits = List.copyOf(bits);
        }
    }

    @Override public PassInfo info() { return PassInfo.optional("mark", "marks nodes with their options"); }

    @Override public Options defaults() {
        return new Options(8, Mode.KMEANS, 16, 0.5, 1.0f, List.of(2, 4, 8), false, "x", 1000L);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (Graph graph, dev.pare.spi.PassContext context) -> {
            var rw = graph.rewriter();
            for (Node n : graph.nodes()) {
                Optional<Options> o = options.forNode(n);
                var attrs = n.attributes().without("nbits").without("mode");
                if (o.isPresent()) {
                    attrs = attrs.with("nbits", new Attribute.IntAttr(o.get().nbits()))
                            .with("mode", new Attribute.StringAttr(o.get().mode().name().toLowerCase()));
                    context.statistics().increment("nodes_marked");
                }
                rw.setAttributes(n, attrs);
            }
            return PassResult.of(rw.changed());
        };
    }
}
