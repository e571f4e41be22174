package dev.pare.compiler.inject;

import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;
import dev.pare.compiler.passmanager.ServiceLookup;
import dev.pare.compiler.runtime.ModelExecutorFactory;
import dev.pare.ir.Model;
import dev.pare.spi.ModelExecutor;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Services for {@link dev.pare.spi.PassContext#service}: whatever the injector has an explicit binding
 * for; in a run over a model also the {@link ModelExecutor} that the bound
 * {@link ModelExecutorFactory} makes for that model (made on first use).
 */
public final class GuiceServiceLookup implements ServiceLookup {

    private final Injector injector;

    @Inject
    public GuiceServiceLookup(Injector injector) { this.injector = injector; }

    @Override public <T> Optional<T> find(Class<T> type) { return bound(injector, type); }

    @Override public ServiceLookup forModel(Model model) {
        return new ServiceLookup() {
            private ModelExecutor executor;

            @Override public <T> Optional<T> find(Class<T> type) {
                if (type == ModelExecutor.class) {
                    synchronized (this) {
                        if (executor == null) {
                            executor = bound(injector, ModelExecutorFactory.class).map(f -> f.forModel(model)).orElse(null);
                        }
                    }
                    return Optional.ofNullable(type.cast(executor));
                }
                return bound(injector, type);
            }
        };
    }

    private static <T> Optional<T> bound(Injector injector, Class<T> type) {
        Binding<T> binding = injector.getExistingBinding(Key.get(type));
        return binding == null ? Optional.empty() : Optional.ofNullable(binding.getProvider().get());
    }
}
