package dev.pare.compiler.analyze;

import dev.pare.compiler.analyze.Candidates.Candidate;
import dev.pare.compiler.analyze.CompressibleWeights.Weight;
import dev.pare.compiler.analyze.SensitivityReport.CandidateText;
import dev.pare.compiler.analyze.SensitivityReport.Setting;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.passmanager.PassManagerException;
import dev.pare.compiler.passmanager.RunReport;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.pipeline.Selector;
import dev.pare.compiler.pipeline.StepScope;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.GraphCopy;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.Progress;
import dev.pare.spi.Severity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Per-weight sensitivity: for each weight of {@link CompressibleWeights} and each candidate, a copy
 * of the model in which the candidate step ran restricted to that weight's nodes
 * ({@code on op_name(...)}, so through the ordinary pass and pass manager) is run on the samples,
 * and its outputs are compared with the float model's. The error is the noise power: the sum over
 * samples and output elements of the squared difference (SNR = signal / noise); plans add these up
 * across weights. The size is the bytes the output format stores the compressed weight in
 * ({@link WeightSizes}).
 *
 * <p>Weights are analysed in parallel ({@code threads} at a time, each with one model copy that
 * shares the constant data); the float outputs of the samples stay on the heap. Results do not
 * depend on the thread count: every run uses the same pipeline seed.
 */
public final class SensitivityAnalysis {

    /** Runs a pipeline over a model, as the pass manager does. */
    @FunctionalInterface
    public interface StepRunner {
        RunReport run(PipelineSpec spec, Model model) throws PassManagerException;
    }

    /** The analysis cannot run; the message is one line. */
    public static final class AnalysisException extends Exception {
        public AnalysisException(String message) { super(message); }

        public AnalysisException(String message, Throwable cause) { super(message, cause); }
    }

    private final StepRunner runner;
    private final ModelExecutor executor;
    private final int threads;
    private final Progress progress;
    private final WeightSizes sizes;

    /** {@code sizes}: how a compressed weight's bytes are counted (as the output format will store it). */
    public SensitivityAnalysis(StepRunner runner, ModelExecutor executor, int threads, Progress progress, WeightSizes sizes) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.runner = runner;
        this.executor = executor;
        this.threads = threads;
        this.progress = progress;
        this.sizes = sizes;
    }

    /**
     * Analyses {@code model} (left unchanged) on the first {@code maxSamples} samples of {@code data}.
     *
     * @param labels     class labels per sample for top-1 accuracy of the first output, or null
     * @param labelsName the labels' file name for the report, or null
     */
    public SensitivityReport run(Model model, String modelName, List<Candidate> candidates, CalibrationData data,
                                 int maxSamples, int[] labels, String labelsName) throws AnalysisException {
        if (!model.functions().isEmpty()) {
            throw new AnalysisException(modelName + ": the model has " + (model.functions().size() + 1)
                    + " functions; analysis runs on single-function models only");
        }
        List<Weight> weights = CompressibleWeights.of(model);
        if (weights.isEmpty()) throw new AnalysisException(modelName + ": no compressible weight (no op reads a float constant as a weight)");
        checkSelectable(model.graph(), weights);
        int n = Math.min(maxSamples, data.size());
        if (n < 1) throw new AnalysisException(data.source() + ": no samples");
        if (labels != null && labels.length < n) {
            throw new AnalysisException(labelsName + ": " + labels.length + " labels for " + n + " samples");
        }
        List<Map<String, TensorData>> samples = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) samples.add(data.sample(i));
        } catch (IOException e) {
            throw new AnalysisException(data.source() + ": " + e.getMessage(), e);
        }
        Outputs reference = evaluate(model.graph(), samples, null, labels);
        double signal = reference.signal();

        progress.start("analyze", (long) weights.size() * candidates.size(), "runs");
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pare-analyze");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<List<Setting>>> futures = new ArrayList<>();
            for (Weight w : weights) futures.add(pool.submit(() -> analyseWeight(model, w, candidates, samples, reference, labels)));
            List<WeightRow> rows = new ArrayList<>();
            for (int i = 0; i < weights.size(); i++) rows.add(new WeightRow(weights.get(i), await(futures.get(i))));
            progress.end();
            List<CandidateText> texts = candidates.stream().map(c -> new CandidateText(c.text(), c.canonical())).toList();
            return new SensitivityReport(modelName, model.format(), data.source(), n, Optional.ofNullable(labelsName), signal,
                    labels == null ? Optional.empty() : Optional.of(reference.accuracy(n)), texts, rows, sizes);
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T await(Future<T> f) throws AnalysisException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AnalysisException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof AnalysisException a) throw a;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new AnalysisException(String.valueOf(c.getMessage()), c);
        }
    }

    private List<Setting> analyseWeight(Model model, Weight w, List<Candidate> candidates, List<Map<String, TensorData>> samples,
                                       Outputs reference, int[] labels) throws AnalysisException {
        List<Setting> out = new ArrayList<>();
        for (Candidate c : candidates) {
            out.add(analyse(model, w, c, samples, reference, labels));
            progress.advance(1, w.name());
        }
        return out;
    }

    private Setting analyse(Model model, Weight w, Candidate c, List<Map<String, TensorData>> samples, Outputs reference,
                            int[] labels) throws AnalysisException {
        Model copy = copy(model);
        RunReport report;
        try {
            report = runner.run(new PipelineSpec("analyze", List.of(restrict(c.step(), w.nodes()))), copy);
        } catch (PassManagerException e) {
            return Setting.notApplied(firstLine(e.getMessage()));
        }
        Optional<Value> v = copy.graph().value(w.name());
        if (v.isEmpty() || v.get().producer() == null || !PareDialectEvaluator.isPareWeightOp(v.get().producer().op())) {
            return Setting.notApplied(report.diagnostics().stream().filter(d -> d.severity() != Severity.ERROR)
                    .map(Diagnostic::message).findFirst().orElse("left as it is"));
        }
        Outputs o = evaluate(copy.graph(), samples, reference, labels);
        long bytes = sizes.bytes(copy, w.name()); // last: the ONNX count lowers the copy
        double noise = Double.isNaN(o.noise()) ? Double.POSITIVE_INFINITY : o.noise();
        return new Setting(true, bytes, noise, labels == null ? Optional.empty() : Optional.of(o.accuracy(samples.size())), Optional.empty());
    }

    /**
     * The SNR in dB of {@code compressed}'s outputs against {@code reference}'s on the first
     * {@code maxSamples} samples of {@code data}, measured as each analysis cell is (how a plan's
     * predicted SNR compares with the plan applied).
     */
    public double measuredSnrDb(Graph reference, Graph compressed, CalibrationData data, int maxSamples) throws AnalysisException {
        int n = Math.min(maxSamples, data.size());
        List<Map<String, TensorData>> samples = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) samples.add(data.sample(i));
        } catch (IOException e) {
            throw new AnalysisException(data.source() + ": " + e.getMessage(), e);
        }
        Outputs ref = evaluate(reference, samples, null, null);
        Outputs out = evaluate(compressed, samples, ref, null);
        return dev.pare.compiler.compare.Metrics.snrDb(ref.signal(), out.noise());
    }

    /** The candidate step limited to the weight's nodes (by name). */
    static PassStep restrict(PassStep step, List<String> nodes) {
        StepScope scope = new StepScope(List.of(new Selector(Selector.Kind.OP_NAME, nodes)), List.of());
        return new PassStep(0, step.passName(), step.options(), scope, step.overrides(), step.span(), List.of());
    }

    /**
     * Each weight's nodes must be selectable by name without also selecting another weight's node
     * (names are globs: a {@code *} or {@code ?} in a name, or nodes sharing one, would).
     */
    static void checkSelectable(Graph g, List<Weight> weights) throws AnalysisException {
        Set<String> consumers = new HashSet<>();
        for (Weight w : weights) consumers.addAll(w.nodes());
        List<Node> readers = g.nodes().stream().filter(n -> consumers.contains(n.name())).toList();
        for (Weight w : weights) {
            Selector s = new Selector(Selector.Kind.OP_NAME, w.nodes());
            for (Node n : readers) {
                if (s.matches(n) && !readsWeight(n, w.name())) {
                    throw new AnalysisException("weight '" + w.name() + "': selecting its node '" + w.nodes().get(0)
                            + "' by name also selects node '" + n.name() + "' (" + n.op() + "); give the nodes unique names without * or ?");
                }
            }
        }
    }

    private static boolean readsWeight(Node n, String weight) {
        for (Value v : n.operands()) if (!v.isAbsent() && v.name().equals(weight)) return true;
        return false;
    }

    /** A scratch copy of the model: the graph copied (constant data shared), opsets and properties kept. */
    static Model copy(Model model) {
        Graph g = GraphCopy.of(model.graph());
        Model m = new Model(model.format(), g);
        m.setOpsets(model.opsets());
        model.properties().forEach(m::setProperty);
        model.metadataProps().forEach(m::setMetadataProp);
        model.opaqueFields().forEach(m::addOpaqueField);
        return m;
    }

    // ---- running the model -----------------------------------------------------------------

    /** The outputs of one model over the samples (kept only for the reference), their noise against the reference, and hits. */
    private record Outputs(List<Map<String, double[]>> values, double signal, double noise, int hits) {
        double accuracy(int samples) { return samples == 0 ? 0 : hits / (double) samples; }
    }

    private Outputs evaluate(Graph graph, List<Map<String, TensorData>> samples, Outputs reference, int[] labels)
            throws AnalysisException {
        List<Map<String, double[]>> kept = reference == null ? new ArrayList<>() : null;
        double signal = 0;
        double noise = 0;
        int hits = 0;
        String first = graph.outputs().get(0).name();
        try (ModelExecutor.Session s = executor.open(graph, List.of())) {
            for (int i = 0; i < samples.size(); i++) {
                Map<String, TensorData> out = s.run(samples.get(i));
                Map<String, double[]> values = new LinkedHashMap<>();
                for (Value o : graph.outputs()) {
                    TensorData t = out.get(o.name());
                    double[] d = t == null ? null : floats(t);
                    if (d != null) values.put(o.name(), d);
                }
                if (reference == null) {
                    kept.add(values);
                    for (double[] d : values.values()) for (double x : d) signal += x * x;
                } else {
                    Map<String, double[]> ref = reference.values().get(i);
                    for (Map.Entry<String, double[]> e : ref.entrySet()) {
                        double[] b = values.get(e.getKey());
                        double[] a = e.getValue();
                        if (b == null || b.length != a.length) {
                            throw new AnalysisException("output '" + e.getKey() + "' changed shape when a weight was compressed");
                        }
                        for (int k = 0; k < a.length; k++) {
                            double d = a[k] - b[k];
                            noise += d * d;
                        }
                    }
                }
                if (labels != null && values.containsKey(first) && values.get(first).length >= 2
                        && argmax(values.get(first)) == labels[i]) {
                    hits++;
                }
            }
        } catch (ModelExecutionException e) {
            throw new AnalysisException("cannot run the model: " + firstLine(e.getMessage()), e);
        }
        return new Outputs(kept, signal, noise, hits);
    }

    private static int argmax(double[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    /** A float output's values, or null for other types (not measured). */
    private static double[] floats(TensorData t) {
        DType dt = t.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT16 && dt != DType.FLOAT64) return null;
        ByteBuffer b = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(t.elementCount());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = dt == DType.FLOAT32 ? b.getFloat() : dt == DType.FLOAT64 ? b.getDouble() : Float16.toFloat(b.getShort());
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) return "failed";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
