package dev.pare.cli;

import dev.pare.compiler.coreml.CoreMlExporter;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.compiler.driver.Compilation;
import dev.pare.compiler.driver.CompilationException;
import dev.pare.compiler.driver.CompileRequest;
import dev.pare.compiler.inspect.ReportText;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.sweep.GridExpansion;
import dev.pare.compiler.sweep.PointKey;
import dev.pare.compiler.sweep.PointResult;
import dev.pare.compiler.sweep.SweepException;
import dev.pare.compiler.sweep.SweepPoint;
import dev.pare.compiler.sweep.SweepReport;
import dev.pare.compiler.sweep.SweepRunner;
import dev.pare.compiler.sweep.SweepSettings;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.ModelFormatException;
import dev.pare.spi.Progress;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code pare sweep MODEL (--pipelines ...|--grid ...) -o DIR}: compiles the model with many
 * pipelines, measures each output's size and quality, and writes a report folder (index.html,
 * results.json, results.csv, the outputs). The sweep itself is {@link SweepRunner}; this command
 * turns the arguments into points and compiles each point as {@code pare compile} would.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Compiles MODEL with each of many pipelines, measures every output's size on disk and its quality "
                + "against MODEL (accuracy with --labels, else SNR; as pare compare does), and writes DIR/index.html (a "
                + "self-contained page: size-vs-quality scatter with the Pareto front, a sortable table), DIR/results.json, "
                + "DIR/results.csv and each output under DIR/points/.",
                "Points come from --pipelines (names, or a file of named pipelines) and --grid (pipeline text whose option "
                        + "values may list alternatives, e.g. 'palettize{nbits=2|4|8}, CLEANUP'). Re-running into the same DIR "
                        + "skips points already finished; --force runs them again."})
final class SweepCommand implements Callable<Integer> {

    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "The input model, e.g. model.onnx or model.mlpackage.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR",
            description = "The report folder: new, empty, or one an earlier sweep wrote (it is resumed).")
    Path output;

    @Option(names = "--pipelines", paramLabel = "NAMES|FILE",
            description = "Pipelines to sweep: comma-separated names (e.g. PALETTIZE_4BIT,QUANTIZE_INT8), or a .pipeline "
                    + "file whose named pipelines are the points; repeatable.")
    List<String> pipelines = new ArrayList<>();

    @Option(names = "--grid", paramLabel = "GRID",
            description = "Pipeline text with alternatives key=a|b|c; one point per combination; repeatable.")
    List<String> grids = new ArrayList<>();

    @Option(names = {"--format", "--formats"}, paramLabel = "FORMATS",
            description = "Output formats, comma-separated: onnx, mlpackage or onnx,mlpackage (each pipeline is then a point per "
                    + "format, named 'NAME [format]'); default: the input's own.")
    String format;

    @Option(names = "--target", paramLabel = "TARGET",
            description = "Core ML deployment target of mlpackage outputs: ios16, ios17, ios18 or ios26.")
    String target;

    @Option(names = "--data", paramLabel = "PATH", description = "Evaluation samples, in any format pare compare reads.")
    Path data;

    @Option(names = "--data-spec", paramLabel = "SPEC", description = "How to read --data that does not describe itself (as for pare compare).")
    String dataSpec;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class labels of the samples; the sweep then ranks by accuracy.")
    Path labels;

    @Option(names = "--samples", paramLabel = "N", description = "Evaluate on the first N samples (default: all, or 8 generated).")
    Integer samples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed of the passes and of generated inputs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--calibration-data", paramLabel = "DIR",
            description = "Sample inputs for passes that run the model (e.g. W8A8), as for pare compile.")
    Path calibrationData;

    @Option(names = "--calibration-spec", paramLabel = "SPEC", description = "How to read --calibration-data (as for pare compile).")
    String calibrationSpec;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "Points compiled and evaluated at the same time (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--threads", paramLabel = "N",
            description = "Worker threads of each compilation (default: the cores divided by --jobs); results do not depend on it.")
    Integer threads;

    @Option(names = "--force", description = "Run every point again, even those an earlier run into DIR finished.")
    boolean force;

    @Option(names = {"-q", "--quiet"}, description = "Show no progress (warnings and errors are still printed).")
    boolean quiet;

    @Mixin PluginOptions plugins;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override public Integer call() {
        if (jobs < 1) throw new CliException(ExitCodes.USAGE, "--jobs must be at least 1, got " + jobs);
        if (threads != null && threads < 1) throw new CliException(ExitCodes.USAGE, "--threads must be at least 1, got " + threads);
        if (pipelines.isEmpty() && grids.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, "give the points to sweep: --pipelines NAMES|FILE or --grid GRID");
        }
        if (samples != null && samples < 1) throw new CliException(ExitCodes.USAGE, "--samples must be at least 1, got " + samples);
        if (!Files.exists(model)) throw new CliException(ExitCodes.BAD_INPUT, model + ": no such file");
        if (data == null && (labels != null || dataSpec != null)) {
            throw new CliException(ExitCodes.USAGE, (labels != null ? "--labels" : "--data-spec") + " needs --data");
        }
        for (Path p : new Path[] {data, labels}) {
            if (p != null && !Files.exists(p)) {
                throw new CliException(ExitCodes.BAD_INPUT, (p == data ? "--data " : "--labels ") + p + ": no such file or directory");
            }
        }
        if (calibrationData != null && !Files.exists(calibrationData)) {
            throw new CliException(ExitCodes.USAGE, "--calibration-data " + calibrationData + ": no such file or directory");
        }
        List<String> formats = outputFormats();
        Map<String, String> properties = outputProperties(formats);
        int compileThreads = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / jobs);
        List<SweepPoint> points = points(formats);
        PrintWriter err = spec.commandLine().getErr();
        SweepSettings settings = new SweepSettings(model, output, stem(model), keySettings(), data, dataSpec,
                labels, samples, seed, jobs, 1, force);
        SweepRunner runner = new SweepRunner(main.formats(), (p, out) -> compilePoint(p, out, properties, compileThreads, err),
                line -> {
                    if (!quiet) {
                        err.println("sweep: " + line);
                        err.flush();
                    }
                });
        SweepReport report;
        try {
            report = runner.run(settings, points);
        } catch (SweepException e) {
            int code = switch (e.kind()) {
                case BAD_REQUEST -> ExitCodes.USAGE;
                case BAD_INPUT -> ExitCodes.BAD_INPUT;
                case OUTPUT_FAILED -> ExitCodes.OUTPUT_FAILED;
            };
            throw new CliException(code, e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        List<String> front = report.front().stream()
                .map(p -> p.name() + " (" + ReportText.size(p.bytes()) + ", " + quality(report, p) + ")").toList();
        int n = report.points().size();
        out.println("swept " + n + (n == 1 ? " point" : " points") + (report.failed() > 0 ? " (" + report.failed() + " failed)" : "")
                + "; Pareto front: " + (front.isEmpty() ? "none" : String.join(", ", front)) + "; report " + output.resolve("index.html"));
        out.flush();
        if (report.failed() > 0) {
            throw new CliException(ExitCodes.COMPILE_FAILED, report.failed() + " of " + report.points().size()
                    + " points failed (their errors are in " + output.resolve("index.html") + " and above)");
        }
        return ExitCodes.OK;
    }

    private static String quality(SweepReport r, PointResult p) {
        double q = p.quality(r.quality());
        if (r.labels() != null) return String.format(Locale.ROOT, "accuracy %.4f", q);
        return Double.isInfinite(q) ? "SNR inf" : String.format(Locale.ROOT, "SNR %.2f dB", q);
    }

    /**
     * The points in order: --pipelines arguments first, then the grids, each in its own order; with
     * several formats, each pipeline once per format (in the order given), named {@code NAME [format]}.
     */
    private List<SweepPoint> points(List<String> formats) {
        List<SweepPoint> pipelinePoints = pipelinePoints();
        if (formats.size() == 1) return pipelinePoints.stream().map(p -> new SweepPoint(p.name(), p.pipeline(), formats.get(0))).toList();
        List<SweepPoint> out = new ArrayList<>();
        for (SweepPoint p : pipelinePoints) {
            for (String f : formats) out.add(new SweepPoint(p.name() + " [" + f + "]", p.pipeline(), f));
        }
        return out;
    }

    /** The pipelines as points in the input's format (replaced by {@link #points}). */
    private List<SweepPoint> pipelinePoints() {
        CompilerSession session = CompilerSession.open(plugins);
        try {
            List<SweepPoint> points = new ArrayList<>();
            for (String arg : pipelines) {
                Path file = Path.of(arg);
                if (arg.endsWith(".pipeline") || Files.isRegularFile(file)) {
                    Map<String, PipelineSpec> defs;
                    try {
                        defs = session.pipelines().definitionsOf(file);
                    } catch (PipelineException e) {
                        throw CliException.rendered(ExitCodes.USAGE, e.getMessage(), e);
                    }
                    defs.forEach((name, p) -> points.add(new SweepPoint(name, p.canonicalText(), "onnx")));
                } else {
                    for (String name : arg.split(",")) {
                        String n = name.strip();
                        if (n.isEmpty()) throw new CliException(ExitCodes.USAGE, "--pipelines '" + arg + "': an empty name");
                        if (!n.matches("[A-Z][A-Z0-9_]*")) {
                            throw new CliException(ExitCodes.USAGE, "--pipelines '" + arg + "': '" + n
                                    + "' is not a pipeline name (UPPER_SNAKE) nor a file; for passes and options use --grid");
                        }
                        points.add(new SweepPoint(n, session.pipeline(n).canonicalText(), "onnx"));
                    }
                }
            }
            for (String grid : grids) {
                List<Map.Entry<String, String>> combos;
                try {
                    combos = GridExpansion.expand(grid);
                } catch (SweepException e) {
                    throw new CliException(ExitCodes.USAGE, e.getMessage(), e);
                }
                for (Map.Entry<String, String> c : combos) {
                    PipelineSpec p;
                    try {
                        p = session.pipelines().parseInline(c.getValue());
                    } catch (PipelineException e) {
                        throw CliException.rendered(ExitCodes.USAGE, "--grid point '" + c.getKey() + "':\n" + e.getMessage(), e);
                    }
                    points.add(new SweepPoint(c.getKey(), p.canonicalText(), "onnx"));
                }
            }
            Set<String> names = new LinkedHashSet<>();
            for (SweepPoint p : points) {
                if (!names.add(p.name())) throw new CliException(ExitCodes.USAGE, "point '" + p.name() + "' is given twice");
            }
            return points;
        } finally {
            session.closeTensorStore();
        }
    }

    /** One point, as pare compile MODEL -o OUT --pipeline TEXT would run it (its own injector and tensor store). */
    private void compilePoint(SweepPoint point, Path out, Map<String, String> baseProperties, int compileThreads,
                              PrintWriter err) throws Exception {
        boolean coreMl = point.format().equals("mlpackage");
        CompilerSession session = CompilerSession.open(plugins, calibrationData, calibrationSpec, CalibrationPolicy.DEFAULT,
                compileThreads);
        StringWriter diagnostics = new StringWriter();
        try {
            PipelineSpec pipeline = session.pipeline(point.pipeline());
            PassManager pm = session.passManagers().create(PassManagerOptions.DEFAULTS.withSeed(seed),
                    new PrintStream(OutputStream.nullOutputStream()), null, Progress.NONE);
            List<PipelineSpec> all = new ArrayList<>(List.of(pipeline));
            if (coreMl && CompileCommand.needsConversion(onnxInput(), pipeline, session.registry(), out)) {
                all.add(session.pipeline(CompileCommand.CONVERT_TO_MIL));
            }
            Map<String, String> properties = new LinkedHashMap<>(baseProperties);
            if (!coreMl) properties.remove(CoreMlTarget.PROPERTY);
            properties.put(CoreMlExporter.PARE_PIPELINE_PROPERTY, CompileCommand.pipelineText(all));
            String lowering = main.formats().forPath(out).loweringPass().orElse(null);
            if (lowering != null) all.add(session.pipeline(lowering));
            PipelineHook hook = new PipelineHook(pm, all, new PrintWriter(diagnostics), false, model);
            try {
                new Compilation(main.formats(), hook).run(new CompileRequest(model, out, true, properties, Map.of()));
            } catch (CompilationException e) {
                PassManagerException failure = PipelineHook.failure(e);
                throw new Exception(failure != null ? failure.getMessage() : e.getMessage(), e);
            }
        } catch (CliException e) {
            throw new Exception(e.getMessage(), e);
        } catch (PassManagerException e) {
            throw new Exception(e.getMessage(), e);
        } finally {
            session.closeTensorStore();
            // warnings of the passes, once per point, named by it (notes are counted in one line)
            for (String line : diagnostics.toString().split("\n")) {
                if (line.isBlank() || (quiet && !line.contains("warning") && !line.contains("error"))) continue;
                synchronized (err) {
                    err.println(line.startsWith("pare: ") ? "pare: " + point.name() + ": " + line.substring(6) : line);
                    err.flush();
                }
            }
        }
    }

    private boolean onnxInput() {
        try {
            return main.formats().forPath(model).name().equals("onnx");
        } catch (ModelFormatException e) {
            return false;
        }
    }

    /** {@code onnx} and/or {@code mlpackage} (file extensions): from --format, else the input's own format. */
    private List<String> outputFormats() {
        if (format == null) {
            try {
                return List.of(main.formats().forPath(model).name().equals("onnx") ? "onnx" : "mlpackage");
            } catch (ModelFormatException e) {
                throw new CliException(ExitCodes.BAD_INPUT, e.getMessage(), e);
            }
        }
        List<String> out = new ArrayList<>();
        for (String part : format.split(",", -1)) {
            String f = switch (part.strip().toLowerCase(Locale.ROOT)) {
                case "onnx" -> "onnx";
                case "mlpackage", "coreml" -> "mlpackage";
                default -> throw new CliException(ExitCodes.USAGE, "--format '" + format + "': '" + part.strip()
                        + "' is not a format; choose onnx, mlpackage or onnx,mlpackage");
            };
            if (out.contains(f)) throw new CliException(ExitCodes.USAGE, "--format '" + format + "': " + f + " is given twice");
            out.add(f);
        }
        return out;
    }

    private Map<String, String> outputProperties(List<String> formats) {
        Map<String, String> properties = new LinkedHashMap<>();
        if (target != null) {
            if (!formats.contains("mlpackage")) {
                throw new CliException(ExitCodes.USAGE, "--target applies to mlpackage outputs, not onnx (add --format mlpackage)");
            }
            CoreMlTarget t = CoreMlTarget.parse(target).orElseThrow(() -> new CliException(ExitCodes.USAGE,
                    "--target '" + target + "': choose one of " + CoreMlTarget.choices()));
            properties.put(CoreMlTarget.PROPERTY, t.flag());
        }
        properties.put(CoreMlExporter.PARE_VERSION_PROPERTY, VersionProvider.version());
        return properties;
    }

    /** What else changes how a point compiles (SweepSettings.key adds the evaluation); a change runs every point again. */
    private String keySettings() {
        return String.join("\n", "pare " + VersionProvider.version(), "target " + target,
                "calibration " + PointKey.fileStamp(calibrationData), "calibration-spec " + calibrationSpec,
                "plugins " + PointKey.fileStamp(plugins.pluginPath));
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot <= 0 ? n : n.substring(0, dot);
    }
}
