package dev.pare.compiler.analyze;

import com.google.inject.ConfigurationException;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.analyze.Candidates.Candidate;
import dev.pare.compiler.analyze.Candidates.CandidateException;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.inject.CompilerConfig;
import dev.pare.compiler.inject.PassManagerFactory;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.NodeOverride;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.compiler.pipeline.Selector;
import dev.pare.compiler.pipeline.StepScope;
import dev.pare.compiler.registry.RegisteredPass;
import dev.pare.ir.Graph;
import dev.pare.ir.GraphCopy;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.ir.Value;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.Option;
import dev.pare.spi.OptionValueException;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code mixed_precision} pass: measures each weight's sensitivity to each candidate (as
 * {@code pare analyze} does, or reads an {@code analyze --json} file), chooses one candidate per
 * weight that minimises the predicted output noise within a size budget
 * ({@link MixedPrecisionPlan}, an exact multiple-choice knapsack), and applies the choices with the
 * ordinary passes, each candidate step restricted to its weights' nodes by name. The plan is
 * reported as notes and stored in the model's metadata ({@value MixedPrecisionPlan#METADATA_KEY}).
 */
public final class MixedPrecision implements PassProvider<MixedPrecision.Options> {

    public static final String NAME = "mixed_precision";

    /** Options. The three targets are alternatives: exactly one is given (the pass fails with MP004 when none is). */
    public record Options(
            @Option(help = "Average bits per weight over all compressible weights (codes, LUTs, scales and masks counted), > 0.", min = 0)
            Optional<Double> targetBitsPerWeight,
            @Option(help = "Total bytes of the compressible weights.", min = 1)
            Optional<Long> targetBytes,
            @Option(help = "Size of the compressible weights as a fraction of their current bytes, e.g. 0.2; in (0, 1].", min = 0, max = 1)
            Optional<Double> targetRatio,
            @Option(help = "The settings a weight may get, one pipeline step each (no on/except), or one set name: data_aware "
                    + "(palettize 8/6/4/3/2-bit, int8, int4 per block, prune 50/75 %, with gptq/sparsegpt and bias_correction=total) "
                    + "or rtn (the same round-to-nearest); a weight may also stay as it is. Not set: data_aware when measuring, "
                    + "the analysis' candidates with analysis=\"FILE\" (if set, they must be those).")
            Optional<List<String>> candidates,
            @Option(help = "A pare analyze --json file of this model to plan from instead of measuring (its candidates are used); not set: measure.")
            Optional<String> analysis,
            @Option(help = "Calibration samples to measure each weight's sensitivity on (the first N of --calibration-data).", min = 1)
            int samples) {

        public Options {
            candidates = candidates.map(List::copyOf);
            // a budget of nothing cannot be met: 0 is a mistake, not "no target"
            if (targetBitsPerWeight.isPresent() && !(targetBitsPerWeight.get() > 0)) {
                throw new OptionValueException("targetBitsPerWeight", "must be > 0, got " + targetBitsPerWeight.get());
            }
            if (targetRatio.isPresent() && !(targetRatio.get() > 0)) {
                throw new OptionValueException("targetRatio", "must be in (0, 1], got " + targetRatio.get());
            }
            int targets = (targetBitsPerWeight.isPresent() ? 1 : 0) + (targetBytes.isPresent() ? 1 : 0) + (targetRatio.isPresent() ? 1 : 0);
            if (targets > 1) {
                throw new IllegalArgumentException("give exactly one of target_bits_per_weight, target_bytes and target_ratio (got "
                        + targets + ")");
            }
        }

        boolean hasTarget() { return targetBitsPerWeight.isPresent() || targetBytes.isPresent() || targetRatio.isPresent(); }

        Budget budget() {
            if (targetBitsPerWeight.isPresent()) return Budget.bits(targetBitsPerWeight.get());
            if (targetBytes.isPresent()) return Budget.ofBytes(targetBytes.get());
            return Budget.ofRatio(targetRatio.orElseThrow());
        }
    }

    /** Default number of calibration samples measured. */
    public static final int DEFAULT_SAMPLES = 64;

    private final Injector injector;

    @Inject
    public MixedPrecision(Injector injector) { this.injector = injector; }

    @Override public PassInfo info() {
        return PassInfo.required(NAME, "Chooses a compression candidate per weight (by measured sensitivity) to meet a size budget, and applies it.");
    }

    @Override public Options defaults() {
        return new Options(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_SAMPLES);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> run(graph, context, options.base());
    }

    private PassResult run(Graph graph, PassContext context, Options o) throws PassFailure {
        if (!o.hasTarget()) {
            throw new PassFailure(CompilerCode.MP004, NAME + " needs a target: target_bits_per_weight, target_bytes or target_ratio");
        }
        Model model = context.service(Model.class).filter(m -> m.graph() == graph)
                .orElseThrow(() -> new PassFailure(CompilerCode.MP004, NAME + " needs the model being compiled; run it from the pass manager on a single-function model"));
        PipelineCompiler pipelines = instance(PipelineCompiler.class);
        WeightSizes sizes = WeightSizes.forOutput(model);
        SensitivityReport report = o.analysis().isEmpty() ? measure(model, context, o, pipelines, sizes) : read(model, o.analysis().get(), sizes);
        if (o.analysis().isPresent() && o.candidates().isPresent()) sameCandidates(report, o, pipelines);
        MixedPrecisionPlan plan;
        try {
            plan = MixedPrecisionPlan.solve(report, o.budget());
        } catch (MixedPrecisionPlan.BudgetTooSmall e) {
            throw new PassFailure(CompilerCode.MP001, NAME + ": " + e.getMessage());
        }
        List<Candidate> candidates = parse(pipelines, report.candidates().stream().map(SensitivityReport.CandidateText::canonical).toList());
        Graph before = GraphCopy.of(graph); // constants shared; the passes replace them, never write into them
        boolean changed = apply(graph, context, plan, candidates, pipelines);
        String previous = model.metadataProps().get(MixedPrecisionPlan.METADATA_KEY);
        String json = plan.toJson();
        model.setMetadataProp(MixedPrecisionPlan.METADATA_KEY, json);
        report(context, plan, previous != null);
        measureApplied(before, graph, context, plan, o);
        return PassResult.of(changed || !json.equals(previous));
    }

    private SensitivityReport measure(Model model, PassContext context, Options o, PipelineCompiler pipelines, WeightSizes sizes)
            throws PassFailure {
        CalibrationData data;
        try {
            data = context.service(CalibrationData.class).orElseThrow(() -> new PassFailure(CompilerCode.MP003,
                    NAME + " needs calibration data to measure sensitivity: pass --calibration-data, or analysis=\"FILE\" from pare analyze --json"));
        } catch (UncheckedIOException e) {
            throw new PassFailure(CompilerCode.MP003, NAME + ": " + e.getCause().getMessage());
        }
        ModelExecutor executor = context.service(ModelExecutor.class)
                .orElseThrow(() -> new PassFailure(CompilerCode.MP004, NAME + " needs a model executor (ONNX Runtime or the MIL interpreter)"));
        List<Candidate> candidates = parse(pipelines, o.candidates().orElse(Candidates.DEFAULTS));
        PassManagerFactory managers = instance(PassManagerFactory.class);
        long seed = context.random().nextLong();
        int threads = injector.getInstance(CompilerConfig.class).threads();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        SensitivityAnalysis analysis = new SensitivityAnalysis((spec, m) -> managers
                .create(PassManagerOptions.DEFAULTS.withSeed(seed), quiet, dir -> dir).run(spec, m), executor, threads, context.progress(),
                sizes);
        try {
            return analysis.run(model, "the model", candidates, data, o.samples(), null, null);
        } catch (SensitivityAnalysis.AnalysisException e) {
            throw new PassFailure(CompilerCode.MP004, NAME + ": " + e.getMessage());
        }
    }

    /**
     * An analysis file, checked against the model: the same weights with the same element counts,
     * and sizes counted as the output format stores them.
     */
    static SensitivityReport read(Model model, String file, WeightSizes sizes) throws PassFailure {
        SensitivityReport r;
        try {
            r = SensitivityJson.read(Files.readString(Path.of(file)));
        } catch (IOException e) {
            throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\": cannot read: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\": " + e.getMessage());
        }
        if (r.sizes() != sizes) {
            throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\" counts sizes as " + r.sizes().key()
                    + " stores them, but the output is written as " + sizes.key() + "; run pare analyze with --sizes " + sizes.key());
        }
        Map<String, WeightRow> byName = new HashMap<>();
        for (WeightRow w : r.weights()) byName.put(w.weight().name(), w);
        List<CompressibleWeights.Weight> weights = CompressibleWeights.of(model);
        for (CompressibleWeights.Weight w : weights) {
            WeightRow row = byName.get(w.name());
            if (row == null) {
                throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\" is not of this model: weight '" + w.name()
                        + "' (" + w.elements() + " elements) is not in it");
            }
            if (row.weight().elements() != w.elements()) {
                throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\" is not of this model: weight '" + w.name()
                        + "' has " + w.elements() + " elements here and " + row.weight().elements() + " in the analysis");
            }
        }
        if (weights.size() != r.weights().size()) {
            java.util.Set<String> here = new java.util.HashSet<>();
            weights.forEach(w -> here.add(w.name()));
            String extra = r.weights().stream().map(w -> w.weight().name()).filter(n -> !here.contains(n)).findFirst().orElse("?");
            throw new PassFailure(CompilerCode.MP002, NAME + ": analysis=\"" + file + "\" is not of this model: weight '" + extra
                    + "' is not a compressible weight of this model");
        }
        return r;
    }

    /**
     * Candidates given next to an analysis file must be the ones it measured (in any order): the plan
     * applies the analysis' candidates, so other ones would be silently ignored.
     */
    private static void sameCandidates(SensitivityReport report, Options o, PipelineCompiler pipelines) throws PassFailure {
        java.util.Set<String> given = new java.util.TreeSet<>();
        for (Candidate c : parse(pipelines, o.candidates().orElseThrow())) given.add(c.canonical());
        java.util.Set<String> measured = new java.util.TreeSet<>();
        for (SensitivityReport.CandidateText c : report.candidates()) measured.add(c.canonical());
        if (!given.equals(measured)) {
            String first = report.candidates().stream().filter(c -> !given.contains(c.canonical())).map(SensitivityReport.CandidateText::text)
                    .findFirst().map(t -> "it measured '" + t + "', which candidates does not list")
                    .orElseGet(() -> "candidates lists " + given.size() + " settings, it measured " + measured.size());
            throw new PassFailure(CompilerCode.MP002, NAME + ": candidates are not those analysis=\"" + o.analysis().orElseThrow()
                    + "\" measured (" + first + "); the plan applies the analysis' candidates, so leave candidates out or analyze with them");
        }
    }

    private static List<Candidate> parse(PipelineCompiler pipelines, List<String> steps) throws PassFailure {
        try {
            return Candidates.parseEach(pipelines, steps);
        } catch (PipelineException e) {
            throw new PassFailure(CompilerCode.MP004, NAME + ": a candidate does not parse: " + e.getMessage().lines().findFirst().orElse(""));
        } catch (CandidateException e) {
            throw new PassFailure(CompilerCode.MP004, NAME + ": " + e.getMessage());
        }
    }

    /**
     * Runs the chosen candidates on the nodes of their weights. When they are all steps of one pass
     * without {@code where} arms, they run as one step of that pass with a {@code where} arm per
     * candidate ({@link #jointStep}), so that a data-aware option that works through the whole model
     * ({@code bias_correction=total}, {@code calibration=sequential}) sees every planned weight
     * compressed, not only those of the candidates applied before it. Otherwise each candidate's
     * pass runs on its own weights' nodes, in candidate order.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static boolean apply(Graph graph, PassContext context, MixedPrecisionPlan plan, List<Candidate> candidates,
                                 PipelineCompiler pipelines) throws PassFailure {
        boolean changed = false;
        List<PassStep> steps = new ArrayList<>();
        Map<Integer, List<String>> nodesByCandidate = new java.util.LinkedHashMap<>();
        for (int c = 0; c < candidates.size(); c++) {
            List<WeightRow> weights = plan.weightsFor(c);
            if (weights.isEmpty()) continue;
            List<String> nodes = new ArrayList<>();
            for (WeightRow w : weights) for (String n : w.weight().nodes()) if (!nodes.contains(n)) nodes.add(n);
            nodesByCandidate.put(c, nodes);
        }
        Optional<PassStep> joint = jointStep(candidates, nodesByCandidate);
        if (joint.isPresent()) {
            steps.add(joint.get());
        } else {
            nodesByCandidate.forEach((c, nodes) -> steps.add(SensitivityAnalysis.restrict(candidates.get(c).step(), nodes)));
        }
        for (PassStep step : steps) {
            RegisteredPass pass = pipelines.registry().find(step.passName())
                    .orElseThrow(() -> new PassFailure(CompilerCode.MP004, NAME + ": unknown pass " + step.passName()));
            Pass p = ((PassProvider) pass.provider()).create(step.scopedOptions());
            try {
                changed |= p.run(graph, context).changed();
            } catch (PassFailure e) {
                if (hasCalibrationData(context)) throw e; // as it is (its type decides the exit code, e.g. bad data)
                // without calibration data the likely cause is a plan read from an analysis of data-aware
                // candidates: the pass's own code and words, said to come from the plan, and the way out
                throw new PassFailure(e.code(), NAME + ": applying the plan: " + e.getMessage()
                        + " (without calibration data, plan from an analysis of round-to-nearest candidates: pare analyze --candidates rtn)");
            }
        }
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < plan.choices().size(); i++) {
            if (plan.choices().get(i) < 0) continue;
            String name = plan.report().weights().get(i).weight().name();
            Optional<Value> v = graph.value(name);
            if (v.isEmpty() || v.get().producer() == null || !PareDialectEvaluator.isPareWeightOp(v.get().producer().op())) missed.add(name);
        }
        if (!missed.isEmpty()) {
            context.diagnostics().warn(CompilerCode.MP005, Location.UNKNOWN, NAME + ": " + missed.size()
                    + " planned weight(s) were left as they are by their pass, first '" + missed.get(0) + "'");
        }
        return changed;
    }

    /**
     * One step for the whole plan when every chosen candidate is a step of the same pass without
     * {@code where} arms: restricted to all planned nodes, with the first chosen candidate's options
     * and an {@code op_name} arm with each other candidate's options for its weights' nodes. Each
     * node thus gets exactly the options its candidate would have given it alone.
     */
    static Optional<PassStep> jointStep(List<Candidate> candidates, Map<Integer, List<String>> nodesByCandidate) {
        if (nodesByCandidate.isEmpty()) return Optional.empty();
        String pass = null;
        for (int c : nodesByCandidate.keySet()) {
            PassStep step = candidates.get(c).step();
            if (!step.overrides().isEmpty() || (pass != null && !pass.equals(step.passName()))) return Optional.empty();
            pass = step.passName();
        }
        List<String> all = new ArrayList<>();
        List<NodeOverride> arms = new ArrayList<>();
        PassStep base = null;
        for (Map.Entry<Integer, List<String>> e : nodesByCandidate.entrySet()) {
            PassStep step = candidates.get(e.getKey()).step();
            all.addAll(e.getValue());
            if (base == null) {
                base = step;
            } else {
                arms.add(new NodeOverride(new Selector(Selector.Kind.OP_NAME, e.getValue()), Optional.of(step.options()), step.span()));
            }
        }
        return Optional.of(new PassStep(0, pass, base.options(), new StepScope(List.of(new Selector(Selector.Kind.OP_NAME, all)), List.of()),
                arms, base.span(), List.of()));
    }

    private static void report(PassContext context, MixedPrecisionPlan plan, boolean replaced) {
        SensitivityReport r = plan.report();
        int compressed = (int) plan.choices().stream().filter(c -> c >= 0).count();
        context.diagnostics().note(CompilerCode.MP100, Location.UNKNOWN, NAME + ": plan for " + plan.budget().option() + " ("
                + plan.budgetBytes() + " bytes): " + SensitivityText.fixed(plan.bitsPerWeight(), 3) + " bits per weight, " + plan.bytes()
                + " bytes (as " + r.sizes().key() + " stores them), predicted SNR " + snr(plan.predictedSnrDb()) + " dB; " + compressed + " of " + r.weights().size()
                + " weights compressed" + (replaced ? " (replaces the plan in the model's metadata)" : ""));
        for (int i = 0; i < plan.choices().size(); i++) {
            WeightRow w = r.weights().get(i);
            int c = plan.choices().get(i);
            long bytes = c < 0 ? w.weight().storedBytes() : w.settings().get(c).bytes();
            String what = c < 0 ? "left as it is" : r.candidates().get(c).text() + ", alone SNR " + snr(r.snrDb(w.settings().get(c).noise())) + " dB";
            context.diagnostics().note(CompilerCode.MP100, Location.UNKNOWN, NAME + ": weight '" + w.weight().name() + "' ("
                    + w.weight().elements() + " elements): " + what + ", "
                    + SensitivityText.fixed(CompressibleWeights.bitsPerWeight(bytes, w.weight().elements()), 2) + " bits per weight");
        }
        context.statistics().add("weights_planned", r.weights().size());
        context.statistics().add("weights_compressed_by_plan", compressed);
        context.statistics().add("planned_bytes", plan.bytes());
    }

    /**
     * With calibration data, the plan as applied is run on the samples and its SNR noted next to the
     * predicted one: the prediction adds the weights' noise powers as if independent, while errors of
     * consecutive layers compound.
     */
    private void measureApplied(Graph before, Graph after, PassContext context, MixedPrecisionPlan plan, Options o) {
        Optional<CalibrationData> data;
        try {
            data = context.service(CalibrationData.class);
        } catch (UncheckedIOException e) {
            return; // measuring is a report; a plan read from an analysis needs no data
        }
        Optional<ModelExecutor> executor = context.service(ModelExecutor.class);
        if (data.isEmpty() || executor.isEmpty()) return;
        int threads = injector.getInstance(CompilerConfig.class).threads();
        SensitivityAnalysis analysis = new SensitivityAnalysis((spec, m) -> { throw new IllegalStateException("no steps run"); },
                executor.get(), threads, context.progress(), plan.report().sizes());
        try {
            int n = Math.min(o.samples(), data.get().size());
            double measured = analysis.measuredSnrDb(before, after, data.get(), o.samples());
            context.diagnostics().note(CompilerCode.MP100, Location.UNKNOWN, NAME + ": measured SNR " + snr(measured) + " dB on " + n
                    + " calibration samples with the plan applied (predicted " + snr(plan.predictedSnrDb()) + " dB)");
        } catch (SensitivityAnalysis.AnalysisException e) {
            context.diagnostics().warn(CompilerCode.MP006, Location.UNKNOWN, NAME + ": cannot measure the applied plan: " + e.getMessage());
        }
    }

    private static boolean hasCalibrationData(PassContext context) {
        try {
            return context.service(CalibrationData.class).isPresent();
        } catch (UncheckedIOException e) {
            return true; // given but unreadable: the pass's message says so
        }
    }

    private static String snr(double db) {
        return Double.isInfinite(db) ? (db > 0 ? "inf" : "-inf") : SensitivityText.fixed(db, 1);
    }

    private <T> T instance(Class<T> type) throws PassFailure {
        try {
            return injector.getInstance(type);
        } catch (ConfigurationException | ProvisionException e) {
            throw new PassFailure(CompilerCode.MP004, NAME + " needs the compiler's " + type.getSimpleName() + " (run it through pare compile or CompilerModule)");
        }
    }
}
