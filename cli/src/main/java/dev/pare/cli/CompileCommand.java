package dev.pare.cli;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.driver.CompileResult;
import dev.pare.compiler.driver.InputShapeOverrides;
import dev.pare.compiler.coreml.CoreMlExporter;
import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.onnx.OnnxKeys;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.coreml.lower.CoreMlCode;
import dev.pare.spi.BadDataFailure;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.MessageText;
import dev.pare.spi.ModelFormatException;
import dev.pare.spi.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.registry.PassRegistry;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code pare compile MODEL -o OUT}: read, verify, run the pipeline, verify, write. */
@Command(name = "compile", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Reads MODEL, compiles it and writes the result to OUT.",
                "The output format follows OUT's extension. OUT is never the input file, and an existing "
                        + "OUT is replaced only with --force. Without --pipeline the DEFAULT pipeline runs "
                        + "(the CLEANUP passes). Instrumentation output and pass warnings go to stderr."})
final class CompileCommand implements Callable<Integer> {

    /** What runs when {@code --pipeline} is not given. */
    static final String DEFAULT_PIPELINE = "DEFAULT";

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The input model, e.g. model.onnx.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Where to write the compiled model.")
    Path output;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    boolean force;

    @Option(names = "--pipeline", paramLabel = "PIPELINE", defaultValue = DEFAULT_PIPELINE,
            description = "A pipeline NAME, inline steps (e.g. 'simplify_arithmetic, CLEANUP') or @FILE; default: ${DEFAULT-VALUE}.")
    String pipeline;

    @Mixin PluginOptions plugins;

    @Option(names = "--budget", paramLabel = "SIZE",
            description = "Shorthand for a mixed_precision step before the pipeline: bits per weight (2.5), a size "
                    + "(170KiB, 180000B) or a ratio of the weights' current size (20%%); needs --calibration-data.")
    String budget;

    @Option(names = "--calibration-data", paramLabel = "DIR",
            description = "Sample inputs for passes that run the model (activation_quantize, e.g. in W8A8): "
                    + "a folder or file of samples, read one at a time.")
    Path calibrationData;

    @Option(names = "--calibration-spec", paramLabel = "SPEC",
            description = "How to read --calibration-data that does not describe itself (a raw float32 shape, or image preprocessing).")
    String calibrationSpec;

    @Option(names = "--skip-nonfinite-samples",
            description = "Leave out calibration samples holding NaN or infinity (in an input, or at a tensor the model "
                    + "computes) with one warning counting them, instead of stopping at the first.")
    boolean skipNonFiniteSamples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seeds every pass's random generator (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N",
            description = "Worker threads for per-weight work such as compression (default: all cores); "
                    + "the output is the same for any N.")
    Integer threads;

    @Option(names = "--disable-pass", paramLabel = "PASS", split = ",",
            description = "Skip this optional pass wherever the pipeline runs it; repeatable or comma-separated.")
    List<String> disabledPasses = List.of();

    @Option(names = "--timing", description = "Print a table of time spent per pass after the pipeline.")
    boolean timing;

    @Option(names = "--pass-statistics", description = "Print each step's counters after the pipeline.")
    boolean passStatistics;

    @Option(names = "--print-ir-before", paramLabel = "PASS", split = ",",
            description = "Print the IR before each run of this pass; repeatable or comma-separated.")
    List<String> printIrBefore = List.of();

    @Option(names = "--print-ir-after", paramLabel = "PASS", split = ",",
            description = "Print the IR after each run of this pass; repeatable or comma-separated.")
    List<String> printIrAfter = List.of();

    @Option(names = "--print-ir-after-all", description = "Print the IR after every pass.")
    boolean printIrAfterAll;

    @Option(names = "--print-ir-after-change", description = "Print the IR after a pass only if the pass changed it.")
    boolean printIrAfterChange;

    @Option(names = "--reproducer", paramLabel = "DIR",
            description = "If a pass fails, write the input model, the canonical pipeline and the seed to DIR, "
                    + "with the command that replays the failure.")
    Path reproducer;

    @Option(names = "--no-verify",
            description = "Do not verify the graph after every pass (the input and the final model are still verified).")
    boolean noVerify;

    @Option(names = "--verbose", description = "Print every note of the passes, and stack traces of errors.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Show no progress (warnings and errors are still printed).")
    boolean quiet;

    @Option(names = "--target", paramLabel = "TARGET",
            description = "Core ML deployment target of a .mlpackage/.mlmodel output: ios16, ios17, ios18 or ios26 "
                    + "(default: the version the input was read with; ios17 for conversions).")
    String target;

    @Option(names = "--external-data-threshold", paramLabel = "BYTES",
            description = "For .onnx outputs: write every initializer of at least BYTES bytes to OUT.data "
                    + "(default: only tensors the pipeline made, from 1 MiB; a model over 2 GiB always uses OUT.data).")
    Long externalDataThreshold;

    @Option(names = "--input-shape", paramLabel = "NAME=D0,D1,...",
            description = "Fix the dimensions of an input before the pipeline, e.g. input_ids=1,128; repeatable. "
                    + "For Core ML outputs, NAME=S1|S2|... gives enumerated shapes (the first is the default), "
                    + "e.g. input_ids=1,64|1,128.")
    List<String> inputShapes = List.of();

    /** The pass appended when an ONNX model is written as Core ML. */
    static final String CONVERT_TO_MIL = "convert_to_mil";

    @Override public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (threads != null && threads < 1) throw new CliException(ExitCodes.USAGE, "--threads must be at least 1, got " + threads);
        // Plugins, the pipeline and the pass-manager flags are checked before the model is read.
        CompilerSession session = CompilerSession.open(plugins, calibrationData, calibrationSpec,
                new CalibrationPolicy(skipNonFiniteSamples), threads != null ? threads : Runtime.getRuntime().availableProcessors());
        try {
            return compile(session, err);
        } finally {
            session.closeTensorStore(); // the compressed weights' temporary file, once the model is written
        }
    }

    private Integer compile(CompilerSession session, PrintWriter err) {
        PipelineSpec pipelineSpec = session.pipeline(pipeline);
        PrintStream instrumentation = new PrintStream(new WriterOutputStream(err), true, StandardCharsets.UTF_8);
        ProgressPrinter printer = quiet ? null : new ProgressPrinter(err, main.terminal(),
                main.progressClock() == null ? System::nanoTime : main.progressClock());
        Progress progress = printer == null ? Progress.NONE : printer;
        PassManager passManager;
        try {
            passManager = session.passManagers().create(passManagerOptions(), instrumentation, this::copyInputModel, progress);
        } catch (PassManagerException e) {
            throw new CliException(ExitCodes.USAGE, List.of(e.getMessage().split("\n")), e);
        }
        Map<String, List<Long>> shapes = new LinkedHashMap<>();
        Map<String, List<List<Long>>> enumerated = new LinkedHashMap<>();
        inputShapes(shapes, enumerated);
        // enumerated shapes for a format that cannot hold them are refused by the compilation (one refusal)
        Map<String, String> properties = new LinkedHashMap<>();
        List<PipelineSpec> pipelines = new ArrayList<>(List.of(pipelineSpec));
        if (budget != null) {
            try {
                pipelines.add(0, session.pipeline(dev.pare.compiler.analyze.Budget.parse(budget).step()));
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, "--budget " + e.getMessage(), e);
            }
        }
        PipelineSpec conversionFirst = null; // tried on a copy before a compressing pipeline, which can take minutes
        if (coreMlOutput()) {
            if (target != null) {
                CoreMlTarget t = CoreMlTarget.parse(target).orElseThrow(() -> new CliException(ExitCodes.USAGE,
                        "--target '" + target + "': choose one of " + CoreMlTarget.choices()));
                properties.put(CoreMlTarget.PROPERTY, t.flag());
            }
            if (needsConversion(onnxInput(), pipelineSpec, session.registry(), output)) {
                pipelines.add(session.pipeline(CONVERT_TO_MIL));
                if (!pipelineSpec.passSteps().isEmpty()) conversionFirst = session.pipeline(CONVERT_TO_MIL);
            }
        } else if (target != null) {
            throw new CliException(ExitCodes.USAGE, "--target applies to Core ML outputs (.mlpackage, .mlmodel), not " + output);
        }
        if (externalDataThreshold != null) {
            if (externalDataThreshold < 0) {
                throw new CliException(ExitCodes.USAGE, "--external-data-threshold " + externalDataThreshold
                        + ": give a byte count of 0 or more");
            }
            if (!formatName(output).equals("onnx")) {
                throw new CliException(ExitCodes.USAGE, "--external-data-threshold applies to ONNX outputs (.onnx), not " + output);
            }
            properties.put(OnnxKeys.EXTERNAL_DATA_THRESHOLD, Long.toString(externalDataThreshold));
        }
        properties.put(CoreMlExporter.PARE_VERSION_PROPERTY, VersionProvider.version());
        properties.put(CoreMlExporter.PARE_PIPELINE_PROPERTY, pipelineText(pipelines));
        // the output format's own lowering of the pare dialect runs last (not recorded as the user's pipeline)
        String lowering = outputLowering();
        if (lowering != null) pipelines.add(session.pipeline(lowering));
        PipelineHook hook = new PipelineHook(passManager, pipelines, conversionFirst, err, verbose, model);
        CompileResult r;
        java.util.concurrent.ScheduledExecutorService ticker = printer == null || main.progressClock() != null ? null
                : ticker(printer);
        try {
            r = new Compilation(main.formats(), hook, progress).run(new CompileRequest(model, output, force, properties, shapes, enumerated));
        } catch (OutOfMemoryError e) {
            throw outOfMemory(e, printer);
        } catch (CompilationException e) {
            if (printer != null) printer.interrupted();
            OutOfMemoryError oom = OutOfMemory.in(e);
            if (oom != null) throw outOfMemory(oom, printer);
            PassManagerException failure = PipelineHook.failure(e);
            if (failure != null) {
                noteReproducerPlugins();
                // unusable calibration data is bad input, as --data is for pare compare; a plugin that
                // breaks its contract (Rnnn) or steps in an order their contracts forbid (M016) is a setup problem;
                // a weight the Core ML target cannot hold (CL001) is an output the format cannot hold, as before lowering was a pass
                int code = failure.getCause() instanceof BadDataFailure ? ExitCodes.BAD_INPUT
                        : failure.code().startsWith("R") || failure.code().equals(CompilerCode.M016.code()) ? ExitCodes.USAGE
                        : failure.code().equals(CoreMlCode.CL001.code()) ? ExitCodes.OUTPUT_FAILED : ExitCodes.COMPILE_FAILED;
                throw new CliException(code, List.of(failure.getMessage()), e);
            }
            throw new CliException(exitCode(e.kind()), e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            if (printer != null) printer.interrupted();
            throw e;
        } finally {
            if (ticker != null) ticker.shutdownNow();
        }
        spec.commandLine().getOut().println(summary(r));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }

    /** Refreshes the progress once a second, so that a task that reports nothing for long still shows. */
    private static java.util.concurrent.ScheduledExecutorService ticker(ProgressPrinter printer) {
        java.util.concurrent.ScheduledExecutorService t = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread th = new Thread(r, "pare-progress");
            th.setDaemon(true);
            return th;
        });
        t.scheduleAtFixedRate(printer::tick, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        return t;
    }

    /** The one-line out-of-memory error, naming the task (and item) that was running. */
    private static CliException outOfMemory(OutOfMemoryError e, ProgressPrinter printer) {
        InternalFailure.releaseReserve(); // room to build the line
        java.util.Optional<String> where = java.util.Optional.empty();
        if (printer != null) {
            printer.interrupted();
            where = printer.where();
        }
        CliException c = OutOfMemory.failure(e, where);
        InternalFailure.restoreReserve();
        return c;
    }

    /** Splits the --input-shape arguments into static shapes and enumerated shapes (several per input). */
    private void inputShapes(Map<String, List<Long>> shapes, Map<String, List<List<Long>>> enumerated) {
        for (String arg : inputShapes) {
            Map.Entry<String, List<List<Long>>> e;
            try {
                e = InputShapeOverrides.parseShapes(arg);
            } catch (IllegalArgumentException x) {
                throw new CliException(ExitCodes.USAGE, x.getMessage());
            }
            if (shapes.containsKey(e.getKey()) || enumerated.containsKey(e.getKey())) {
                throw new CliException(ExitCodes.USAGE, "--input-shape: input '" + e.getKey() + "' is given twice");
            }
            if (e.getValue().size() == 1) shapes.put(e.getKey(), e.getValue().get(0));
            else enumerated.put(e.getKey(), e.getValue());
        }
    }

    /**
     * Whether {@code convert_to_mil} must be appended to the user's pipeline: the input is ONNX
     * and the pipeline does not convert already. Fails if the pass is not installed.
     */
    static boolean needsConversion(boolean onnxInput, PipelineSpec user, PassRegistry registry, Path output) {
        if (!onnxInput || user.passSteps().stream().anyMatch(p -> p.passName().equals(CONVERT_TO_MIL))) return false;
        if (registry.find(CONVERT_TO_MIL).isEmpty()) {
            throw new CliException(ExitCodes.USAGE, "no ONNX->MIL conversion available: writing " + output
                    + " as Core ML needs the " + CONVERT_TO_MIL + " pass, which is not installed");
        }
        return true;
    }

    private String formatName(Path p) {
        try {
            return main.formats().forPath(p).name();
        } catch (ModelFormatException e) {
            return "";   // the compilation reports the unknown extension
        }
    }

    /** The pass that lowers the pare dialect for the output's format, or null (see ModelFormat.loweringPass). */
    private String outputLowering() {
        try {
            return main.formats().forPath(output).loweringPass().orElse(null);
        } catch (ModelFormatException e) {
            return null;   // the compilation reports the unknown extension
        }
    }

    private boolean coreMlOutput() {
        try {
            return CoreMlFormat.isCoreMl(main.formats().forPath(output));
        } catch (ModelFormatException e) {
            return false;   // the compilation reports the unknown extension
        }
    }

    private boolean onnxInput() { return formatName(model).equals("onnx"); }

    /** The pipelines that run, on one line, as Core ML metadata records them. */
    static String pipelineText(List<PipelineSpec> pipelines) {
        StringBuilder sb = new StringBuilder();
        for (PipelineSpec p : pipelines) {
            String text = p.canonicalText().strip().replace(",\n", ", ").replace("\n", " ");
            if (text.isEmpty()) continue;
            if (sb.length() > 0) sb.append(", ");
            sb.append(text);
        }
        return sb.toString();
    }

    private PassManagerOptions passManagerOptions() {
        PassManagerOptions o = PassManagerOptions.DEFAULTS.withVerify(!noVerify).withSeed(seed)
                .withDisabledPasses(set(disabledPasses)).withTiming(timing).withPassStatistics(passStatistics)
                .withPrintIrBefore(set(printIrBefore)).withPrintIrAfter(set(printIrAfter))
                .withPrintIrAfterAll(printIrAfterAll).withPrintIrAfterChange(printIrAfterChange);
        return reproducer == null ? o : o.withReproducerDir(reproducer);
    }

    private static Set<String> set(List<String> names) {
        Set<String> s = new LinkedHashSet<>();
        for (String n : names) if (!n.isBlank()) s.add(n.strip());
        return s;
    }

    /** The reproducer's copy of the model the run started from (the in-memory graph was already changed). */
    private Path copyInputModel(Path dir) throws java.io.IOException {
        Path target = dir.resolve(model.getFileName());
        Files.copy(model, target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** The reproducer's command needs the same plugins to find the passes. */
    private void noteReproducerPlugins() {
        if (reproducer == null || plugins.pluginPath == null) return;
        Path readme = reproducer.resolve("README");
        if (!Files.isRegularFile(readme)) return;
        try {
            Files.writeString(readme, "\nThe pipeline uses plugins: add --plugin-path "
                    + plugins.pluginPath.toAbsolutePath().normalize() + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("pare: warning: "
                    + MessageText.forDisplay("cannot add the plugin path to " + readme + ": " + e.getMessage()));
        }
    }

    /**
     * One line, e.g. {@code compiled a.onnx -> b.onnx: nodes 92 -> 60, weights 70 -> 38 (2.1 MiB -> 2.1 MiB),
     * file 2.1 MiB -> 2.1 MiB, 0.31 s}. Weight bytes and file sizes both count external data files.
     */
    static String summary(CompileResult r) {
        return String.format(Locale.ROOT, "compiled %s -> %s: nodes %s -> %s, weights %s -> %s (%s -> %s), file %s -> %s, %.2f s",
                r.input(), r.output(), ReportText.count(r.nodesIn()), ReportText.count(r.nodesOut()),
                ReportText.count(r.weightsIn()), ReportText.count(r.weightsOut()),
                ReportText.size(r.weightBytesIn()), ReportText.size(r.weightBytesOut()),
                ReportText.size(r.fileBytesIn()), ReportText.size(r.fileBytesOut()), r.elapsed().toNanos() / 1e9);
    }

    static int exitCode(CompilationException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> ExitCodes.USAGE;
            case BAD_INPUT -> ExitCodes.BAD_INPUT;
            case COMPILE_FAILED -> ExitCodes.COMPILE_FAILED;
            case OUTPUT_FAILED -> ExitCodes.OUTPUT_FAILED;
        };
    }
}
