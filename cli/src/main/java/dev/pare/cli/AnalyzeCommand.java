package dev.pare.cli;

import dev.pare.compiler.analyze.Candidates;
import dev.pare.compiler.analyze.SensitivityAnalysis;
import dev.pare.compiler.analyze.WeightSizes;
import dev.pare.compiler.analyze.SensitivityJson;
import dev.pare.compiler.analyze.SensitivityReport;
import dev.pare.compiler.analyze.SensitivityText;
import dev.pare.compiler.data.CalibrationDataReaders;
import dev.pare.compiler.data.Labels;
import dev.pare.compiler.data.SampleSource;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.ir.Model;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.Progress;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pare analyze MODEL --calibration-data DATA}: per-weight sensitivity to each compression candidate. */
@Command(name = "analyze", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Measures, for every compressible weight and every candidate setting, how far the model's outputs "
                + "move when only that weight is compressed (SNR in dB against the float outputs; with --labels also "
                + "top-1 accuracy), and the weight's size at each setting.",
                "Candidates are pipeline steps (default, the set data_aware: palettize 8/6/4/3/2-bit, int8 per channel, int4 per "
                        + "block of 32, prune 50%%/75%%, with algorithm=gptq/sparsegpt and bias_correction=total, as mixed_precision "
                        + "applies them; the set rtn: the same round-to-nearest). The --json output can be given to "
                        + "mixed_precision{analysis=\"FILE\"}."})
final class AnalyzeCommand implements Callable<Integer> {

    @ParentCommand Main main;
    @Spec CommandSpec spec;
    @Mixin PluginOptions plugins;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The model to analyse, e.g. model.onnx or model.mlpackage.")
    Path model;

    @Option(names = "--calibration-data", paramLabel = "PATH", required = true,
            description = "Sample inputs (the formats of pare compare --data).")
    Path calibrationData;

    @Option(names = "--calibration-spec", paramLabel = "SPEC",
            description = "How to read --calibration-data that does not describe itself (a raw float32 shape, or image preprocessing).")
    String calibrationSpec;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "Class labels, one per sample in order (text, .npy or .u8): also measure top-1 accuracy of the first output.")
    Path labels;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "64",
            description = "Use the first N samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--candidates", paramLabel = "STEPS",
            description = "The candidate settings: pipeline steps separated by commas (a pipeline name or @FILE works too), "
                    + "e.g. 'palettize{nbits=4}, quantize_weights{dtype=int8}'; no on/except; or a set: data_aware (default) or rtn.")
    String candidates;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the candidate passes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N",
            description = "Weights analysed at once (default: all cores); the result is the same for any N.")
    Integer threads;

    @Option(names = "--sizes", paramLabel = "FORMAT",
            description = "Count each weight's bytes as this output format stores it: onnx (the written .onnx file: padded "
                    + "indices, unpack constants, LUT offsets) or ir (the pare dialect's constants, as a Core ML package holds "
                    + "them); default: onnx for an ONNX model, else ir. mixed_precision needs the count of its output's format.")
    String sizes;

    @Option(names = "--json", description = "Print JSON (sorted keys, schema in README.md) instead of tables.")
    boolean json;

    @Option(names = "--save-json", paramLabel = "FILE",
            description = "Also write the JSON to FILE (for mixed_precision{analysis=\"FILE\"}), whatever stdout shows.")
    Path saveJson;

    @Option(names = {"-q", "--quiet"}, description = "Show no progress.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        if (samples < 1) throw new CliException(ExitCodes.USAGE, "--samples must be at least 1, got " + samples);
        if (threads != null && threads < 1) throw new CliException(ExitCodes.USAGE, "--threads must be at least 1, got " + threads);
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        CompilerSession session = CompilerSession.open(plugins, calibrationData, calibrationSpec, CalibrationPolicy.DEFAULT, workers);
        try {
            return analyze(session, workers);
        } finally {
            session.closeTensorStore();
        }
    }

    private Integer analyze(CompilerSession session, int workers) {
        List<Candidates.Candidate> list;
        try {
            list = Candidates.parsePipeline(session.pipelines(), candidates != null ? candidates : Candidates.DATA_AWARE_SET);
        } catch (PipelineException e) {
            throw CliException.rendered(ExitCodes.USAGE, e.getMessage(), e);
        } catch (Candidates.CandidateException e) {
            throw new CliException(ExitCodes.USAGE, "--candidates: " + e.getMessage(), e);
        }
        if (labels != null && !Files.isRegularFile(labels)) throw new CliException(ExitCodes.BAD_INPUT, labels + ": no such file");
        Model m;
        try {
            m = new Compilation(main.formats()).readInput(model);
        } catch (CompilationException e) {
            throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        }
        int[] labelValues = null;
        if (labels != null) {
            try {
                labelValues = Labels.read(labels);
            } catch (IOException e) {
                throw new CliException(ExitCodes.BAD_INPUT, labels + ": " + e.getMessage(), e);
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        ProgressPrinter printer = quiet ? null : new ProgressPrinter(err, main.terminal(),
                main.progressClock() == null ? System::nanoTime : main.progressClock());
        Progress progress = printer == null ? Progress.NONE : printer;
        PassManagerFactory managers = session.passManagers();
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        WeightSizes counted = sizes == null ? WeightSizes.forOutput(m) : WeightSizes.of(sizes).orElseThrow(() ->
                new CliException(ExitCodes.USAGE, "--sizes '" + sizes + "': choose " + WeightSizes.choices()));
        SensitivityAnalysis analysis = new SensitivityAnalysis((p, copy) -> managers
                .create(PassManagerOptions.DEFAULTS.withSeed(seed), none, dir -> dir).run(p, copy), session.executor(m), workers, progress,
                counted);
        SensitivityReport report;
        try (SampleSource data = CalibrationDataReaders.open(calibrationData, calibrationSpec, m)) {
            if (labelValues != null && labelValues.length != data.size()) {
                throw new CliException(ExitCodes.BAD_INPUT, labels + ": " + labelValues.length + " labels for the "
                        + data.size() + " samples of " + calibrationData);
            }
            report = analysis.run(m, model.toString(), list, data, samples, labelValues, labels == null ? null : labels.toString());
        } catch (IOException e) {
            throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
        } catch (SensitivityAnalysis.AnalysisException e) {
            throw new CliException(ExitCodes.COMPILE_FAILED, model + ": " + e.getMessage(), e);
        }
        String jsonText = SensitivityJson.write(report);
        if (saveJson != null) {
            try {
                Files.writeString(saveJson, jsonText);
            } catch (IOException e) {
                throw new CliException(ExitCodes.OUTPUT_FAILED, "--save-json " + saveJson + ": cannot write: " + e.getMessage(), e);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? jsonText : SensitivityText.render(report));
        out.flush();
        return ExitCodes.OK;
    }
}
