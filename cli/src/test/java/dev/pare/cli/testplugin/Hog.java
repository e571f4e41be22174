package dev.pare.cli.testplugin;

import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.Progress;
import dev.pare.spi.ScopedOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hog}: reports progress while it keeps 1 MiB blocks until the heap runs out, as a pass
 * working on a model too big for the heap would (a test plugin; run it only in a child JVM with a
 * small -Xmx). {@code steps} is the task's total.
 */
public final class Hog implements PassProvider<Hog.Options> {

    public record Options(@Option(help = "Blocks to allocate.") long steps) {}

    @Override public PassInfo info() { return PassInfo.optional("hog", "Allocates until the heap runs out"); }

    @Override public Options defaults() { return new Options(1_000_000); }

    @Override public Pass create(ScopedOptions<Options> options) {
        long steps = options.base().steps();
        return (graph, context) -> {
            Progress p = context.progress();
            p.start("allocate", steps, "blocks");
            List<byte[]> kept = new ArrayList<>();
            for (long i = 0; i < steps; i++) {
                kept.add(new byte[1 << 20]);
                p.advance(1, 1 << 20, "block " + i);
            }
            return PassResult.of(kept.isEmpty());
        };
    }
}
