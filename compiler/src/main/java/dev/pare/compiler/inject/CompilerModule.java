package dev.pare.compiler.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.OptionalBinder;
import dev.pare.compiler.passmanager.PassInstrumentation;
import dev.pare.compiler.passmanager.ServiceLookup;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.runtime.CalibrationDataReader;
import dev.pare.compiler.runtime.ModelExecutorFactory;
import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.compiler.registry.RegistryException;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.TensorStore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Guice wiring of the compiler: the pass registry (providers built by this injector, so they may
 * {@code @Inject} anything bound here or in modules installed next to it), the shared worker
 * pool, the service lookup passes see (with an ONNX Runtime model executor per compiled model),
 * the pipeline compiler and the pass-manager factory. Extra instrumentations can be added with {@code Multibinder.newSetBinder(binder(), PassInstrumentation.class)}.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(new CompilerModule(config), new MyServicesModule());
 * PassRegistry registry = CompilerModule.registry(injector);      // throws RegistryException
 * PipelineCompiler pipelines = injector.getInstance(PipelineCompiler.class);
 * PassManagerFactory managers = injector.getInstance(PassManagerFactory.class);
 * }</pre>
 */
public final class CompilerModule extends AbstractModule {

    private final CompilerConfig config;

    public CompilerModule(CompilerConfig config) { this.config = config; }

    @Override protected void configure() {
        bind(CompilerConfig.class).toInstance(config);
        bind(ServiceLookup.class).to(GuiceServiceLookup.class);
        Multibinder.newSetBinder(binder(), PassInstrumentation.class);
        // Calibration data from --calibration-data: .npy/.npz folders, raw float32, images.
        OptionalBinder.newOptionalBinder(binder(), CalibrationDataReader.class).setDefault()
                .toInstance(dev.pare.compiler.data.CalibrationDataReaders::open);
        bind(dev.pare.spi.CalibrationPolicy.class).toInstance(config.calibrationPolicy());
    }

    /**
     * What runs the model when a pass asks for a {@link dev.pare.spi.ModelExecutor}: ONNX Runtime, or
     * for a Core ML program the MIL reference interpreter.
     */
    @Provides @Singleton
    ModelExecutorFactory modelExecutors() {
        return model -> dev.pare.compiler.coreml.CoreMlKeys.FORMAT.equals(model.format())
                ? new dev.pare.compiler.coreml.eval.MilModelExecutor() : new OrtModelExecutor(model, config.threads());
    }

    @Provides @Singleton
    PassRegistry passRegistry(Injector injector) throws RegistryException {
        return PassRegistry.discover(config.pluginPath(), injector);
    }

    @Provides @Singleton
    PipelineCompiler pipelineCompiler(PassRegistry registry) {
        return new PipelineCompiler(registry, config.pipelinePath());
    }

    /** Daemon threads, so a forgotten shutdown never keeps the JVM alive. */
    @Provides @Singleton
    ExecutorService workers() {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "pare-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        return Executors.newFixedThreadPool(config.threads(), threads);
    }

    /**
     * Where passes put the tensors they create (compressed weights): a temporary file, created on
     * first use and already deleted while open, that the injector's owner closes once the model
     * is written ({@link #closeTensorStore}).
     */
    @Provides @Singleton
    TensorStore tensorStore() {
        return FileTensorStore.temporary();
    }

    /**
     * Closes the injector's tensor store (cheap if no pass used it: the file is made on first use);
     * tensors not read before can no longer be.
     */
    public static void closeTensorStore(Injector injector) {
        injector.getInstance(TensorStore.class).close();
    }

    /** The injector's registry, with a discovery failure unwrapped from Guice's exception. */
    public static PassRegistry registry(Injector injector) throws RegistryException {
        try {
            return injector.getInstance(PassRegistry.class);
        } catch (ProvisionException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof RegistryException r) throw r;
            }
            throw e;
        }
    }
}
