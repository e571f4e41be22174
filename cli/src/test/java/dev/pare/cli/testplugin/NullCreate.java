package dev.pare.cli.testplugin;

import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;

/** {@code null_create}: a broken provider whose create() returns null (a test plugin). */
public final class NullCreate implements PassProvider<NullCreate.Options> {

    public record Options() {}

    @Override public PassInfo info() { return PassInfo.optional("null_create", "Returns no pass"); }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) { return null; }
}
