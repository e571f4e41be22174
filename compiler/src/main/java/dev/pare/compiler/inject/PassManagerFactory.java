package dev.pare.compiler.inject;

import dev.pare.compiler.passmanager.InputModelWriter;
import dev.pare.compiler.passmanager.PassInstrumentation;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.ServiceLookup;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.TensorStore;
import dev.pare.spi.Progress;
import jakarta.inject.Inject;
import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * Builds {@link PassManager}s wired to the injector's registry, worker pool, services, tensor store and any
 * {@link PassInstrumentation}s contributed through a Guice {@code Multibinder}.
 */
public final class PassManagerFactory {

    private final PassRegistry registry;
    private final ExecutorService executor;
    private final ServiceLookup services;
    private final TensorStore tensorStore;
    private final List<PassInstrumentation> instrumentations;

    @Inject
    public PassManagerFactory(PassRegistry registry, ExecutorService executor, ServiceLookup services,
                              TensorStore tensorStore, Set<PassInstrumentation> instrumentations) {
        this.registry = registry;
        this.executor = executor;
        this.services = services;
        this.tensorStore = tensorStore;
        this.instrumentations = List.copyOf(instrumentations);
    }

    public PassManager create(PassManagerOptions options, PrintStream output, InputModelWriter inputModelWriter)
            throws PassManagerException {
        return create(options, output, inputModelWriter, Progress.NONE);
    }

    /** As {@link #create(PassManagerOptions, PrintStream, InputModelWriter)}, with passes reporting to {@code progress}. */
    public PassManager create(PassManagerOptions options, PrintStream output, InputModelWriter inputModelWriter,
                              Progress progress) throws PassManagerException {
        PassManager.Builder b = PassManager.builder(registry).options(options).output(output).executor(executor)
                .services(services).tensorStore(tensorStore).inputModelWriter(inputModelWriter).progress(progress);
        instrumentations.forEach(b::instrumentation);
        return b.build();
    }
}
