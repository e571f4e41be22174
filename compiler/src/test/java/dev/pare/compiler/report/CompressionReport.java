package dev.pare.compiler.report;

import dev.pare.compiler.onnx.lower.OnnxLowering;
import ai.onnxruntime.OrtEnvironment;
import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.CompilerModule;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.passmanager.StepStatistics;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.runtime.OrtEnvironments;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.Severity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures the compression passes on the test models: for each model and each configuration (a
 * pipeline), compiles the float model through the pass manager as {@code pare compile} does, writes
 * ONNX, and runs the result and the float model in ONNX Runtime on the same deterministic inputs.
 * Prints a markdown table per model (file size, SNR and model-specific quality, compile time) and
 * writes it to {@code compiler/target/compression-report.md}; {@code scripts/compression-report.sh}
 * runs it.
 *
 * <p>Arguments: {@code [--models mnist_dwnet,minilm,ppocr_rec] [--configs 0,3,...] [--append STEPS] [--out FILE]};
 * {@code --configs} picks configurations by their index in {@link #CONFIGURATIONS} (0 = float);
 * {@code --append} adds steps to every pipeline, e.g. {@code decompress_weights} to check that the ONNX
 * lowering of the compressed weights computes what the passes' own dense decoding computes.
 */
public final class CompressionReport {

    /** The configurations of the "Weight compression passes" results table, float first. */
    static final List<Configuration> CONFIGURATIONS = List.of(
            new Configuration("float (cleanup only)", "CLEANUP"),
            new Configuration("prune 50%", "prune{mode=magnitude, target_sparsity=0.5}, CLEANUP"),
            new Configuration("prune 75%", "prune{mode=magnitude, target_sparsity=0.75}, CLEANUP"),
            new Configuration("int8 per-channel", "QUANTIZE_INT8"),
            new Configuration("int4 per-block 32", "QUANTIZE_INT4_BLOCK32"),
            new Configuration("palettize 8-bit", "palettize{nbits=8}, CLEANUP"),
            new Configuration("palettize 6-bit", "palettize{nbits=6}, CLEANUP"),
            new Configuration("palettize 4-bit", "palettize{nbits=4}, CLEANUP"),
            new Configuration("palettize 2-bit", "palettize{nbits=2}, CLEANUP"),
            new Configuration("palettize 4-bit, group 8",
                    "palettize{nbits=4, granularity=per_grouped_channel, group_size=8, skip_inapplicable=true}, CLEANUP"),
            new Configuration("palettize 4-bit, group 16",
                    "palettize{nbits=4, granularity=per_grouped_channel, group_size=16, skip_inapplicable=true}, CLEANUP"));

    /** The passes whose {@code weights_compressed} counter the table shows. */
    private static final List<String> COMPRESSION_PASSES = List.of("prune", "palettize", "quantize_weights");

    /** Diagnostic code of the compression passes' note for a weight below {@code weight_threshold}. */
    private static final String BELOW_THRESHOLD = "CW001";

    /** One measured configuration, or why it could not be measured ({@code unavailable} non-null). */
    record Row(Configuration configuration, long fileBytes, Quality quality, long weightsCompressed,
               double compileSeconds, List<String> warnings, String unavailable) {
        // warnings: the pass manager's warnings and the notes on weights left dense for a reason other than size
        Row {
            warnings = List.copyOf(warnings);
        }

        static Row unavailable(Configuration configuration, double compileSeconds, String reason) {
            return new Row(configuration, -1, null, 0, compileSeconds, List.of(), reason);
        }

        boolean available() { return unavailable == null; }
    }

    /** All rows of one model. */
    record ModelResults(ReportModel model, long floatFileBytes, List<Row> rows) {
        ModelResults {
            rows = List.copyOf(rows);
        }
    }

    private final Injector injector;
    private final Path workDir;
    private final PrintStream progress;

    /** Compiles into files under {@code workDir}; one progress line per configuration goes to {@code progress}. */
    CompressionReport(Path workDir, PrintStream progress) {
        this.injector = Guice.createInjector(new CompilerModule(CompilerConfig.defaults()));
        this.workDir = workDir;
        this.progress = progress;
    }

    /** Runs every configuration on {@code model}. */
    ModelResults measure(ReportModel model, List<Configuration> configurations) throws Exception {
        if (!Files.isRegularFile(model.file())) {
            throw new IllegalStateException(model.file() + " is missing; build the compiler module's tests first (mvn -B -pl compiler -am test-compile)");
        }
        Map<String, Tensor> inputs = model.inputs();
        Map<String, Tensor> reference = OrtRunner.run(model.file(), inputs, OrtRunner.EXACT_MATMUL_NBITS);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < configurations.size(); i++) {
            Configuration c = configurations.get(i);
            Row row = measure(model, c, workDir.resolve(model.name() + "-" + i + ".onnx"), inputs, reference);
            rows.add(row);
            progress.println(model.name() + " | " + c.label() + " | " + (row.available()
                    ? String.format(Locale.ROOT, "%d bytes, SNR %.2f dB, %s, compile %.1f s", row.fileBytes(), row.quality().snrDb(),
                            metrics(row.quality()), row.compileSeconds())
                    : String.format(Locale.ROOT, "n/a after %.1f s: %s", row.compileSeconds(), row.unavailable())));
        }
        return new ModelResults(model, Files.size(model.file()), rows);
    }

    private Row measure(ReportModel model, Configuration c, Path out, Map<String, Tensor> inputs,
                        Map<String, Tensor> reference) throws Exception {
        long start = System.nanoTime();
        RunReport report;
        try {
            OnnxFormat onnx = new OnnxFormat();
            Model m = onnx.read(model.file());
            PassManagerFactory factory = injector.getInstance(PassManagerFactory.class);
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            report = factory.create(PassManagerOptions.DEFAULTS, new PrintStream(log, true, StandardCharsets.UTF_8), null)
                    .run(injector.getInstance(PipelineCompiler.class).parseInline(c.pipeline()), m);
            onnx.write(OnnxLowering.lower(m), out);
        } catch (Exception | OutOfMemoryError e) {
            return Row.unavailable(c, seconds(start), "compile: " + oneLine(e).replace(out + ": ", ""));
        }
        double compileSeconds = seconds(start);
        try {
            Path data = out.resolveSibling(out.getFileName() + ".data");   // compressed tensors of 1 MiB or more
            long size = Files.size(out) + (Files.exists(data) ? Files.size(data) : 0);
            Map<String, Tensor> outputs;
            try {
                outputs = OrtRunner.run(out, inputs, OrtRunner.EXACT_MATMUL_NBITS);
            } catch (Exception e) {
                return Row.unavailable(c, compileSeconds, "ONNX Runtime: " + oneLine(e));
            }
            long compressed = 0;
            for (StepStatistics s : report.statistics()) {
                if (COMPRESSION_PASSES.contains(s.step().passName())) compressed += s.counters().getOrDefault("weights_compressed", 0L);
            }
            List<String> warnings = new ArrayList<>();
            for (Diagnostic d : report.diagnostics()) {
                // Notes about weights under weight_threshold (CW001) are expected; other notes say why a
                // large weight was left dense, which the table should show.
                if (d.severity() != Severity.NOTE || !d.code().equals(BELOW_THRESHOLD)) warnings.add(d.message());
            }
            return new Row(c, size, model.compare(reference, outputs), compressed, compileSeconds, warnings, null);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String metrics(Quality q) {
        List<String> parts = new ArrayList<>();
        for (Metric m : q.metrics()) parts.add(m.name() + " " + m.formatted());
        return String.join(", ", parts);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** An exception as one short line for a table cell. */
    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.strip().replaceAll("\\s*\\R\\s*", " ");
        return m.length() > 240 ? m.substring(0, 237) + "..." : m;
    }

    /** The report as markdown: a legend of the configurations, then one table per model. */
    static String markdown(List<ModelResults> results, List<Configuration> configurations) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "Measured %s on %s %s, %d cores, Java %s, ONNX Runtime %s (one thread).%n%n",
                LocalDate.now(), System.getProperty("os.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                OrtEnvironment.getEnvironment().getVersion()));
        s.append("| configuration | pipeline |\n| --- | --- |\n");
        for (Configuration c : configurations) s.append("| ").append(c.label()).append(" | `").append(c.pipeline()).append("` |\n");
        for (ModelResults r : results) {
            s.append(String.format(Locale.ROOT, "%n#### %s (`%s`, %s)%n%nInputs: %s.%n%n", r.model().name(),
                    r.model().file().getFileName(), size(r.floatFileBytes()), r.model().description()));
            List<String> header = new ArrayList<>(List.of("configuration", "file", "vs float", "SNR (dB)"));
            header.addAll(r.model().metricNames());
            header.addAll(List.of("weights compressed", "compile (s)", "notes"));
            s.append("| ").append(String.join(" | ", header)).append(" |\n|");
            for (String h : header) s.append(h.equals("configuration") || h.equals("notes") ? " --- |" : " ---: |");
            s.append('\n');
            for (Row row : r.rows()) s.append("| ").append(String.join(" | ", cells(row, r))).append(" |\n");
        }
        return s.toString();
    }

    /** The cells of one table row, in header order. */
    static List<String> cells(Row row, ModelResults r) {
        List<String> cells = new ArrayList<>();
        cells.add(row.configuration().label());
        if (!row.available()) {
            for (int i = 0; i < 3 + r.model().metricNames().size(); i++) cells.add("n/a");
            cells.add("—");
            cells.add(String.format(Locale.ROOT, "%.1f", row.compileSeconds()));
            cells.add("n/a: " + row.unavailable().replace("|", "\\|"));
            return cells;
        }
        cells.add(size(row.fileBytes()));
        cells.add(String.format(Locale.ROOT, "%.1f%%", 100.0 * row.fileBytes() / r.floatFileBytes()));
        double snr = row.quality().snrDb();
        cells.add(Double.isInfinite(snr) ? "∞ (identical)" : String.format(Locale.ROOT, "%.1f", snr));
        for (String name : r.model().metricNames()) cells.add(row.quality().metric(name).formatted());
        cells.add(Long.toString(row.weightsCompressed()));
        cells.add(String.format(Locale.ROOT, "%.1f", row.compileSeconds()));
        cells.add(row.warnings().isEmpty() ? "" : row.warnings().size() + " diagnostic(s), first: "
                + oneLine(new RuntimeException(row.warnings().get(0))).replace("|", "\\|"));
        return cells;
    }

    /** Bytes in binary units with three significant-ish digits. */
    static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024));
    }

    /** The compiler module's directory, found from where this class was loaded (target/test-classes). */
    static Path compilerDir() throws Exception {
        Path classes = Path.of(CompressionReport.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return classes.getParent().getParent();
    }

    /** The report's models by name. */
    static Map<String, ReportModel> models(Path compilerDir) {
        Map<String, ReportModel> models = new LinkedHashMap<>();
        for (ReportModel m : List.of(new MnistModel(compilerDir), new MiniLmModel(compilerDir), new OcrRecModel(compilerDir))) models.put(m.name(), m);
        return models;
    }

    public static void main(String[] args) throws Exception {
        OrtEnvironments.shared();  // before any other ONNX Runtime use: its start-up then needs no -Xss
        Path compilerDir = compilerDir();
        Map<String, ReportModel> all = models(compilerDir);
        List<String> selected = new ArrayList<>(all.keySet());
        List<Configuration> configurations = CONFIGURATIONS;
        String append = null;
        Path out = compilerDir.resolve("target/compression-report.md");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--models") && i + 1 < args.length) {
                selected = List.of(args[++i].split(","));
            } else if (args[i].equals("--configs") && i + 1 < args.length) {
                configurations = new ArrayList<>();
                for (String index : args[++i].split(",")) configurations.add(CONFIGURATIONS.get(Integer.parseInt(index.strip())));
            } else if (args[i].equals("--append") && i + 1 < args.length) {
                append = args[++i];
            } else if (args[i].equals("--out") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else {
                throw new IllegalArgumentException("usage: CompressionReport [--models " + String.join(",", all.keySet())
                        + "] [--configs 0.." + (CONFIGURATIONS.size() - 1) + ",...] [--append STEPS] [--out FILE]; got " + args[i]);
            }
        }
        if (append != null) {
            List<Configuration> appended = new ArrayList<>();
            for (Configuration c : configurations) appended.add(new Configuration(c.label(), c.pipeline() + ", " + append));
            configurations = appended;
        }
        Path work = Files.createTempDirectory("pare-compression-report");
        try {
            CompressionReport report = new CompressionReport(work, System.out);
            List<ModelResults> results = new ArrayList<>();
            for (String name : selected) {
                ReportModel model = all.get(name);
                if (model == null) throw new IllegalArgumentException("unknown model " + name + "; known: " + String.join(",", all.keySet()));
                results.add(report.measure(model, configurations));
            }
            String md = markdown(results, configurations);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, md);
            System.out.println();
            System.out.print(md);
            System.out.println();
            System.out.println("written to " + out);
        } finally {
            try (var files = Files.list(work)) {
                for (Path p : (Iterable<Path>) files::iterator) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(work);
        }
    }
}
