package dev.pare.compiler.testpasses;

import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.PipelineResource;
import dev.pare.compiler.registry.RegistryException;
import java.net.URL;
import java.util.List;

/** The registry most tests use: the test passes and one built-in pipeline file from test resources. */
public final class TestRegistries {

    private TestRegistries() {}

    public static PassRegistry standard() {
        try {
            URL builtin = TestRegistries.class.getResource("/test-builtins/cleanup_test.pipeline");
            return PassRegistry.of(List.of(new MarkPass(), new SimplePasses.EraseOneDead(), new SimplePasses.AlwaysChanged(),
                            new SimplePasses.Quantize(), new SimplePasses.ReverseNodes(), new SimplePasses.Explode(),
                            new SimplePasses.Draw()),
                    List.of(new PipelineResource("cleanup_test.pipeline", builtin)));
        } catch (RegistryException e) {
            throw new AssertionError(e);
        }
    }
}
