package dev.pare.cli.testplugin;

import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;

/**
 * {@code explode}: throws a JVM error the pass manager does not turn into a pass failure
 * ({@code what="oom"}: an OutOfMemoryError; {@code "error"}: an Error whose message holds an
 * escape sequence), as a plugin running out of memory would (a test plugin).
 */
public final class Explode implements PassProvider<Explode.Options> {

    public record Options(@Option(help = "oom or error.") String what) {}

    @Override public PassInfo info() { return PassInfo.optional("explode", "Throws a JVM error"); }

    @Override public Options defaults() { return new Options("oom"); }

    @Override public Pass create(ScopedOptions<Options> options) {
        String what = options.base().what();
        return (graph, context) -> {
            if (what.equals("oom")) throw new OutOfMemoryError("Java heap space");
            throw new Error("boom\u001b[2J\nsecond line");
        };
    }
}
