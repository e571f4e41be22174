package dev.pare.compiler.inject;

import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;
import dev.pare.compiler.passmanager.ServiceLookup;
import jakarta.inject.Inject;
import java.util.Optional;

/** Services for {@link dev.pare.spi.PassContext#service}: whatever the injector has an explicit binding for. */
public final class GuiceServiceLookup implements ServiceLookup {

    private final Injector injector;

    @Inject
    public GuiceServiceLookup(Injector injector) { this.injector = injector; }

    @Override public <T> Optional<T> find(Class<T> type) {
        Binding<T> binding = injector.getExistingBinding(Key.get(type));
        return binding == null ? Optional.empty() : Optional.ofNullable(binding.getProvider().get());
    }
}
