package dev.pare.compiler.inject;

import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import dev.pare.compiler.passmanager.ServiceLookup;
import dev.pare.compiler.runtime.CalibrationDataReader;
import dev.pare.compiler.runtime.ModelExecutorFactory;
import dev.pare.ir.Model;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.ModelExecutor;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Services for {@link dev.pare.spi.PassContext#service}: whatever the injector has an explicit binding
 * for. In a run over a model also, made on first use: the {@link ModelExecutor} that the bound
 * {@link ModelExecutorFactory} makes for that model, and the {@link CalibrationData} that the bound
 * {@link CalibrationDataReader} opens from {@link CompilerConfig#calibrationData()} (a reading
 * failure reaches the pass as an {@link UncheckedIOException}; it is closed after the run).
 */
public final class GuiceServiceLookup implements ServiceLookup {

    private static final Key<Optional<CalibrationDataReader>> READER = Key.get(new TypeLiteral<>() {});

    private final Injector injector;

    @Inject
    public GuiceServiceLookup(Injector injector) { this.injector = injector; }

    @Override public <T> Optional<T> find(Class<T> type) { return bound(injector, type); }

    @Override public ServiceLookup forModel(Model model) { return new ModelServices(model); }

    private static <T> Optional<T> bound(Injector injector, Class<T> type) {
        Binding<T> binding = injector.getExistingBinding(Key.get(type));
        return binding == null ? Optional.empty() : Optional.ofNullable(binding.getProvider().get());
    }

    /** The services of one pipeline run over {@code model}. */
    private final class ModelServices implements ServiceLookup, AutoCloseable {
        private final Model model;
        private ModelExecutor executor;
        private CalibrationData calibration;

        ModelServices(Model model) { this.model = model; }

        @Override public synchronized <T> Optional<T> find(Class<T> type) {
            if (type == ModelExecutor.class) {
                if (executor == null) executor = bound(injector, ModelExecutorFactory.class).map(f -> f.forModel(model)).orElse(null);
                return Optional.ofNullable(type.cast(executor));
            }
            if (type == CalibrationData.class) {
                if (calibration == null) calibration = openCalibration();
                return Optional.ofNullable(type.cast(calibration));
            }
            return bound(injector, type);
        }

        private CalibrationData openCalibration() {
            Optional<CompilerConfig> config = bound(injector, CompilerConfig.class);
            if (config.isEmpty() || config.get().calibrationData().isEmpty()) return null;
            Path path = config.get().calibrationData().get();
            Binding<Optional<CalibrationDataReader>> binding = injector.getExistingBinding(READER);
            Optional<CalibrationDataReader> reader = binding == null ? Optional.empty() : binding.getProvider().get();
            if (reader.isEmpty()) {
                throw new UncheckedIOException(new IOException("--calibration-data " + path + ": no calibration-data reader is installed"));
            }
            try {
                return reader.get().open(path, config.get().calibrationSpec().orElse(null), model);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override public synchronized void close() throws Exception {
            if (calibration instanceof AutoCloseable c) c.close();
        }
    }
}
