package dev.pare.compiler.passmanager;

import java.util.Map;
import java.util.Optional;

/** Where {@link dev.pare.spi.PassContext#service} finds services (a map, or Guice bindings). */
@FunctionalInterface
public interface ServiceLookup {

    <T> Optional<T> find(Class<T> type);

    static ServiceLookup none() { return of(Map.of()); }

    static ServiceLookup of(Map<Class<?>, ?> services) {
        Map<Class<?>, ?> copy = Map.copyOf(services);
        return new ServiceLookup() {
            @Override public <T> Optional<T> find(Class<T> type) { return Optional.ofNullable(type.cast(copy.get(type))); }
        };
    }
}
