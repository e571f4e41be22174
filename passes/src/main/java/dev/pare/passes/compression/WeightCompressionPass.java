package dev.pare.passes.compression;

import dev.pare.ir.WeightHistory;
import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.PareDialectEvaluator;
import dev.pare.passes.PassesCode;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorStore;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.WeightTensor;
import dev.pare.passes.compression.stats.BiasCorrection;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.stats.Layer;
import dev.pare.passes.compression.stats.StatisticsCollector;
import dev.pare.spi.CalibrationData;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsNeed;
import dev.pare.passes.compression.stats.WeightLayout;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.WeightOperand;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the weight-compression passes share: finding weights, resolving per-node options, skipping
 * with notes, running the per-weight math on {@link PassContext#executor()} and rewriting the graph.
 *
 * <p>A weight is a float (f32/f16) constant, or an {@code onnx.Constant} node's {@code value}
 * (turned into a graph constant of the same name when it is compressed), that some op reads as a
 * weight operand ({@link WeightTraits}). Every use of it must be such a weight use. Its options
 * are {@link ScopedOptions#forNode} of each consumer: all must agree (all skipped leaves it alone;
 * a difference is a {@link PassFailure} {@link #SHARED_CONFLICT} naming two consumers). A weight
 * is compressed only when its element count is greater than {@code weight_threshold} (Core ML
 * Tools' rule). The consumers' output/input axes must agree, or the weight has no channel axis.
 * A weight already pruned by {@code prune} ({@code pare.sparse_to_dense(mask, values)}) is
 * compressed jointly by passes that support it: only its kept values, and the result stays sparse.
 * A weight that Core ML {@code mil.constexpr_*} ops decode from constants (compressed by Core ML
 * Tools or an earlier run; {@link ConstexprCone}) is decompressed first and its dense values are
 * compressed (a sparse chain keeps its mask for joint compression); the note {@link #DECOMPRESSED}
 * and the result's metadata {@value WeightHistory#DECOMPRESSED_FROM} say how it was stored, and the
 * chain's ops and constants are removed. Only weights the pass does compress are touched: a weight
 * the options do not fit keeps its constexpr chain.
 *
 * <p>Every selected weight is {@linkplain #check checked} (in parallel, each weight's values loaded
 * and dropped again) before any is compressed; a weight the options cannot be applied to fails the
 * pass with {@link #INAPPLICABLE} naming the weight and its node (first in graph order), and the
 * graph is left unchanged, unless the pass's options {@linkplain #skipsInapplicable skip such
 * weights} with a note ({@link #NOT_APPLICABLE}). A weight whose values turn out not to allow the
 * compression while it runs (e.g. too little sparsity) is left dense with a note.
 *
 * <p>Weights are compressed in parallel, streaming: at most {@link #window} weights (threads + 1)
 * are in flight at once, fewer when their elements would not fit the heap by a rough estimate, and
 * each is written into the graph as soon as it and every weight before it in graph order are done;
 * its new constants go to {@link PassContext#tensorStore()} (off the heap in the compiler) and its
 * arrays are dropped, so the heap holds a few weights' arrays, not the model's. Each weight gets a
 * seed drawn from {@link PassContext#random()} in graph order before any work starts, and the graph
 * is rewritten in that order, so the result does not depend on the thread count. A pass may
 * {@linkplain #streams stream} a large dense weight: it then reads the weight a piece at a time
 * from {@link Job#dense()} and writes its codes to the store in pieces, so a weight of any size
 * (even over 2 GiB) takes only a few pieces of heap; a pass whose check needs only the shape says
 * so ({@link #checksValues}) and the check then only reads that the values are finite. New
 * decompression ops go to the top of the graph that defines the weight (their operands are all
 * constants).
 *
 * <p>Data-aware options ({@link #statisticsNeed}, {@link #biasCorrection}) need calibration data
 * (CW013 before any work without it). After the checks, {@link DataAwareRun} finds each such
 * weight's layers ({@link Layer}; a weight without one is compressed round-to-nearest with note
 * CW008), takes their statistics ({@link StatisticsCollector}: from the float model in one run, or
 * with {@code calibration=sequential} and bias_correction total/auto stage by stage in topological
 * order from the model compressed so far) and hands them to {@link #compress} as
 * {@link Job#statistics()}; after a weight is written, its layers' biases are corrected
 * ({@link BiasCorrector}). Such weights are never streamed.
 *
 * <p>Statistics: {@code weights_compressed}, {@code weights_skipped}, {@code bytes_before},
 * {@code bytes_after} (constant bytes of the compressed weights before and after). A run that
 * skips every weight it looks at ends with one warning ({@link #NOTHING_COMPRESSED}) counting the
 * reasons, so that a step which changes nothing is seen without {@code --verbose}.
 */
abstract class WeightCompressionPass<O extends Record> implements Pass {

    /** Note: the weight has too few elements. */
    static final PassesCode TOO_SMALL = PassesCode.CW001;
    /** Note: the options cannot be applied to this weight (math said so). */
    static final PassesCode NOT_APPLICABLE = PassesCode.CW002;
    /** Note: the weight is already compressed in a way this pass does not build on. */
    static final PassesCode ALREADY_COMPRESSED = PassesCode.CW003;
    /** Note: the constant is also used other than as a weight. */
    static final PassesCode NOT_ONLY_A_WEIGHT = PassesCode.CW004;
    /** Note: the weight was stored compressed by constexpr ops and is decompressed before it is recompressed. */
    static final PassesCode DECOMPRESSED = PassesCode.CW005;
    /** Note: recompressing a constexpr-compressed weight would store it in more bytes than it takes now. */
    static final PassesCode WOULD_GROW = PassesCode.CW006;
    /** Failure: a shared weight gets different options from two consumers. */
    static final PassesCode SHARED_CONFLICT = PassesCode.CW010;
    /** Failure: the options cannot be applied to a weight (found before any weight is compressed). */
    static final PassesCode INAPPLICABLE = PassesCode.CW012;
    /** Failure: a data-aware option without calibration data. */
    static final PassesCode NO_CALIBRATION_DATA = PassesCode.CW013;
    /** Note: a weight the options would treat data-aware is compressed round-to-nearest. */
    static final PassesCode ROUND_TO_NEAREST = PassesCode.CW008;
    /** Note: biases corrected (and what auto chose). */
    static final PassesCode BIAS_CORRECTED = PassesCode.CW009;

    private final String passName;
    private final ScopedOptions<O> options;
    private final WeightTraits traits;

    WeightCompressionPass(String passName, ScopedOptions<O> options, WeightTraits traits) {
        this.passName = passName;
        this.options = options;
        this.traits = traits;
    }

    /**
     * One weight to compress, as a worker sees it.
     *
     * @param name       the weight's value name
     * @param weight     the dense values (for a pruned weight, zeros at pruned positions), or null when
     *                   the pass reads {@code dense} itself ({@link #checksValues}, {@link #streams})
     * @param keep       the existing sparsity mask (true = kept), or null for a dense weight
     * @param options    the resolved options
     * @param outputAxis the consumers' output-channel axis (non-negative) or {@link WeightOperand#NO_AXIS}
     * @param inputAxis  the consumers' input axis or {@link WeightOperand#NO_AXIS}
     * @param seed       seed for any randomness
     * @param dense      the dense values as a tensor (f32 or f16, of any size), or null for a pruned
     *                   weight the pass streams ({@link #streamsPruned})
     * @param store      where a streaming pass puts the tensors it writes in pieces
     * @param mask       for a pruned weight the pass streams: its {@code u1} mask (1 = kept), else null
     * @param kept       for a pruned weight the pass streams: its kept values in element order, else null
     * @param statistics the layer statistics from calibration data when {@link #statisticsNeed} (or a
     *                   bias correction) asks for them and the weight can be treated data-aware, in
     *                   {@link #compress} only ({@link #check} runs before any statistics are taken);
     *                   empty otherwise (the pass then compresses it round-to-nearest; a note CW008 has
     *                   said why). A weight whose options are data-aware is never streamed:
     *                   {@link #weight()} holds its values.
     */
    record Job<O>(String name, WeightTensor weight, boolean[] keep, O options, int outputAxis, int inputAxis, long seed,
                  TensorData dense, TensorStore store, TensorData mask, TensorData kept, Optional<LayerStatistics> statistics,
                  dev.pare.passes.compression.math.SplitWork split) {

        long[] shape() {
            return dense != null ? dense.type().shape() : mask.type().shape();
        }

        Job<O> withStatistics(LayerStatistics s) {
            return new Job<>(name, weight, keep, options, outputAxis, inputAxis, seed, dense, store, mask, kept, Optional.ofNullable(s), split);
        }

        Job<O> withOptions(O o) {
            return new Job<>(name, weight, keep, o, outputAxis, inputAxis, seed, dense, store, mask, kept, statistics, split);
        }
    }

    /** Writes the compressed form of one weight; returns the value holding the dense weight. */
    @FunctionalInterface
    interface Emitter {
        Value emit(DenseChain chain);
    }

    /** An emitter with a line about the weight, given as note CW017 once the weight is written. */
    record Reported(Emitter emitter, String report) implements Emitter {
        @Override public Value emit(DenseChain chain) { return emitter.emit(chain); }
    }

    abstract long weightThreshold(O options);

    /**
     * What calibration statistics the pass needs for {@code options}; none by default. When any is
     * needed for some weight, the pass fails before any work unless {@code --calibration-data} is
     * given, collects the statistics of every weight it can reach through a supported layer
     * ({@link LayerStatistics}, {@link WeightLayout}) and hands them to {@link #check} and
     * {@link #compress} as {@link Job#statistics()}. Collection is sequential over the samples in
     * their order (float64 sums), so the statistics and the result do not depend on the thread
     * count; such weights are not {@linkplain #streams streamed}.
     */
    StatisticsNeed statisticsNeed(O options) {
        return StatisticsNeed.NONE;
    }

    /** The pass's {@code calibration} option: whether statistics come from the float model or stage by stage. */
    Calibration calibration(O options) {
        return Calibration.ONE_SHOT;
    }

    /**
     * The option that makes {@code options} data-aware, for the error when calibration data is
     * missing, e.g. {@code bias_correction=own}.
     */
    String dataAwareOption(O options) {
        BiasCorrection b = biasCorrection(options);
        if (b != BiasCorrection.NONE) return "bias_correction=" + b.name().toLowerCase(Locale.ROOT);
        return "calibration=" + calibration(options).name().toLowerCase(Locale.ROOT);
    }

    /** Whether the options use calibration data (statistics or bias correction). */
    private boolean dataAware(O options) {
        return statisticsNeed(options).any() || biasCorrection(options) != BiasCorrection.NONE;
    }

    /**
     * How the bias of each compressed layer is corrected for {@code options} ({@link BiasCorrection});
     * none by default. Anything but {@link BiasCorrection#NONE} needs the layer means from calibration data.
     */
    BiasCorrection biasCorrection(O options) {
        return BiasCorrection.NONE;
    }

    /**
     * Whether {@code options} are settled across weights before any is compressed ({@link #plan}),
     * e.g. prune's {@code sparsity_allocation=output_error}; such options are data-aware.
     */
    boolean plansAcrossWeights(O options) {
        return false;
    }

    /**
     * The options to compress each weight with, from all of them at once: {@code jobs} are the
     * weights whose options {@linkplain #plansAcrossWeights plan across weights}, in graph order,
     * with their values and the float model's statistics (second moments included). Called once,
     * after the statistics of the float model are taken and before any weight is compressed.
     */
    List<O> plan(List<Job<O>> jobs) {
        throw new UnsupportedOperationException(passName + ": no plan across weights");
    }

    /** Whether this pass compresses the kept values of a pruned weight (joint compression). */
    abstract boolean compressesPruned();

    /**
     * Whether a weight the options cannot be applied to is left dense with a note ({@link #NOT_APPLICABLE})
     * instead of failing the pass ({@link #INAPPLICABLE}).
     */
    boolean skipsInapplicable(O options) {
        return false;
    }

    /**
     * Whether {@link #check} needs the values of a weight of {@code bytes} bytes as
     * {@link Job#weight()}; if not, it gets null there and the values are only checked to be
     * finite, a piece at a time.
     */
    boolean checksValues(O options, long bytes) {
        return true;
    }

    /**
     * Whether {@link #compress} reads a dense weight (no mask) of {@code bytes} bytes from
     * {@link Job#dense()} in pieces itself, {@link Job#weight()} being null; such a weight counts
     * as {@link #STREAMED_ELEMENTS} elements in flight.
     */
    boolean streams(O options, long bytes) {
        return false;
    }

    /** As {@link #streams(Object, long)}, for a pass whose choice also depends on the weight's type. */
    boolean streams(O options, TensorData dense) {
        return streams(options, dense.byteSize());
    }

    /**
     * Whether {@link #compress} reads a pruned weight whose dense form takes {@code bytes} bytes
     * from {@link Job#mask()} and {@link Job#kept()} in pieces itself ({@link Job#weight()},
     * {@link Job#keep()} and {@link Job#dense()} being null); only for passes that
     * {@linkplain #compressesPruned compress pruned weights}.
     */
    boolean streamsPruned(O options, long bytes) {
        return false;
    }

    /** Heap a streamed weight takes in flight, in elements: a few of its pieces. */
    static final long STREAMED_ELEMENTS = 1 << 22;

    /** Elements a streaming pass or check reads at once (a multiple of 8, so sub-byte codes pack to whole bytes). */
    static final int PIECE = 1 << 20;

    /**
     * Checks, before any weight is compressed, that the options can be applied to this weight (on a
     * worker thread; must not touch the graph).
     *
     * @throws IllegalArgumentException naming what does not fit
     */
    abstract void check(Job<O> job);

    /**
     * Runs the math for one weight (on a worker thread; must not touch the graph).
     *
     * @throws IllegalArgumentException if this weight's values do not allow it (after a passing
     *                                  {@link #check}); it is then left dense with a note
     */
    abstract Emitter compress(Job<O> job);

    // ---- finding weights -------------------------------------------------------------------

    private enum Source { CONSTANT, CONSTANT_NODE, PRUNED, CONSTEXPR }

    private record Site(Node node, WeightOperand operand) {}

    private static final class Candidate {
        final Value value;
        final Source source;
        final ConstexprCone cone; // for CONSTEXPR
        final List<Site> sites = new ArrayList<>();
        /** The layers of the sites when the weight is treated data-aware (set by DataAwareRun), else empty. */
        List<Layer> layers = List.of();

        Candidate(Value value, Source source, ConstexprCone cone) {
            this.value = value;
            this.source = source;
            this.cone = cone;
        }

        boolean isSparse() {
            return source == Source.PRUNED || (cone != null && cone.isSparse());
        }
    }

    private record Prepared<O>(Candidate candidate, O options, int outputAxis, int inputAxis, long elements, boolean streamed) {
        List<Layer> layers() { return candidate.layers; }
    }

    /**
     * @param product      α W E[x] per output channel with the layer's input mean as its statistics
     *                     give it, when the bias is corrected (else null)
     * @param floatProduct the same with the float model's input mean (bias_correction total or auto)
     */
    private record Outcome(Emitter emitter, String skipReason, boolean[] keep, double[] product, double[] floatProduct) {
        Outcome(Emitter emitter, String skipReason, boolean[] keep) {
            this(emitter, skipReason, keep, null, null);
        }
    }

    /** Warning: the pass skipped every weight it looked at (one line with the reasons counted). */
    static final PassesCode NOTHING_COMPRESSED = PassesCode.CW007;

    /** Skipped weights of the current run by note code, and the model file they are in. */
    private final Map<PassesCode, Integer> skippedByCode = new java.util.TreeMap<>();
    private String skippedFile = "";

    @Override public PassResult run(Graph graph, PassContext context) throws PassFailure {
        skippedByCode.clear();
        PassResult result = compressAll(graph, context);
        if (!result.changed() && !skippedByCode.isEmpty()) {
            int total = skippedByCode.values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder why = new StringBuilder();
            skippedByCode.forEach((code, n) -> why.append(why.length() == 0 ? "" : ", ").append(n).append(' ')
                    .append(SKIP_REASONS.getOrDefault(code, "skipped")).append(" (").append(code).append(')'));
            context.diagnostics().warn(NOTHING_COMPRESSED, new dev.pare.ir.Location(skippedFile, "", -1), passName
                    + " compressed no weight: " + total + (total == 1 ? " weight left as it is: " : " weights left as they are: ") + why);
        }
        return result;
    }

    /** What each skip note means, for the warning that counts them. */
    private static final Map<PassesCode, String> SKIP_REASONS = Map.of(
            TOO_SMALL, "not more than weight_threshold elements",
            NOT_APPLICABLE, "the options do not fit",
            ALREADY_COMPRESSED, "already compressed",
            NOT_ONLY_A_WEIGHT, "also used other than as a weight",
            WOULD_GROW, "would grow");

    private PassResult compressAll(Graph graph, PassContext context) throws PassFailure {
        Map<Value, Candidate> candidates = new LinkedHashMap<>();
        Set<Value> noted = new HashSet<>();
        for (Node n : graph.allNodes()) {
            for (WeightOperand w : traits.weightOperands(n)) {
                if (w.operand() >= n.operands().size()) continue;
                Value v = n.operand(w.operand());
                ConstexprCone cone = constexprCone(v);
                Source source = cone != null ? Source.CONSTEXPR : classify(v);
                if (source == null) {
                    if (v.producer() != null && PareDialectEvaluator.isPareWeightOp(v.producer().op()) && options.forNode(n).isPresent() && noted.add(v)) {
                        note(context, ALREADY_COMPRESSED, n, "weight '" + v.name() + "' is already compressed ("
                                + v.producer().op() + "); left as it is");
                    }
                    continue;
                }
                candidates.computeIfAbsent(v, k -> new Candidate(k, source, cone)).sites.add(new Site(n, w));
            }
        }

        List<Prepared<O>> prepared = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            Optional<O> resolved = resolveOptions(c);
            if (resolved.isEmpty()) continue;
            O o = resolved.get();
            Node first = c.sites.get(0).node();
            String otherUse = nonWeightUse(c);
            if (otherUse != null) {
                note(context, NOT_ONLY_A_WEIGHT, first, "weight '" + c.value.name() + "' is also " + otherUse + "; " + leftAs(c));
                continue;
            }
            if (c.isSparse() && !compressesPruned()) {
                String how = c.cone == null ? "" : " (" + c.cone.describe() + ")";
                note(context, ALREADY_COMPRESSED, first, "weight '" + c.value.name() + "' is already pruned" + how + "; left as it is");
                continue;
            }
            TensorType denseType = c.source == Source.PRUNED ? c.value.producer().operand(0).data().type()
                    : c.source == Source.CONSTEXPR ? c.value.tensorType() : denseData(c).type();
            long count = denseType.elementCount();
            if (count <= weightThreshold(o)) {
                note(context, TOO_SMALL, first, "weight '" + c.value.name() + "' has " + count
                        + " elements, not more than weight_threshold " + weightThreshold(o) + "; " + leftAs(c));
                continue;
            }
            int rank = denseType.rank();
            int out = WeightOperand.NO_AXIS;
            int in = WeightOperand.NO_AXIS;
            for (int i = 0; i < c.sites.size(); i++) {
                WeightOperand w = c.sites.get(i).operand();
                int so = WeightOperand.resolve(w.outputAxis(), rank);
                int si = WeightOperand.resolve(w.inputAxis(), rank);
                if (i == 0) {
                    out = so;
                    in = si;
                } else if (so != out || si != in) { // consumers disagree on the axes: only per-tensor forms fit every consumer
                    out = WeightOperand.NO_AXIS;
                    in = WeightOperand.NO_AXIS;
                    break;
                }
            }
            boolean streamed = !dataAware(o) // data-aware math needs the whole weight
                    && ((c.source == Source.CONSTANT || c.source == Source.CONSTANT_NODE) && streams(o, denseData(c))
                        || c.source == Source.PRUNED && streamsPruned(o, count * (c.value.producer().operand(1).data().dtype().bits() / 8)));
            prepared.add(new Prepared<>(c, o, out, in, streamed ? Math.min(count, STREAMED_ELEMENTS) : count, streamed));
        }
        if (prepared.isEmpty()) return PassResult.UNCHANGED;
        for (Prepared<O> p : prepared) { // before any work: a data-aware option without calibration data
            if (dataAware(p.options()) && context.service(CalibrationData.class).isEmpty()) {
                throw new PassFailure(NO_CALIBRATION_DATA, p.candidate().sites.get(0).node(), passName + ": " + dataAwareOption(p.options())
                        + " needs calibration data and none was given; pass --calibration-data");
            }
        }

        long[] seeds = new long[prepared.size()];
        for (int i = 0; i < seeds.length; i++) seeds[i] = context.random().nextLong();
        ExecutorService executor = context.executor();
        this.executor = executor;
        int window = window(parallelism(executor));
        lastWindow = window;
        split = dev.pare.passes.compression.math.SplitWork.on(executor, parallelism(executor));
        long[] elements = new long[prepared.size()];
        for (int i = 0; i < elements.length; i++) elements[i] = prepared.get(i).elements();
        // 1. every selected weight is checked before any is compressed: a misfit fails the pass first.
        //    A check loads the weight's values and drops them when it ends, so no weight is kept.
        List<Prepared<O>> fitting = new ArrayList<>();
        List<Long> fittingSeeds = new ArrayList<>();
        inOrder(prepared, elements, window, executor, i -> () -> check(prepared.get(i), seeds[i], context.tensorStore()), (i, problem) -> {
            Prepared<O> p = prepared.get(i);
            if (problem == null || misfit(p, problem, context)) {
                fitting.add(p);
                fittingSeeds.add(seeds[i]);
            }
        });
        // 2. layer statistics for the weights whose options use calibration data (DataAwareRun)
        DataAwareRun run = new DataAwareRun(fitting, graph, context);
        // 3. compress at most `window` weights at a time; each is written into the graph as soon as it
        //    and all before it are done (graph order, so the result does not depend on the threads).
        //    Sequential calibration does this stage by stage, taking each stage's statistics first.
        Map<Graph, Rewriter> rewriters = new HashMap<>();
        boolean[] changed = {false};
        for (List<Integer> stage : run.stages) {
            List<Prepared<O>> items = new ArrayList<>();
            List<Long> itemSeeds = new ArrayList<>();
            for (int k : stage) {
                items.add(fitting.get(k));
                itemSeeds.add(fittingSeeds.get(k));
            }
            Map<Prepared<O>, LayerStatistics> stats = run.statisticsFor(items);
            context.progress().start("compress", items.size(), "weights"); // after the stage's statistics run
            long[] itemElements = items.stream().mapToLong(Prepared::elements).toArray();
            inOrder(items, itemElements, window, executor, i -> () -> work(items.get(i), itemSeeds.get(i), context.tensorStore(),
                    stats.get(items.get(i)), run.floatStatistics.get(items.get(i)), run.planned.get(items.get(i))), (i, outcome) -> {
                Prepared<O> p = items.get(i);
                try {
                    if (outcome.emitter() == null) { // the values do not allow it (e.g. too few near-zero values to prune)
                        String why = outcome.skipReason();
                        if (why.startsWith(passName + ": ")) why = why.substring(passName.length() + 2);
                        note(context, NOT_APPLICABLE, p.candidate().sites.get(0).node(), "weight '" + p.candidate().value.name() + "' "
                                + leftAs(p.candidate()) + ": " + why);
                    } else {
                        String name = p.candidate().value.name();
                        Graph g = p.candidate().value.graph();
                        boolean applied = apply(p.candidate(), outcome.keep(), outcome.emitter(), rewriters, context);
                        changed[0] |= applied;
                        if (applied && outcome.emitter() instanceof Reported r) {
                            context.diagnostics().note(PassesCode.CW017, p.candidate().sites.get(0).node().location(),
                                    passName + ": weight '" + name + "': " + r.report());
                        }
                        if (applied && outcome.product() != null) run.correct(p, g.value(name).orElseThrow(), stats.get(p), outcome);
                    }
                } finally {
                    context.progress().advance(1, p.candidate().value.tensorType().byteSize().orElse(0), p.candidate().value.name());
                    released(); // the weight is finished: its values, codes and emitter are dropped here
                }
            });
        }
        run.finish();
        return PassResult.of(changed[0]);
    }

    // ---- data-aware compression: layer statistics and bias correction ---------------------------

    /**
     * The data-aware part of one run. Finds the layers of each weight whose options use calibration
     * data (a weight without one is compressed round-to-nearest with a note), splits the weights into
     * stages when statistics are taken sequentially (stage = the most data-aware layers on a path
     * from the graph inputs to the weight's layer, so a stage's layers never feed each other), takes
     * the statistics (all at once from the float model, or per stage from the model compressed so
     * far) and corrects the biases of the compressed layers.
     */
    private final class DataAwareRun {
        final List<List<Integer>> stages;
        /** Per weight with bias_correction total or auto: statistics of the float model. */
        final Map<Prepared<O>, LayerStatistics> floatStatistics = new java.util.IdentityHashMap<>();
        /** Per weight whose options plan across weights: the options {@link #plan} settled. */
        final Map<Prepared<O>, O> planned = new java.util.IdentityHashMap<>();
        private final Map<Prepared<O>, LayerStatistics> oneShot = new java.util.IdentityHashMap<>();
        private final Graph graph;
        private final PassContext context;
        private final StatisticsCollector collector;
        private final boolean sequential;
        private final boolean secondMoment;
        private List<int[]> floatTop1 = List.of();
        private final List<Correction> corrections = new ArrayList<>();
        private long peakBytes;

        private record Correction(BiasCorrector.Edit edit, double[] own, double[] total, BiasCorrection mode) {}

        DataAwareRun(List<Prepared<O>> fitting, Graph graph, PassContext context) throws PassFailure {
            this.graph = graph;
            this.context = context;
            this.collector = new StatisticsCollector(passName, context);
            List<Prepared<O>> aware = new ArrayList<>();
            for (Prepared<O> p : fitting) {
                if (!dataAware(p.options())) continue;
                List<Layer> layers = layersOf(p.candidate());
                p.candidate().layers = layers == null ? List.of() : layers;
                if (layers != null) aware.add(p);
            }
            boolean seq = false;
            boolean h = false;
            boolean needsFloat = false;
            boolean auto = false;
            for (Prepared<O> p : aware) {
                O o = p.options();
                BiasCorrection b = biasCorrection(o);
                seq |= calibration(o) == Calibration.SEQUENTIAL || statisticsNeed(o).calibration() == Calibration.SEQUENTIAL
                        || b == BiasCorrection.TOTAL || b == BiasCorrection.AUTO;
                h |= statisticsNeed(o).secondMoment();
                needsFloat |= b == BiasCorrection.TOTAL || b == BiasCorrection.AUTO;
                auto |= b == BiasCorrection.AUTO;
            }
            sequential = seq;
            secondMoment = h || aware.stream().anyMatch(p -> plansAcrossWeights(p.options()));
            stages = sequential ? stages(fitting) : List.of(java.util.stream.IntStream.range(0, fitting.size()).boxed().toList());
            if (aware.isEmpty()) return;
            List<Prepared<O>> planning = aware.stream().filter(p -> plansAcrossWeights(p.options())).toList();
            Map<Prepared<O>, LayerStatistics> forPlan = oneShot;
            if (!sequential) {
                StatisticsCollector.Collected c = collector.collect(graph, layers(aware), secondMoment, false);
                for (Prepared<O> p : aware) oneShot.put(p, c.statistics(p.layers(), Calibration.ONE_SHOT));
                peakBytes = c.bytes();
            } else if (needsFloat || !planning.isEmpty()) {
                // the float model's means (and top-1 for auto; H to plan with) before anything is compressed
                StatisticsCollector.Collected c = collector.collect(graph, layers(aware), !planning.isEmpty(), auto);
                forPlan = new java.util.IdentityHashMap<>();
                for (Prepared<O> p : aware) {
                    LayerStatistics s = c.statistics(p.layers(), Calibration.ONE_SHOT);
                    BiasCorrection b = biasCorrection(p.options());
                    if (b == BiasCorrection.TOTAL || b == BiasCorrection.AUTO) floatStatistics.put(p, s);
                    forPlan.put(p, s);
                }
                floatTop1 = c.top1();
                peakBytes = c.bytes();
            }
            if (!planning.isEmpty()) {
                List<Job<O>> jobs = new ArrayList<>();
                for (Prepared<O> p : planning) jobs.add(load(p, 0, context.tensorStore(), false).withStatistics(forPlan.get(p)));
                List<O> settled = plan(jobs);
                for (int i = 0; i < planning.size(); i++) planned.put(planning.get(i), settled.get(i));
            }
        }

        /** The statistics of the weights of one stage (taken now, on the graph as compressed so far, when sequential). */
        Map<Prepared<O>, LayerStatistics> statisticsFor(List<Prepared<O>> items) throws PassFailure {
            if (!sequential) return oneShot;
            List<Prepared<O>> aware = new ArrayList<>();
            for (Prepared<O> p : items) if (!p.layers().isEmpty()) aware.add(p);
            if (aware.isEmpty()) return Map.of();
            StatisticsCollector.Collected c = collector.collect(graph, layers(aware), secondMoment, false);
            peakBytes = Math.max(peakBytes, c.bytes());
            Map<Prepared<O>, LayerStatistics> out = new java.util.IdentityHashMap<>();
            for (Prepared<O> p : aware) out.put(p, c.statistics(p.layers(), Calibration.SEQUENTIAL));
            return out;
        }

        /** Corrects the biases of the layers of a weight just written as {@code compressed}. */
        void correct(Prepared<O> p, Value compressed, LayerStatistics stats, Outcome outcome) {
            float[] decoded = BiasCorrector.decode(compressed);
            double[] after = BiasCorrector.product(stats.layout(), decoded, means(stats), p.layers().get(0).alpha());
            double[] own = new double[after.length];
            for (int c = 0; c < own.length; c++) own[c] = outcome.product()[c] - after[c];
            double[] total = null;
            if (outcome.floatProduct() != null) {
                total = new double[after.length];
                for (int c = 0; c < total.length; c++) total[c] = outcome.floatProduct()[c] - after[c];
            }
            BiasCorrection mode = biasCorrection(p.options());
            for (Layer l : p.layers()) {
                BiasCorrector.Edit e = BiasCorrector.edit(l, passName);
                e.set(mode == BiasCorrection.OWN ? own : total);
                corrections.add(new Correction(e, own, total, mode));
                context.statistics().increment("biases_corrected");
            }
        }

        /** Settles auto (own or total, by top-1 agreement with the float model) and reports. */
        void finish() throws PassFailure {
            if (peakBytes > 0) context.statistics().add("statistics_bytes", peakBytes);
            if (corrections.isEmpty()) return;
            String how = corrections.stream().map(c -> c.mode().name().toLowerCase(Locale.ROOT)).distinct().collect(java.util.stream.Collectors.joining(", "));
            List<Correction> auto = corrections.stream().filter(c -> c.mode() == BiasCorrection.AUTO).toList();
            if (!auto.isEmpty()) {
                double total = agreement();
                for (Correction c : auto) c.edit().set(c.own());
                double own = agreement();
                boolean chooseOwn = own > total;
                if (!chooseOwn) for (Correction c : auto) c.edit().set(c.total());
                how = how.replace("auto", String.format(Locale.ROOT, "auto chose %s: top-1 agreement with the float model on %d calibration "
                        + "samples own %.4f, total %.4f", chooseOwn ? "own" : "total", floatTop1.size(), own, total));
            }
            context.diagnostics().note(BIAS_CORRECTED, graph.nodes().isEmpty() ? dev.pare.ir.Location.UNKNOWN
                    : graph.nodes().get(0).location(), passName + ": corrected the biases of "
                    + corrections.size() + (corrections.size() == 1 ? " layer" : " layers") + " (bias_correction=" + how + ")");
        }

        /** The share of calibration outputs whose arg-max equals the float model's. */
        private double agreement() throws PassFailure {
            List<int[]> now = collector.collect(graph, List.of(), false, true).top1();
            long same = 0;
            long all = 0;
            for (int s = 0; s < Math.min(now.size(), floatTop1.size()); s++) {
                int[] a = now.get(s);
                int[] b = floatTop1.get(s);
                for (int i = 0; i < Math.min(a.length, b.length); i++) if (a[i] == b[i]) same++;
                all += b.length;
            }
            return all == 0 ? 0 : (double) same / all;
        }

        private List<Layer> layers(List<Prepared<O>> aware) {
            List<Layer> out = new ArrayList<>();
            for (Prepared<O> p : aware) out.addAll(p.layers());
            return out;
        }

        /** The layers reading the weight, or null (with a note) when it cannot be treated data-aware. */
        private List<Layer> layersOf(Candidate c) {
            List<Layer> layers = new ArrayList<>();
            long[] shape = c.value.tensorType().shape();
            for (Site s : c.sites) {
                String why = null;
                if (s.node().graph() != graph) {
                    why = "its consumer '" + s.node().name() + "' is in a subgraph, which calibration does not reach";
                } else if (shape == null) {
                    why = "its shape is not known";
                } else {
                    Layer.Found f = Layer.of(s.node(), s.operand().operand(), shape);
                    if (f.layer().isPresent()) {
                        Layer l = f.layer().get();
                        if (!layers.isEmpty() && !layers.get(0).layout().equals(l.layout())) {
                            why = "it is shared by layers of different shapes ('" + layers.get(0).node().name() + "' and '" + s.node().name() + "')";
                        } else {
                            layers.add(l);
                        }
                    } else {
                        why = f.whyNot();
                    }
                }
                if (why != null) {
                    context.diagnostics().note(ROUND_TO_NEAREST, s.node().location(), passName + ": weight '" + c.value.name()
                            + "' is compressed round-to-nearest: " + why);
                    context.statistics().increment("weights_round_to_nearest");
                    return null;
                }
            }
            return layers;
        }

        /** Indices of {@code fitting} by stage (the most data-aware layers before the weight's), graph order within a stage. */
        private List<List<Integer>> stages(List<Prepared<O>> fitting) {
            Set<Node> layerNodes = new HashSet<>();
            for (Prepared<O> p : fitting) for (Layer l : p.layers()) layerNodes.add(l.node());
            Map<Value, Integer> depth = new HashMap<>();
            Map<Node, Integer> nodeDepth = new HashMap<>();
            for (Node n : graph.nodes()) {
                int d = 0;
                for (Value v : n.operands()) d = Math.max(d, depth.getOrDefault(v, 0));
                nodeDepth.put(n, d);
                for (Value r : n.results()) if (!r.isAbsent()) depth.put(r, d + (layerNodes.contains(n) ? 1 : 0));
            }
            java.util.TreeMap<Integer, List<Integer>> byStage = new java.util.TreeMap<>();
            for (int i = 0; i < fitting.size(); i++) {
                int stage = 0;
                for (Site s : fitting.get(i).candidate().sites) stage = Math.max(stage, nodeDepth.getOrDefault(s.node(), 0));
                byStage.computeIfAbsent(stage, k -> new ArrayList<>()).add(i);
            }
            return new ArrayList<>(byStage.values());
        }
    }

    /** Weights in flight at once: one per worker, plus one whose result waits to be written. */
    static int window(int threads) {
        return threads + 1;
    }

    /** How many threads the pool runs at once (its processor count when it cannot say). */
    static int parallelism(ExecutorService executor) {
        if (executor instanceof ThreadPoolExecutor t) return Math.max(1, t.getMaximumPoolSize());
        if (executor instanceof ForkJoinPool f) return f.getParallelism();
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Estimated heap bytes per element of a weight in flight: its float values, the math's codes and
     * working arrays, the packed result. Weights in flight together stay under 3/4 of the heap by
     * this estimate (one weight always runs, however large).
     */
    private static final long BYTES_PER_ELEMENT_IN_FLIGHT = 16;

    /** The pool of the running pass, for math that splits one weight's work (streamed groups). */
    private volatile ExecutorService executor;

    /** The pool the pass runs on (null before it runs). */
    ExecutorService executor() { return executor; }

    /** Elements in flight at most (tests lower it); by default from the heap's maximum size. */
    long inFlightBudget = Runtime.getRuntime().maxMemory() / 4 * 3 / BYTES_PER_ELEMENT_IN_FLIGHT;

    /**
     * How one weight's streamed work is split over the pool's idle threads (a single large weight
     * then uses every core; with many weights in flight the threads are busy and each weight's
     * worker does its parts itself): set when a run starts.
     */
    private volatile dev.pare.passes.compression.math.SplitWork split = dev.pare.passes.compression.math.SplitWork.INLINE;

    /** Weights whose arrays are alive now, the most there were at once, and the last run's window. */
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger peakLive = new AtomicInteger();
    private volatile int lastWindow;

    /** The most weights whose values or results were alive at once in this pass's runs (for tests). */
    int peakLiveWeights() { return peakLive.get(); }

    /** The window of the last run (for tests). */
    int lastWindow() { return lastWindow; }

    private void loaded() {
        int now = live.incrementAndGet();
        peakLive.accumulateAndGet(now, Math::max);
    }

    private void released() {
        live.decrementAndGet();
    }

    @FunctionalInterface
    private interface InOrder<R> {
        void accept(int index, R result) throws PassFailure;
    }

    /**
     * Runs {@code task(i)} for every item on the executor, at most {@code window} at once and, past
     * the first, only while their elements stay within {@link #inFlightBudget}; hands each result to
     * {@code done} in item order on this thread as soon as it and all before it are done. Tasks not
     * yet handed on are cancelled if {@code done} throws.
     */
    private <T, R> void inOrder(List<T> items, long[] elements, int window, ExecutorService executor,
                                java.util.function.IntFunction<Callable<R>> task, InOrder<R> done) throws PassFailure {
        ArrayDeque<Future<R>> inFlight = new ArrayDeque<>();
        long inFlightElements = 0;
        int next = 0;
        try {
            for (int i = 0; i < items.size(); i++) {
                while (next < items.size() && inFlight.size() < window
                        && (inFlight.isEmpty() || inFlightElements + elements[next] <= inFlightBudget)) {
                    inFlight.add(executor.submit(task.apply(next)));
                    inFlightElements += elements[next];
                    next++;
                }
                R r = await(inFlight.poll(), nodeOf(items.get(i)));
                inFlightElements -= elements[i];
                done.accept(i, r);
            }
        } finally {
            for (Future<R> f : inFlight) f.cancel(true);
        }
    }

    private static Node nodeOf(Object item) {
        return ((Prepared<?>) item).candidate().sites.get(0).node();
    }

    /** Notes a weight the options do not fit (returns false), or fails when the options do not skip such weights. */
    private boolean misfit(Prepared<O> p, String problem, PassContext context) throws PassFailure {
        Node node = p.candidate().sites.get(0).node();
        String why = problem.startsWith(passName + ": ") ? problem.substring(passName.length() + 2) : problem;
        if (skipsInapplicable(p.options())) {
            note(context, NOT_APPLICABLE, node, "weight '" + p.candidate().value.name() + "' " + leftAs(p.candidate()) + ": " + why);
            return false;
        }
        throw new PassFailure(INAPPLICABLE, node, passName + ": weight '" + p.candidate().value.name() + "' of '" + node.name()
                + "': " + why + "; no weight was compressed");
    }

    /** What does not fit in checking one weight, or null; its values are dropped when this returns. */
    private String check(Prepared<O> p, long seed, TensorStore store) {
        loaded();
        try {
            Job<O> job = load(p, seed, store, true);
            if (job.weight() == null) Tensors.requireFinite(job.dense() != null ? job.dense() : job.kept(), PIECE, job.split());
            check(job);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } finally {
            released();
        }
    }

    /** The weight's dense values (decoded, for a pruned or constexpr weight) as a worker sees them. */
    private Job<O> load(Prepared<O> p, long seed, TensorStore store, boolean forCheck) {
        Candidate c = p.candidate();
        TensorData dense;
        boolean[] keep = null;
        if (c.source == Source.PRUNED && p.streamed()) { // the pass reads the mask and kept values itself
            Node sparse = c.value.producer();
            return new Job<>(c.value.name(), null, null, p.options(), p.outputAxis(), p.inputAxis(), seed, null, store,
                    sparse.operand(0).data(), sparse.operand(1).data(), Optional.empty(), split);
        }
        if (c.source == Source.PRUNED) {
            Node sparse = c.value.producer();
            TensorData mask = sparse.operand(0).data();
            dense = PareDialectEvaluator.sparseToDense(mask, sparse.operand(1).data());
            keep = maskBits(mask);
        } else if (c.source == Source.CONSTEXPR) {
            ConstexprCone.Decoded decoded = c.cone.decode();
            dense = decoded.dense();
            keep = decoded.keep();
        } else {
            dense = denseData(c);
        }
        boolean values = forCheck ? checksValues(p.options(), dense.byteSize()) : !p.streamed();
        WeightTensor weight = values ? WeightTensor.of(Tensors.floats(dense), dense.type().shape(), Precision.of(dense.dtype())) : null;
        return new Job<>(c.value.name(), weight, keep, p.options(), p.outputAxis(), p.inputAxis(), seed, dense, store, null, null, Optional.empty(), split);
    }

    /** Compresses one weight; its arrays count as alive until the caller has written the result. */
    private Outcome work(Prepared<O> p, long seed, TensorStore store, LayerStatistics statistics, LayerStatistics floatStatistics,
                         O planned) {
        loaded();
        try {
            Job<O> job = load(p, seed, store, false).withStatistics(statistics);
            if (planned != null) job = job.withOptions(planned);
            Emitter emitter = compress(job);
            if (statistics == null || biasCorrection(p.options()) == BiasCorrection.NONE) return new Outcome(emitter, null, job.keep());
            double alpha = p.layers().get(0).alpha();
            double[] product = BiasCorrector.product(statistics.layout(), job.weight().values(), means(statistics), alpha);
            double[] floatProduct = floatStatistics == null ? null
                    : BiasCorrector.product(statistics.layout(), job.weight().values(), means(floatStatistics), alpha);
            return new Outcome(emitter, null, job.keep(), product, floatProduct);
        } catch (IllegalArgumentException e) {
            return new Outcome(null, e.getMessage(), null);
        }
    }

    private static double[][] means(LayerStatistics s) {
        double[][] m = new double[s.layout().groups()][];
        for (int g = 0; g < m.length; g++) m[g] = s.inputMean(g);
        return m;
    }

    private <T> T await(Future<T> f, Node node) throws PassFailure {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PassFailure(PassesCode.CW011, node, passName + ": interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) throw (RuntimeException) cause;
            if (cause instanceof Error) throw (Error) cause;
            throw new IllegalStateException(cause);
        }
    }

    // ---- rewriting -------------------------------------------------------------------------

    /** Rewrites one weight; false if it was left as it was after all. */
    private boolean apply(Candidate c, boolean[] keep, Emitter emitter, Map<Graph, Rewriter> rewriters, PassContext context) {
        Value v = c.value;
        String name = v.name();
        Graph g = v.graph();
        Rewriter rw = rewriterFor(g, rewriters);
        long before;
        Value mask = null;
        TensorData dense;
        if (c.source == Source.CONSTANT_NODE) {
            Node constantNode = v.producer();
            dense = constantNodeValue(constantNode);
            Value k = rw.addConstant(rw.uniqueValueName(name + "_dense"), dense);
            replaceAllUses(g, v, k);
            rw.erase(constantNode);
            rw.renameValue(k, name);
            v = k;
            before = dense.byteSize();
        } else if (c.source == Source.CONSTANT) {
            dense = v.data();
            before = dense.byteSize();
        } else if (c.source == Source.CONSTEXPR) {
            before = c.cone.storedBytes();
            long[] shape = v.tensorType().shape();
            if (keep != null) mask = rw.addConstant(rw.uniqueValueName(name + "_mask"), Tensors.ofMask(context.tensorStore(), shape, keep));
            return applyConstexpr(c, shape, mask, before, emitter, rewriters, context);
        } else {
            Node sparse = v.producer();
            mask = sparse.operand(0);
            dense = sparse.operand(1).data();
            before = mask.data().byteSize() + dense.byteSize();
        }
        long[] shape = mask != null ? mask.data().type().shape() : dense.type().shape();
        DenseChain chain = new DenseChain(rw, name, shape, dense.dtype(), mask, passName, context.tensorStore());
        Value result = emitter.emit(chain);
        replaceAllUses(g, v, result);
        if (c.source == Source.PRUNED) {
            Node sparse = v.producer();
            Value oldValues = sparse.operand(1);
            rw.erase(sparse);
            if (!oldValues.hasUses() && !oldValues.graph().isOutput(oldValues) && oldValues.isConstant()) {
                rewriterFor(oldValues.graph(), rewriters).eraseConstant(oldValues);
            }
        } else {
            rw.eraseConstant(v);
        }
        rw.renameValue(result, name);
        context.statistics().increment("weights_compressed");
        context.statistics().add("bytes_before", before);
        context.statistics().add("bytes_after", chain.bytes());
        return true;
    }

    /** Replaces a weight decoded by a constexpr chain; the chain goes once nothing else reads it. */
    private boolean applyConstexpr(Candidate c, long[] shape, Value mask, long before, Emitter emitter,
                                Map<Graph, Rewriter> rewriters, PassContext context) {
        Value v = c.value;
        String name = v.name();
        Graph g = v.graph();
        Rewriter rw = rewriterFor(g, rewriters);
        String was = c.cone.describe();
        DenseChain chain = new DenseChain(rw, name, shape, v.tensorType().dtype(), mask, passName, context.tensorStore());
        Value result = emitter.emit(chain);
        Node first = c.sites.get(0).node();
        if (chain.storedBytes() > before) { // e.g. unique mode turning 16 grouped LUTs into one 8-bit LUT: keep what is there
            chain.undo();
            if (mask != null) rw.eraseConstant(mask);
            note(context, WOULD_GROW, first, "weight '" + name + "' left " + was + ": " + passName + " would store it in "
                    + chain.storedBytes() + " bytes, more than the " + before + " it takes now");
            return false;
        }
        replaceAllUses(g, v, result);
        c.cone.eraseUnused(k -> rewriterFor(k, rewriters));
        rw.renameValue(result, name);
        Map<String, String> meta = new LinkedHashMap<>(result.metadata());
        meta.put(WeightHistory.DECOMPRESSED_FROM, was);
        rw.setMetadata(result, meta);
        context.diagnostics().note(DECOMPRESSED, first.location(), passName + ": weight '" + name + "' was " + was
                + "; decompressed before " + gerund() + " it");
        context.statistics().increment("weights_decompressed");
        context.statistics().increment("weights_compressed");
        context.statistics().add("bytes_before", before);
        context.statistics().add("bytes_after", chain.bytes());
        return true;
    }

    /** "palettizing", "quantizing", "pruning": what this pass does to a weight, for notes. */
    private String gerund() {
        switch (passName) {
            case "palettize": return "palettizing";
            case "quantize_weights": return "quantizing";
            case "prune": return "pruning";
            default: return "running " + passName + " on";
        }
    }

    /** "left dense", or for a weight Core ML ops already decode, "left int8-quantized (constexpr_affine_dequantize)". */
    private static String leftAs(Candidate c) {
        return c.cone == null ? "left dense" : "left " + c.cone.describe();
    }

    private static Rewriter rewriterFor(Graph g, Map<Graph, Rewriter> rewriters) {
        return rewriters.computeIfAbsent(g, k -> {
            Rewriter r = k.rewriter();
            if (!k.nodes().isEmpty()) r.setInsertionPointBefore(k.nodes().get(0));
            return r;
        });
    }

    /** Replaces {@code from} by {@code to} in uses, outputs and outputs of nested subgraphs. */
    private static void replaceAllUses(Graph g, Value from, Value to) {
        g.rewriter().replaceAllUsesWith(from, to);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }

    private static void replaceNestedOutputs(Graph g, Value from, Value to) {
        for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == from) g.rewriter().setOutput(i, to);
        for (Node n : g.nodes()) for (Graph sub : n.subgraphs()) replaceNestedOutputs(sub, from, to);
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static Source classify(Value v) {
        if (v.isAbsent()) return null;
        if (v.isConstant()) return isFloatDense(v.data()) ? Source.CONSTANT : null;
        Node p = v.producer();
        if (p == null) return null;
        if (p.op().equals("onnx.Constant") && p.results().size() == 1) {
            return isFloatDense(constantNodeValue(p)) ? Source.CONSTANT_NODE : null;
        }
        if (p.op().equals(PareDialectEvaluator.SPARSE_TO_DENSE) && p.operands().size() == 2) {
            Value mask = p.operand(0);
            Value values = p.operand(1);
            if (mask.isConstant() && mask.data().dtype() == DType.UINT1 && values.isConstant() && isFloatDense(values.data())
                    && values.data().type().rank() == 1) {
                return Source.PRUNED;
            }
        }
        return null;
    }

    /** The constexpr chain that decodes {@code v}, if it is a weight the passes can decompress. */
    private static ConstexprCone constexprCone(Value v) {
        if (v.isAbsent() || v.producer() == null || !MilConstexprEvaluator.isConstexpr(v.producer().op())) return null;
        if (!v.tensorType().isStatic() || v.tensorType().elementCount() > Integer.MAX_VALUE) return null;
        return ConstexprCone.of(v);
    }

    private static boolean isFloatDense(TensorData d) {
        return d instanceof DenseData && Tensors.isFloatWeight(d.dtype()) && d.elementCount() <= Integer.MAX_VALUE;
    }

    /** The {@code value} tensor of an {@code onnx.Constant} node, or null. */
    private static TensorData constantNodeValue(Node n) {
        if (n.attributes().size() != 1) return null;
        return n.attributes().get("value").orElse(null) instanceof Attribute.TensorAttr t ? t.value() : null;
    }

    private static TensorData denseData(Candidate c) {
        return c.source == Source.CONSTANT_NODE ? constantNodeValue(c.value.producer()) : c.value.data();
    }

    private static boolean[] maskBits(TensorData mask) {
        int n = Math.toIntExact(mask.elementCount());
        ByteBuffer b = mask.bytes();
        boolean[] keep = new boolean[n];
        for (int e = 0; e < n; e++) keep[e] = ((b.get(e >>> 3) >>> (e & 7)) & 1) != 0;
        return keep;
    }

    /** How the value is used other than as a weight operand, or null if it is only a weight. */
    private static String nonWeightUse(Candidate c) {
        for (Value.Use u : c.value.uses()) {
            boolean weight = false;
            for (Site s : c.sites) {
                if (s.node() == u.user() && s.operand().operand() == u.operandIndex()) {
                    weight = true;
                    break;
                }
            }
            if (!weight) return "operand " + u.operandIndex() + " of '" + u.user().name() + "' (" + u.user().op() + ")";
        }
        Graph g = c.value.graph();
        if (g.isOutput(c.value)) return "an output of graph '" + g.name() + "'";
        for (Node n : g.allNodes()) {
            for (Graph sub : n.subgraphs()) if (sub.isOutput(c.value)) return "an output of subgraph '" + sub.name() + "'";
        }
        return null;
    }

    private Optional<O> resolveOptions(Candidate c) throws PassFailure {
        Site first = c.sites.get(0);
        Optional<O> chosen = options.forNode(first.node());
        for (Site s : c.sites.subList(1, c.sites.size())) {
            Optional<O> o = options.forNode(s.node());
            if (o.equals(chosen)) continue;
            String why;
            if (chosen.isPresent() && o.isPresent()) {
                why = "whose " + passName + " options differ (" + difference(chosen.get(), o.get()) + ")";
            } else {
                why = "but " + passName + " skips '" + (chosen.isEmpty() ? first : s).node().name() + "'";
            }
            throw new PassFailure(SHARED_CONFLICT, s.node(), passName + ": weight '" + c.value.name() + "' is shared by '"
                    + first.node().name() + "' and '" + s.node().name() + "' " + why);
        }
        return chosen;
    }

    /** {@code nbits=4 vs nbits=6, mode=kmeans vs mode=uniform}: the components that differ. */
    static String difference(Record a, Record b) {
        List<String> parts = new ArrayList<>();
        for (RecordComponent rc : a.getClass().getRecordComponents()) {
            try {
                Object x = rc.getAccessor().invoke(a);
                Object y = rc.getAccessor().invoke(b);
                if (!java.util.Objects.equals(x, y)) {
                    String key = snake(rc.getName());
                    parts.add(key + "=" + show(x) + " vs " + key + "=" + show(y));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return String.join(", ", parts);
    }

    private static String show(Object v) {
        if (v instanceof Optional<?> o) return o.isEmpty() ? "(not set)" : show(o.get());
        return v instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }

    private static String snake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch) && i > 0) sb.append('_');
            sb.append(Character.toLowerCase(ch));
        }
        return sb.toString();
    }

    private void note(PassContext context, PassesCode code, Node node, String message) {
        if (skippedByCode.isEmpty()) skippedFile = node.location().file();
        skippedByCode.merge(code, 1, Integer::sum);
        context.statistics().increment("weights_skipped");
        context.diagnostics().note(code, node.location(), passName + ": " + message);
    }
}
