package dev.pare.compiler.passmanager;

import dev.pare.compiler.CompilerCode;
import dev.pare.compiler.pipeline.FixpointStep;
import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.pipeline.Step;
import dev.pare.compiler.pipeline.Suggestions;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.RegisteredPass;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Problem;
import dev.pare.ir.TensorStore;
import dev.pare.ir.Verifier;
import dev.pare.spi.Diagnostic;
import dev.pare.spi.Diagnostics;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.Progress;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Severity;
import dev.pare.spi.Statistics;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;

/**
 * Runs a {@link PipelineSpec} over a graph: a fresh {@link Pass} per step run, the graph verified
 * on entry and after every pass (unless switched off), fixpoint blocks repeated until no pass in
 * them reports a change, disabled optional passes skipped, and instrumentation around it all.
 *
 * <pre>{@code
 * PassManager pm = PassManager.builder(registry)
 *         .options(PassManagerOptions.DEFAULTS.withTiming(true).withSeed(42))
 *         .output(System.err)
 *         .inputModelWriter(dir -> Files.copy(input, dir.resolve(input.getFileName())))
 *         .build();                       // throws PassManagerException (M004, M005)
 * RunReport report = pm.run(spec, model); // throws PassManagerException naming pass, node, step
 * }</pre>
 */
public final class PassManager {

    private final PassRegistry registry;
    private final PassManagerOptions options;
    private final ExecutorService executor;
    private final ServiceLookup services;
    private final TensorStore tensorStore;
    private final List<PassInstrumentation> instrumentations;
    private final Progress progress;

    private PassManager(Builder b) {
        this.registry = b.registry;
        this.options = b.options;
        this.executor = b.executor != null ? b.executor : ForkJoinPool.commonPool();
        this.services = b.services;
        this.tensorStore = b.tensorStore;
        this.progress = b.progress;
        List<PassInstrumentation> list = new ArrayList<>();
        PrintStream out = b.output;
        if (!options.printIrBefore().isEmpty() || !options.printIrAfter().isEmpty() || options.printIrAfterAll()
                || options.printIrAfterChange()) {
            list.add(new IrPrintingInstrumentation(out, options.printIrBefore(), options.printIrAfter(),
                    options.printIrAfterAll(), options.printIrAfterChange()));
        }
        if (options.timing()) list.add(new TimingInstrumentation(out));
        if (options.passStatistics()) list.add(new StatisticsInstrumentation(out));
        options.reproducerDir().ifPresent(dir -> list.add(new ReproducerInstrumentation(dir, b.inputModelWriter,
                options.seed(), options.disabledPasses(), out)));
        list.addAll(b.instrumentations);
        this.instrumentations = List.copyOf(list);
    }

    public static Builder builder(PassRegistry registry) { return new Builder(registry); }

    public PassManagerOptions options() { return options; }

    /**
     * Runs the pipeline over a model's main graph, then over each of its other functions (a
     * multi-function Core ML model), so that a weight the functions share is compressed the same
     * way everywhere (and a writer can still store it once). Diagnostics from another function say
     * which one; a failure there names it too.
     */
    public RunReport run(PipelineSpec spec, Model model) throws PassManagerException {
        ServiceLookup scoped = services.forModel(model);
        try {
            RunReport report = run(spec, model.graph(), withModel(scoped, model));
            for (Graph f : model.functions()) {
                RunReport r;
                try {
                    r = inFunction(f, run(spec, f, scoped));
                } catch (PassManagerException e) {
                    throw inFunction(f, e, report);
                }
                report = merged(report, r);
            }
            return report;
        } finally {
            closeQuietly(scoped);
        }
    }

    private static RunReport inFunction(Graph f, RunReport r) {
        List<Diagnostic> tagged = new ArrayList<>();
        for (Diagnostic d : r.diagnostics()) {
            tagged.add(new Diagnostic(d.severity(), d.code(), d.location(), "in function '" + f.name() + "': " + d.message()));
        }
        return new RunReport(tagged, r.statistics(), r.changed());
    }

    private static PassManagerException inFunction(Graph f, PassManagerException e, RunReport before) {
        String m = e.getMessage();
        int end = m.startsWith("error[") ? m.indexOf("] ") : -1;
        String where = "in function '" + f.name() + "': ";
        String message = end < 0 ? where + m : m.substring(0, end + 2) + where + m.substring(end + 2);
        RunReport report = e.report() == null ? before : merged(before, inFunction(f, e.report()));
        PassManagerException wrapped = new PassManagerException(e.code(), message, e.passName().orElse(null),
                e.nodeName().orElse(null), report, e.getCause());
        wrapped.setStackTrace(e.getStackTrace());
        return wrapped;
    }

    /** Diagnostics in order; statistics summed step by step when both runs ran the same steps. */
    private static RunReport merged(RunReport a, RunReport b) {
        List<Diagnostic> diagnostics = new ArrayList<>(a.diagnostics());
        diagnostics.addAll(b.diagnostics());
        List<StepStatistics> stats = new ArrayList<>();
        boolean aligned = a.statistics().size() == b.statistics().size();
        for (int i = 0; aligned && i < a.statistics().size(); i++) aligned = a.statistics().get(i).step().equals(b.statistics().get(i).step());
        if (aligned) {
            for (int i = 0; i < a.statistics().size(); i++) {
                StepStatistics x = a.statistics().get(i);
                StepStatistics y = b.statistics().get(i);
                java.util.SortedMap<String, Long> counters = new java.util.TreeMap<>(x.counters());
                y.counters().forEach((k, v) -> counters.merge(k, v, Long::sum));
                stats.add(new StepStatistics(x.step(), x.runs() + y.runs(), counters));
            }
        } else {
            stats.addAll(a.statistics());
            stats.addAll(b.statistics());
        }
        return new RunReport(diagnostics, stats, a.changed() || b.changed());
    }

    /**
     * The model itself is a service of its main graph's run: a format's lowering pass (e.g.
     * {@code lower_to_onnx}) may change the model's opsets, which a graph does not carry.
     */
    private static ServiceLookup withModel(ServiceLookup services, Model model) {
        return new ServiceLookup() {
            @Override public <T> Optional<T> find(Class<T> type) {
                return type == Model.class ? Optional.of(type.cast(model)) : services.find(type);
            }
        };
    }

    /** Model-scoped services (e.g. open calibration files) are released after the run; a failure there changes nothing. */
    private static void closeQuietly(ServiceLookup scoped) {
        if (!(scoped instanceof AutoCloseable c)) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // the run's own outcome is what the caller needs
        }
    }

    /** Runs the pipeline over {@code graph}, changing it in place. */
    public RunReport run(PipelineSpec spec, Graph graph) throws PassManagerException {
        return run(spec, graph, services);
    }

    private RunReport run(PipelineSpec spec, Graph graph, ServiceLookup services) throws PassManagerException {
        Run run = new Run(graph, services);
        for (PassInstrumentation i : instrumentations) i.beforePipeline(spec, graph);
        try {
            if (options.verify()) {
                List<Problem> problems = Verifier.verify(graph);
                if (!problems.isEmpty()) {
                    throw new PassManagerException(CompilerCode.M008.code(), CompilerCode.M008.tag() + " the input graph is invalid: "
                            + describe(problems), null, null, null, null);
                }
            }
            PassContracts.check(spec.steps(), PassContracts.initial(graph), registry, options.disabledPasses());
            boolean changed = run.steps(spec.steps(), 0);
            RunReport report = run.report(changed);
            for (PassInstrumentation i : instrumentations) i.afterPipeline(spec, graph, report, true);
            return report;
        } catch (PassManagerException e) {
            RunReport report = run.report(false);
            for (PassInstrumentation i : instrumentations) i.afterPipeline(spec, graph, report, false);
            throw e.withReport(report);
        }
    }

    /** Seeds a step's generator from the run seed, the step index and the pass name. */
    static long stepSeed(long seed, int stepIndex, String passName) {
        long h = mix(seed);
        h = mix(h ^ stepIndex);
        return mix(h ^ passName.hashCode());
    }

    private static long mix(long z) { // SplitMix64 finalizer
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String describe(List<Problem> problems) {
        Problem p = problems.get(0);
        String first = p.code() + " " + p.message();
        return problems.size() == 1 ? first : first + " (and " + (problems.size() - 1) + " more)";
    }

    /** The state of one pipeline run. */
    private final class Run {
        private final Graph graph;
        private final List<Diagnostic> diagnostics = Collections.synchronizedList(new ArrayList<>());
        private final Map<Integer, Counters> statistics = new LinkedHashMap<>();
        private final Set<Integer> selectorsChecked = new java.util.HashSet<>();

        private final ServiceLookup services;

        Run(Graph graph, ServiceLookup services) {
            this.graph = graph;
            this.services = services;
        }

        boolean steps(List<Step> steps, int iteration) throws PassManagerException {
            boolean changed = false;
            for (Step s : steps) {
                if (s instanceof PassStep p) changed |= pass(p, iteration);
                else changed |= fixpoint((FixpointStep) s);
            }
            return changed;
        }

        private boolean fixpoint(FixpointStep f) throws PassManagerException {
            boolean any = false;
            for (int i = 1; i <= f.maxIterations(); i++) {
                boolean changed = steps(f.body(), i);
                any |= changed;
                if (!changed) return any;
            }
            diagnostics.add(new Diagnostic(Severity.WARNING, CompilerCode.M006.code(), new Location(f.origin(), "", -1),
                    "fixpoint did not converge after " + f.maxIterations() + " iterations"));
            return any;
        }

        private boolean pass(PassStep step, int iteration) throws PassManagerException {
            RegisteredPass registered = registry.find(step.passName()).orElseThrow(() ->
                    new IllegalStateException("pipeline step uses pass '" + step.passName() + "', which this registry lacks"));
            if (options.disabledPasses().contains(step.passName())) {
                for (PassInstrumentation i : instrumentations) i.passSkipped(step, "disabled with --disable-pass");
                return false;
            }
            if (selectorsChecked.add(step.index())) warnUnmatchedSelectors(step);
            PassExecution execution = new PassExecution(step, registered.info(), iteration);
            for (PassInstrumentation i : instrumentations) i.beforePass(execution, graph);
            Counters counters = statistics.computeIfAbsent(step.index(), k -> new Counters(step));
            counters.runs++;
            StepContext context = new StepContext(step, counters);
            // every pass is a task, so a long silent one (or running out of memory) can be named
            progress.start(step.passName(), -1, "");
            long start = System.nanoTime();
            PassResult result;
            try {
                Pass pass = create(registered.provider(), step.scopedOptions());
                if (pass == null) {
                    String from = registered.source().isEmpty() ? "" : " (from " + registered.source() + ")";
                    throw fail(execution, CompilerCode.R007.code(), null, "plugin error: " + registered.providerClassName() + from
                            + " returned null from create(); a provider must return a Pass", null);
                }
                result = pass.run(graph, context);
                if (result == null) throw new IllegalStateException("run() returned null");
            } catch (PassFailure f) {
                String code = f.code() == null || f.code().isBlank() ? CompilerCode.M001.code() : f.code();
                throw fail(execution, code, f.nodeName(), f.getMessage(), f);
            } catch (RuntimeException | LinkageError | AssertionError | StackOverflowError e) {
                String message = e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getClass().getSimpleName() + ": " + e.getMessage();
                throw fail(execution, CompilerCode.M001.code(), null, "unexpected " + message, e);
            }
            long ran = System.nanoTime();
            progress.end();
            Diagnostic error = context.firstError();
            if (error != null) {
                throw fail(execution, CompilerCode.M003.code(), error.location().path(), "[" + error.code() + "] " + error.message(), null);
            }
            Optional<String> broken = PassContracts.unkept(registered.info(), graph);
            if (broken.isPresent()) throw fail(execution, CompilerCode.M017.code(), null, broken.get(), null);
            long verifyNanos = 0;
            if (options.verify()) {
                List<Problem> problems = Verifier.verify(graph);
                verifyNanos = System.nanoTime() - ran;
                if (!problems.isEmpty()) {
                    throw fail(execution, CompilerCode.M002.code(), null, "the graph is invalid after the pass: " + describe(problems), null);
                }
            }
            PassOutcome outcome = new PassOutcome(result, ran - start, verifyNanos);
            for (PassInstrumentation i : instrumentations) i.afterPass(execution, graph, outcome);
            return result.changed();
        }

        /** A selector that matches nothing is usually a typo: one warning per step, once per run. */
        private void warnUnmatchedSelectors(PassStep step) {
            if (step.scope().isAll() && step.overrides().isEmpty()) return;
            UnmatchedSelectors.describe(step, graph.allNodes()).ifPresent(message -> diagnostics.add(
                    new Diagnostic(Severity.WARNING, UnmatchedSelectors.CODE, new Location(step.origin(), "", -1), message)));
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private Pass create(PassProvider provider, ScopedOptions<?> scoped) {
            return provider.create(scoped);
        }

        private PassManagerException fail(PassExecution execution, String code, String nodeName, String message, Throwable cause) {
            StringBuilder sb = new StringBuilder("error[").append(code).append("] pass '").append(execution.passName())
                    .append("' failed at ").append(execution.step().origin());
            if (nodeName != null && !nodeName.isEmpty()) {
                sb.append(" on node '").append(nodeName).append('\'');
                findNode(nodeName).ifPresent(n -> sb.append(" (").append(n.op()).append(')'));
            }
            sb.append(": ").append(message);
            PassManagerException e = new PassManagerException(code, sb.toString(), execution.passName(), nodeName, null, cause);
            for (PassInstrumentation i : instrumentations) i.afterPassFailed(execution, graph, e);
            return e;
        }

        private Optional<Node> findNode(String name) {
            return graph.allNodes().stream().filter(n -> n.name().equals(name)).findFirst();
        }

        RunReport report(boolean changed) {
            List<StepStatistics> stats = new ArrayList<>();
            for (Counters c : statistics.values()) stats.add(c.snapshot());
            return new RunReport(new ArrayList<>(diagnostics), stats, changed);
        }

        /** The {@link PassContext} of one pass run. */
        private final class StepContext implements PassContext, Diagnostics {
            private final PassStep step;
            private final Counters counters;
            private RandomGenerator random;
            private volatile Diagnostic firstError;

            StepContext(PassStep step, Counters counters) {
                this.step = step;
                this.counters = counters;
            }

            @Override public Diagnostics diagnostics() { return this; }

            @Override public void report(Diagnostic d) {
                diagnostics.add(d);
                if (d.severity() == Severity.ERROR && firstError == null) firstError = d;
            }

            Diagnostic firstError() { return firstError; }

            @Override public Statistics statistics() { return counters; }

            @Override public synchronized RandomGenerator random() {
                if (random == null) random = new SplittableRandom(stepSeed(options.seed(), step.index(), step.passName()));
                return random;
            }

            @Override public ExecutorService executor() { return executor; }

            @Override public <T> Optional<T> service(Class<T> type) { return services.find(type); }

            @Override public TensorStore tensorStore() { return tensorStore; }

            @Override public Progress progress() { return stepProgress; }

            /** The pass's own tasks are shown as {@code pass: task}. */
            private final Progress stepProgress = new Progress() {
                @Override public void start(String task, long total, String unit) {
                    progress.start(task == null || task.isBlank() ? step.passName() : step.passName() + ": " + task, total, unit);
                }

                @Override public void advance(long n, long bytes, String item) { progress.advance(n, bytes, item); }
            };
        }
    }

    /** Thread-safe counters of one step. */
    private static final class Counters implements Statistics {
        final PassStep step;
        final Map<String, LongAdder> values = new ConcurrentHashMap<>();
        int runs;

        Counters(PassStep step) { this.step = step; }

        @Override public void add(String counter, long delta) {
            values.computeIfAbsent(counter, k -> new LongAdder()).add(delta);
        }

        StepStatistics snapshot() {
            SortedMap<String, Long> m = new TreeMap<>();
            values.forEach((k, v) -> m.put(k, v.sum()));
            return new StepStatistics(step, runs, Collections.unmodifiableSortedMap(m));
        }
    }

    /** Configures a {@link PassManager}. */
    public static final class Builder {
        private final PassRegistry registry;
        private PassManagerOptions options = PassManagerOptions.DEFAULTS;
        private PrintStream output = System.err;
        private ExecutorService executor;
        private ServiceLookup services = ServiceLookup.none();
        private TensorStore tensorStore = TensorStore.heap();
        private InputModelWriter inputModelWriter;
        private Progress progress = Progress.NONE;
        private final List<PassInstrumentation> instrumentations = new ArrayList<>();

        private Builder(PassRegistry registry) { this.registry = registry; }

        public Builder options(PassManagerOptions o) { this.options = o; return this; }

        /** Where instrumentation output goes (the CLI passes stderr). */
        public Builder output(PrintStream out) { this.output = out; return this; }

        /** The shared pool passes get from {@link PassContext#executor()}; default the common pool. */
        public Builder executor(ExecutorService e) { this.executor = e; return this; }

        public Builder services(ServiceLookup s) { this.services = s; return this; }

        /**
         * Where passes put the tensors they create ({@link PassContext#tensorStore()}); default the
         * heap. The caller closes it, after the model is written.
         */
        public Builder tensorStore(TensorStore s) { this.tensorStore = java.util.Objects.requireNonNull(s); return this; }

        /** Writes the input model into a reproducer directory. */
        public Builder inputModelWriter(InputModelWriter w) { this.inputModelWriter = w; return this; }

        /** Where passes report progress ({@link PassContext#progress()}); each pass run is a task. Default: nowhere. */
        public Builder progress(Progress p) { this.progress = p; return this; }

        /** Adds an instrumentation after the built-in ones. */
        public Builder instrumentation(PassInstrumentation i) { this.instrumentations.add(i); return this; }

        /** Checks the pass names in the options against the registry. */
        public PassManager build() throws PassManagerException {
            List<String> problems = new ArrayList<>();
            Set<String> known = registry.passes().keySet();
            for (String name : new java.util.TreeSet<>(options.disabledPasses())) {
                Optional<RegisteredPass> p = registry.find(name);
                if (p.isEmpty()) {
                    problems.add(CompilerCode.M005.tag() + " --disable-pass names unknown pass '" + name + "'" + Suggestions.didYouMean(name, known));
                } else if (p.get().required()) {
                    problems.add(CompilerCode.M004.tag() + " pass '" + name + "' is required and cannot be disabled");
                }
            }
            checkNames("--print-ir-before", options.printIrBefore(), known, problems);
            checkNames("--print-ir-after", options.printIrAfter(), known, problems);
            if (!problems.isEmpty()) {
                String code = problems.get(0).substring(6, 10);
                throw new PassManagerException(code, String.join("\n", problems), null, null, null, null);
            }
            return new PassManager(this);
        }

        private static void checkNames(String flag, Set<String> names, Set<String> known, List<String> problems) {
            for (String name : new java.util.TreeSet<>(names)) {
                if (!known.contains(name)) {
                    problems.add(CompilerCode.M005.tag() + " " + flag + " names unknown pass '" + name + "'" + Suggestions.didYouMean(name, known));
                }
            }
        }
    }
}
