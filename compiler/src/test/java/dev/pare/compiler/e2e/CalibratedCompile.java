package dev.pare.compiler.e2e;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.multibindings.OptionalBinder;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.runtime.CalibrationDataReader;
import dev.pare.ir.Model;
import dev.pare.spi.CalibrationData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Compiles a model with a pipeline that needs calibration data, wired as {@code pare compile
 * --calibration-data} wires it: Guice's CompilerModule with the calibration path in its config and
 * the test's {@link CalibrationDataReader} bound in the reader seam; the model executor is the
 * module's (ONNX Runtime, or the MIL interpreter for a Core ML model). Writes the result as ONNX.
 */
final class CalibratedCompile {

    private CalibratedCompile() {}

    static RunReport compile(Path model, String pipeline, CalibrationData data, Path out) throws Exception {
        Compiled c = compile(model, pipeline, data);
        new OnnxFormat().write(OnnxLowering.lower(c.model()), out);
        return c.report();
    }

    /** The compiled IR (still holding {@code pare.quantize}/{@code pare.dequantize}) and the run's report. */
    record Compiled(Model model, RunReport report) {}

    static Compiled compile(Path model, String pipeline, CalibrationData data) throws Exception {
        return compile(new OnnxFormat().read(model), pipeline, data);
    }

    /** As above on a model already read (e.g. a Core ML package: the module's executor is then the MIL interpreter). */
    static Compiled compile(Model m, String pipeline, CalibrationData data) throws Exception {
        CalibrationDataReader reader = (path, spec, inputs) -> data;
        CompilerConfig config = CompilerConfig.defaults().withCalibrationData(Path.of(data.source()), null);
        Injector injector = Guice.createInjector(new CompilerModule(config),
                binder -> OptionalBinder.newOptionalBinder(binder, CalibrationDataReader.class).setBinding().toInstance(reader));
        PassManagerFactory managers = injector.getInstance(PassManagerFactory.class);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        RunReport report = managers.create(PassManagerOptions.DEFAULTS, quiet, null)
                .run(injector.getInstance(PipelineCompiler.class).parseArgument(pipeline), m);
        return new Compiled(m, report);
    }
}
