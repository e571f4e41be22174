package dev.pare.compiler.testpasses;

import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import jakarta.inject.Inject;

/** Providers listed in this module's test META-INF/services, for discovery tests. */
public final class DiscoveredPasses {

    private DiscoveredPasses() {}

    /** A plain provider with a no-arg constructor. */
    public static final class Plain implements PassProvider<SimplePasses.NoOptions> {
        @Override public PassInfo info() { return PassInfo.optional("test_discovered", "found through META-INF/services"); }
        @Override public SimplePasses.NoOptions defaults() { return new SimplePasses.NoOptions(); }
        @Override public Pass create(ScopedOptions<SimplePasses.NoOptions> options) { return (g, c) -> PassResult.UNCHANGED; }
    }

    /** A service a provider can have injected. */
    public static class Greeting {
        public String text() { return "hello"; }
    }

    /** A provider with only an injecting constructor (ServiceLoader itself could not build it). */
    public static final class Injected implements PassProvider<SimplePasses.NoOptions> {
        private final Greeting greeting;

        @Inject
        public Injected(Greeting greeting) { this.greeting = greeting; }

        public Greeting greeting() { return greeting; }

        @Override public PassInfo info() { return PassInfo.optional("test_injected", "built by Guice"); }
        @Override public SimplePasses.NoOptions defaults() { return new SimplePasses.NoOptions(); }
        @Override public Pass create(ScopedOptions<SimplePasses.NoOptions> options) {
            return (g, c) -> {
                c.statistics().add(greeting.text(), 1);
                return PassResult.UNCHANGED;
            };
        }
    }
}
