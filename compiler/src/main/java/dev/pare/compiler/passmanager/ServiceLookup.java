package dev.pare.compiler.passmanager;

import java.util.Map;
import java.util.Optional;

/** Where {@link dev.pare.spi.PassContext#service} finds services (a map, or Guice bindings). */
@FunctionalInterface
public interface ServiceLookup {

    <T> Optional<T> find(Class<T> type);

    /**
     * The services of a pipeline run over {@code model}: services that depend on the model (such as
     * the model executor, which needs its opsets) are made here. The default has none.
     */
    default ServiceLookup forModel(dev.pare.ir.Model model) { return this; }

    static ServiceLookup none() { return of(Map.of()); }

    static ServiceLookup of(Map<Class<?>, ?> services) {
        Map<Class<?>, ?> copy = Map.copyOf(services);
        return new ServiceLookup() {
            @Override public <T> Optional<T> find(Class<T> type) { return Optional.ofNullable(type.cast(copy.get(type))); }
        };
    }
}
