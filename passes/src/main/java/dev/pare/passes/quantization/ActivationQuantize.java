package dev.pare.passes.quantization;

import dev.pare.passes.PassesCode;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.BadDataFailure;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * {@code activation_quantize}: static activation quantization (ONNX Runtime's {@code quantize_static}
 * in QDQ form, Core ML Tools' {@code linear_quantize_activations}). The float32 activation inputs of
 * the selected ops (by default those of Conv, ConvTranspose, MatMul, Gemm, the pooling ops, and Add
 * when both its inputs are computed; narrowed with the pipeline's {@code on}/{@code except}) are
 * calibrated by running the model ({@code context.service(ModelExecutor.class)}) on the calibration
 * samples ({@code context.service(CalibrationData.class)}) one at a time, keeping per tensor only a
 * running min/max and a fixed 2048-bin histogram ({@link RangeCollector}), so memory does not grow
 * with the number of samples. Each tensor then gets one {@code pare.quantize -> pare.dequantize}
 * pair (float32 scalar scale, int8/uint8 zero point; ir/PARE_DIALECT.md) that all its selected
 * consumers read; other consumers keep the float tensor.
 *
 * <p>Core ML programs ({@code mil.*} graphs read from a package) work the same way: op types are
 * given by their ONNX names and select the MIL op that does the same ({@link #MIL_OPS}: Conv = conv,
 * Gemm = linear, MatMul = matmul, AveragePool = avg_pool, ...; a MIL name also works), the
 * activation operands are found by parameter name ({@code x}, and {@code y} of matmul and the
 * elementwise ops), and fp16 activations (fp16 programs) are quantized with an fp16 scale, as
 * Core ML's quantize op takes the scale in the input's type.
 *
 * <p>Calibration data must be finite: a NaN or infinity in a sample's input, or at a calibrated
 * tensor the model computes from it, fails the pass ({@link BadDataFailure} AQ007) naming the
 * sample ({@link CalibrationData#describe}) and the input or tensor, unless the
 * {@link CalibrationPolicy} skips such samples (one warning AQ105 counting them; AQ008 when none is
 * left). Before the graph changes, every range is checked: one float32 cannot carry, or one where
 * at least {@value Run#REFUSED_ZERO_SHARE} of the tensor's non-zero values would quantize to 0 (an
 * outlier sets the range), fails the pass (AQ009); from {@value Run#WARNED_ZERO_SHARE} on the
 * tensors are named in one warning (AQ104).
 *
 * <p>Diagnostics: AQ100 progress notes during calibration, AQ101 a tensor left float (not float32),
 * AQ102 the summary, AQ103 a warning when no activation is quantized (with why). Statistics:
 * {@code calibration_samples}, {@code tensors_quantized}, {@code tensors_skipped},
 * {@code samples_skipped_nonfinite}.
 */
public final class ActivationQuantize implements PassProvider<ActivationQuantize.Options> {

    public enum Dtype { INT8, UINT8 }

    public enum Method { MINMAX, PERCENTILE, ENTROPY, MSE }

    /** Whether the layers' biases take up the mean output drift that quantizing activations causes. */
    public enum BiasCorrection { NONE, TOTAL }

    static final String QUANTIZE = "pare.quantize";
    static final String DEQUANTIZE = "pare.dequantize";
    static final String NO_CALIBRATION_DATA = "activation_quantize needs calibration data: pass --calibration-data DIR";
    /** Ends the message of a sample holding NaN or infinity. */
    static final String SKIP_HINT = "; --skip-nonfinite-samples leaves such samples out";

    /** Ops whose every input is quantized only when all of them are computed (Core ML Tools' rule for add). */
    private static final Set<String> ALL_INPUTS_COMPUTED = Set.of("Add", "Mul", "Sub", "Concat");
    /** The MIL op (ir/MIL_DIALECT.md) that does what each ONNX op type in {@code op_types} does. */
    static final Map<String, String> MIL_OPS = Map.of("Conv", "conv", "ConvTranspose", "conv_transpose", "MatMul", "matmul",
            "Gemm", "linear", "AveragePool", "avg_pool", "MaxPool", "max_pool", "Add", "add", "Mul", "mul", "Sub", "sub");
    /** Activation parameters of the MIL ops above. */
    private static final Map<String, List<String>> MIL_ACTIVATION_PARAMS = Map.of("conv", List.of("x"),
            "conv_transpose", List.of("x"), "avg_pool", List.of("x"), "max_pool", List.of("x"), "linear", List.of("x"),
            "matmul", List.of("x", "y"), "add", List.of("x", "y"), "mul", List.of("x", "y"), "sub", List.of("x", "y"));
    private static final Set<String> MIL_ALL_INPUTS_COMPUTED = Set.of("add", "mul", "sub");

    /** Ops whose first input is the only activation (the others are weights, bias or shapes). */
    private static final Set<String> FIRST_INPUT_ONLY = Set.of("Conv", "ConvTranspose", "AveragePool", "MaxPool",
            "GlobalAveragePool", "GlobalMaxPool", "LpPool", "Resize");

    /** The pass options; see each component's help. */
    public record Options(
            @Option(help = "Code type of the activations: int8 or uint8.")
            Dtype dtype,
            @Option(help = "Symmetric range around 0 (zero point 0 for int8, 128 for uint8) instead of the calibrated [min, max].")
            boolean symmetric,
            @Option(help = "How the range is chosen: minmax (observed extremes), percentile (clips the tails), entropy (least KL "
                    + "divergence), mse (least expected squared quantization error, rounding plus clipping, on the histogram).")
            Method method,
            @Option(help = "With method=percentile: the share of values, in percent, that stays inside the range.", min = 50, max = 100)
            double percentile,
            @Option(help = "Calibration samples to run (the first N); not given = all of them.", min = 1)
            Optional<Integer> numSamples,
            @Option(help = "Op types whose activation inputs are quantized (ONNX op types; in a Core ML program they select "
                    + "the MIL op that does the same: Conv = conv, Gemm = linear, MatMul = matmul, ...).")
            List<String> opTypes,
            @Option(help = "7-bit activation codes (int8 -64..63, uint8 0..127), as ONNX Runtime's reduce_range; W8A8 "
                    + "reduces the weights instead (quantize_weights{reduce_range=true}).")
            boolean reduceRange,
            @Option(help = "total: after quantizing, run the quantized model on the calibration samples and move the bias of "
                    + "each Conv/ConvTranspose/Gemm (and MatMul + constant Add) reading a quantized activation by its output's "
                    + "mean drift per channel; none: leave biases as they are.")
            BiasCorrection biasCorrection) {

        /** Options with 8-bit codes and no bias correction. */
        public Options(Dtype dtype, boolean symmetric, Method method, double percentile, Optional<Integer> numSamples,
                List<String> opTypes) {
            this(dtype, symmetric, method, percentile, numSamples, opTypes, false, BiasCorrection.NONE);
        }

        public Options {
            if (dtype == null || method == null || biasCorrection == null || numSamples == null) {
                throw new IllegalArgumentException("activation_quantize: dtype, method, num_samples and bias_correction are required");
            }
            if (!(percentile >= 50 && percentile <= 100)) {
                throw new IllegalArgumentException("activation_quantize: percentile must be in [50, 100], got " + percentile);
            }
            if (numSamples.isPresent() && numSamples.get() < 1) {
                throw new IllegalArgumentException("activation_quantize: num_samples must be >= 1, got " + numSamples.get());
            }
            if (opTypes == null || opTypes.isEmpty()) throw new IllegalArgumentException("activation_quantize: op_types must not be empty");
            opTypes = List.copyOf(opTypes);
        }

        /** The calibration settings of one tensor (what must agree between its consumers). */
        String rangeKey() {
            return dtype + "/" + symmetric + "/" + method + (method == Method.PERCENTILE ? "/" + percentile : "")
                    + (reduceRange ? "/reduce_range" : "");
        }
    }

    @Override public PassInfo info() {
        return PassInfo.required("activation_quantize",
                "Calibrates activation ranges on sample inputs and inserts int8/uint8 quantize-dequantize pairs.");
    }

    @Override public Options defaults() {
        return new Options(Dtype.INT8, false, Method.MINMAX, 99.999, Optional.empty(),
                List.of("Conv", "ConvTranspose", "MatMul", "Gemm", "AveragePool", "MaxPool", "GlobalAveragePool", "Add"),
                false, BiasCorrection.NONE);
    }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> new Run(graph, options, context).run();
    }

    /** One activation tensor to quantize: its consumers (node, operand index) and settings. */
    private static final class Target {
        final Value value;
        final Options options;
        final Node firstConsumer;
        final List<Node> consumers = new ArrayList<>();
        final List<Integer> operandIndexes = new ArrayList<>();
        RangeCollector collector;
        String skipReason;

        Target(Value value, Options options, Node firstConsumer) {
            this.value = value;
            this.options = options;
            this.firstConsumer = firstConsumer;
        }
    }

    private static final class Run {
        private final Graph graph;
        private final ScopedOptions<Options> options;
        private final PassContext context;
        private final Map<Value, Boolean> constantDerived = new IdentityHashMap<>();

        Run(Graph graph, ScopedOptions<Options> options, PassContext context) {
            this.graph = graph;
            this.options = options;
            this.context = context;
        }

        PassResult run() throws PassFailure {
            Map<Value, Target> targets = select();
            if (targets.isEmpty()) {
                quantizedNothing(whyNoTarget());
                return PassResult.UNCHANGED;
            }
            CalibrationData data;
            try {
                data = context.service(CalibrationData.class).orElseThrow(() -> new PassFailure(PassesCode.AQ001, NO_CALIBRATION_DATA));
            } catch (UncheckedIOException e) {
                throw new BadDataFailure(PassesCode.AQ005, "activation_quantize: cannot read the calibration data: " + e.getCause().getMessage());
            }
            ModelExecutor executor = context.service(ModelExecutor.class)
                    .orElseThrow(() -> new PassFailure(PassesCode.AQ002, "activation_quantize needs a model executor to run the model, and none is bound"));
            List<LayerBias> layers = biasLayers(targets);
            List<Integer> used = calibrate(targets, data, executor, layers);
            boolean changed = rewrite(targets);
            if (changed && !layers.isEmpty()) correctBiases(layers, data, executor, used);
            return PassResult.of(changed);
        }

        /** The layers reading a selected activation whose options ask for bias correction, in node order. */
        private List<LayerBias> biasLayers(Map<Value, Target> targets) {
            Set<Node> readers = new java.util.LinkedHashSet<>();
            for (Target t : targets.values()) readers.addAll(t.consumers);
            List<LayerBias> out = new ArrayList<>();
            for (Node n : graph.nodes()) {
                if (!readers.contains(n)) continue;
                Optional<Options> o = options.forNode(n);
                if (o.isEmpty() || o.get().biasCorrection() == BiasCorrection.NONE) continue;
                LayerBias.of(n).ifPresent(out::add);
            }
            return out;
        }

        /**
         * Runs the quantized graph on the samples calibration used and moves each layer's bias by its
         * output's mean drift per channel; a layer whose input stayed float is left as it is. Layers
         * are corrected in waves, upstream first: a wave holds the layers no other uncorrected layer
         * feeds, and is measured with every earlier wave's correction in place, so a drift an upstream
         * bias already removed is not removed twice (the layer-by-layer order of empirical bias
         * correction; independent layers such as a transformer's Q, K and V share a run).
         */
        private void correctBiases(List<LayerBias> layers, CalibrationData data, ModelExecutor executor, List<Integer> used)
                throws PassFailure {
            List<LayerBias> pending = new ArrayList<>();
            for (LayerBias l : layers) {
                boolean readsQuantized = false;
                for (Value v : l.layer.operands()) readsQuantized |= v.producer() != null && v.producer().op().equals(DEQUANTIZE);
                if (readsQuantized && l.skipReason == null) pending.add(l);
            }
            if (pending.isEmpty()) return;
            Map<LayerBias, Set<Node>> upstream = new IdentityHashMap<>();
            for (LayerBias l : pending) upstream.put(l, upstreamOf(l.layer));
            Rewriter rw = graph.rewriter();
            int corrected = 0;
            int waves = 0;
            double largest = 0;
            String largestAt = "";
            while (!pending.isEmpty()) {
                List<LayerBias> wave = new ArrayList<>();
                for (LayerBias l : pending) {
                    boolean fed = false;
                    for (LayerBias other : pending) fed |= other != l && upstream.get(l).contains(other.layer);
                    if (!fed) wave.add(l);
                }
                pending.removeAll(wave);
                waves++;
                measureQuantized(wave, data, executor, used);
                for (LayerBias l : wave) {
                    if (!l.measured()) continue;
                    double[] drift = l.drift();
                    double worst = 0;
                    boolean finite = true;
                    for (double d : drift) {
                        finite &= Double.isFinite(d);
                        worst = Math.max(worst, Math.abs(d));
                    }
                    if (!finite) continue;
                    TensorData bias = l.corrected(drift);
                    Value old = l.bias();
                    if (old.uses().size() == 1) {
                        rw.setConstantData(old, bias);
                    } else {
                        rw.setOperand(l.biasNode, l.biasOperand, rw.addConstant(rw.uniqueValueName(old.name() + "_corrected"), bias));
                    }
                    corrected++;
                    if (worst > largest) {
                        largest = worst;
                        largestAt = l.layer.name();
                    }
                }
            }
            context.statistics().add("biases_corrected", corrected);
            context.diagnostics().note(PassesCode.AQ106, Location.UNKNOWN, "activation_quantize: bias_correction moved the bias of "
                    + corrected + (corrected == 1 ? " layer" : " layers") + " in " + waves + (waves == 1 ? " run" : " runs") + " over "
                    + used.size() + " calibration samples"
                    + (corrected > 0 ? "; largest mean drift per channel " + number(largest) + " at '" + largestAt + "'" : ""));
        }

        /** Adds the quantized graph's outputs of {@code wave} on the used samples. */
        private void measureQuantized(List<LayerBias> wave, CalibrationData data, ModelExecutor executor, List<Integer> used)
                throws PassFailure {
            List<Value> captured = new ArrayList<>();
            for (LayerBias l : wave) if (!captured.contains(l.output())) captured.add(l.output());
            try (ModelExecutor.Session session = executor.open(graph, captured)) {
                for (int s : used) {
                    Map<String, TensorData> out = session.run(data.sample(s));
                    for (LayerBias l : wave) l.add(out.get(l.output().name()), true);
                }
            } catch (ModelExecutionException e) {
                throw new PassFailure(PassesCode.AQ004, "activation_quantize: cannot run the quantized model for bias_correction: "
                        + e.getMessage());
            } catch (IOException e) {
                throw new BadDataFailure(PassesCode.AQ005, "activation_quantize: cannot read a calibration sample of " + data.source()
                        + " for bias_correction: " + e.getMessage());
            }
        }

        /** The nodes {@code n} depends on, through its operands (this graph only). */
        private static Set<Node> upstreamOf(Node n) {
            Set<Node> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>();
            todo.add(n);
            while (!todo.isEmpty()) {
                for (Value v : todo.poll().operands()) {
                    Node p = v.producer();
                    if (p != null && p.graph() == n.graph() && seen.add(p)) todo.add(p);
                }
            }
            return seen;
        }

        /** The activation inputs of the selected nodes, in node order; one target per tensor. */
        private Map<Value, Target> select() throws PassFailure {
            Map<Value, Target> targets = new LinkedHashMap<>();
            for (Node n : graph.nodes()) {
                Optional<Options> o = options.forNode(n);
                if (o.isEmpty() || !selected(n, o.get().opTypes())) continue;
                for (int i : activationOperands(n)) {
                    Value v = n.operand(i);
                    Target t = targets.get(v);
                    if (t == null) {
                        t = new Target(v, o.get(), n);
                        targets.put(v, t);
                    } else if (!t.options.rangeKey().equals(o.get().rangeKey())) {
                        throw new PassFailure(PassesCode.AQ003, n, "activation_quantize: tensor '" + v.name() + "' is read by '"
                                + t.firstConsumer.name() + "' and '" + n.name() + "' with different options ("
                                + t.options.rangeKey().toLowerCase(Locale.ROOT) + " vs " + o.get().rangeKey().toLowerCase(Locale.ROOT) + ")");
                    }
                    t.consumers.add(n);
                    t.operandIndexes.add(i);
                }
            }
            return targets;
        }

        /** Why {@link #select} found nothing: no op in scope, or what the selected ops' inputs are instead. */
        private String whyNoTarget() {
            int ops = 0;
            Map<String, Integer> otherTypes = new java.util.TreeMap<>();
            for (Node n : graph.nodes()) {
                Optional<Options> o = options.forNode(n);
                if (o.isEmpty() || !selected(n, o.get().opTypes())) continue;
                ops++;
                for (Value v : n.operands()) {
                    if (v.isAbsent() || v.isConstant() || isConstantDerived(v)) continue;
                    DType t = v.tensorType().dtype();
                    if (t != DType.FLOAT32 && t != DType.UNDEFINED) otherTypes.merge(t.shortName(), 1, Integer::sum);
                }
            }
            if (ops == 0) {
                return "no op in its scope is one of op_types (" + String.join(", ", options.base().opTypes()) + ")";
            }
            String selectedOps = ops + (ops == 1 ? " selected op reads" : " selected ops read");
            if (!otherTypes.isEmpty()) {
                return "the " + selectedOps + " only " + String.join("/", otherTypes.keySet())
                        + " activations; activation_quantize quantizes float32 activations (and fp16 ones in Core ML programs)";
            }
            return "the " + selectedOps + " no computed float32 tensor (only constants, or tensors already quantized)";
        }

        private static boolean selected(Node n, List<String> opTypes) {
            if (n.dialect().equals("onnx")) return opTypes.contains(n.opType());
            if (!n.dialect().equals("mil") || !MIL_ACTIVATION_PARAMS.containsKey(n.opType())) return false;
            for (String t : opTypes) if (n.opType().equals(t) || n.opType().equals(MIL_OPS.get(t))) return true;
            return false;
        }

        private List<Integer> activationOperands(Node n) {
            if (n.dialect().equals("mil")) return milActivationOperands(n);
            List<Integer> out = new ArrayList<>();
            int count = FIRST_INPUT_ONLY.contains(n.opType()) ? Math.min(1, n.operands().size())
                    : n.opType().equals("Gemm") || n.opType().equals("MatMul") ? Math.min(2, n.operands().size())
                    : n.operands().size();
            for (int i = 0; i < count; i++) {
                if (isActivation(n.operand(i))) {
                    out.add(i);
                } else if (ALL_INPUTS_COMPUTED.contains(n.opType())) {
                    return List.of();
                }
            }
            return out;
        }

        private List<Integer> milActivationOperands(Node n) {
            List<String> names = MilParams.names(n);
            List<Integer> out = new ArrayList<>();
            for (String param : MIL_ACTIVATION_PARAMS.get(n.opType())) {
                int i = names.indexOf(param);
                if (i < 0 || i >= n.operands().size()) continue;
                Value v = n.operand(i);
                boolean computed = isActivation(v) || v.tensorType().dtype() == DType.FLOAT16 && isComputedFloat16(v);
                if (computed) {
                    out.add(i);
                } else if (MIL_ALL_INPUTS_COMPUTED.contains(n.opType())) {
                    return List.of();
                }
            }
            return out;
        }

        /** A float32 (or untyped) computed tensor that does not come from constants alone and is not quantized yet. */
        private boolean isActivation(Value v) {
            if (v.isAbsent() || v.isConstant() || isConstantDerived(v)) return false;
            if (v.producer() != null && v.producer().op().equals(DEQUANTIZE)) return false;
            DType t = v.tensorType().dtype();
            return t == DType.FLOAT32 || t == DType.UNDEFINED;
        }

        /** As {@link #isActivation} for an fp16 tensor of a Core ML program. */
        private boolean isComputedFloat16(Value v) {
            if (v.isAbsent() || v.isConstant() || isConstantDerived(v)) return false;
            return v.producer() == null || !v.producer().op().equals(DEQUANTIZE);
        }

        private boolean isConstantDerived(Value v) {
            if (v.isConstant()) return true;
            if (v.producer() == null || v.graph() != graph) return false; // inputs, outer-scope values
            Boolean known = constantDerived.get(v);
            if (known != null) return known;
            boolean all = !v.producer().operands().isEmpty() || v.producer().opType().equals("Constant");
            for (Value o : v.producer().operands()) {
                if (!o.isAbsent() && !isConstantDerived(o)) {
                    all = false;
                    break;
                }
            }
            constantDerived.put(v, all);
            return all;
        }

        /** Collects every target's statistics and the layers' float output sums; returns the samples used. */
        private List<Integer> calibrate(Map<Value, Target> targets, CalibrationData data, ModelExecutor executor, List<LayerBias> layers)
                throws PassFailure {
            Options base = options.base();
            int available = data.size();
            int samples = base.numSamples().map(n -> Math.min(n, available)).orElse(available);
            if (samples == 0) throw new BadDataFailure(PassesCode.AQ006, "activation_quantize: the calibration data " + data.source() + " has no samples");
            boolean skipNonFinite = context.service(CalibrationPolicy.class).orElse(CalibrationPolicy.DEFAULT).skipNonFiniteSamples();
            List<Value> captured = new ArrayList<>();
            for (Target t : targets.values()) {
                t.collector = new RangeCollector(t.options.method() != Method.MINMAX);
                if (t.value.kind() == Value.Kind.RESULT) captured.add(t.value);
            }
            for (LayerBias l : layers) if (!captured.contains(l.output())) captured.add(l.output());
            List<Integer> used = new ArrayList<>();
            SkippedSamples skipped = new SkippedSamples();
            int every = Math.max(1, samples / 10);
            try (ModelExecutor.Session session = executor.open(graph, captured)) {
                for (int s = 0; s < samples; s++) {
                    Map<String, TensorData> sample;
                    try {
                        sample = data.sample(s);
                    } catch (IOException e) {
                        throw new BadDataFailure(PassesCode.AQ005, "activation_quantize: cannot read calibration sample " + s + " of "
                                + data.source() + ": " + e.getMessage());
                    }
                    String badInput = nonFiniteInput(data, s, sample);
                    if (badInput != null) {
                        if (!skipNonFinite) throw new BadDataFailure(PassesCode.AQ007, "activation_quantize: " + badInput + SKIP_HINT);
                        skipped.inputs++;
                    } else {
                        Map<String, TensorData> out = session.run(sample);
                        String badTensor = collect(targets, sample, out, s, data);
                        if (badTensor != null) {
                            if (!skipNonFinite) throw new BadDataFailure(PassesCode.AQ007, "activation_quantize: " + badTensor + SKIP_HINT);
                            skipped.tensors++;
                        } else {
                            used.add(s);
                            for (LayerBias l : layers) l.add(out.get(l.output().name()), false);
                        }
                    }
                    context.statistics().increment("calibration_samples");
                    if ((s + 1) % every == 0 || s + 1 == samples) {
                        context.diagnostics().note(PassesCode.AQ100, Location.UNKNOWN, "activation_quantize: calibrated " + (s + 1) + "/"
                                + samples + " samples of " + data.source() + " (" + targets.size() + " tensors)");
                    }
                }
            } catch (ModelExecutionException e) {
                throw new PassFailure(PassesCode.AQ004, "activation_quantize: cannot run the model on the calibration data: " + e.getMessage());
            }
            int left = skipped.total();
            if (left == 0) return used;
            context.statistics().add("samples_skipped_nonfinite", left);
            if (left == samples) {
                throw new BadDataFailure(PassesCode.AQ008, "activation_quantize: all " + samples + " calibration samples of " + data.source()
                        + " hold NaN or infinity (" + skipped.describe() + "); none is left to calibrate on");
            }
            context.diagnostics().warn(PassesCode.AQ105, new Location(data.source(), "", -1), "activation_quantize: left out " + left + " of " + samples
                    + " calibration samples of " + data.source() + " holding NaN or infinity (" + skipped.describe()
                    + "); calibrated on " + (samples - left));
            return used;
        }

        /** Samples left out under {@code --skip-nonfinite-samples}, by where the NaN or infinity was. */
        private static final class SkippedSamples {
            int inputs;
            int tensors;

            int total() { return inputs + tensors; }

            String describe() {
                List<String> parts = new ArrayList<>();
                if (inputs > 0) parts.add(inputs + " in an input");
                if (tensors > 0) parts.add(tensors + " at a tensor the model computed");
                return String.join(", ", parts);
            }
        }

        /** {@code calibration sample calib/7.npy, input 'x': 2 of 784 values are NaN or infinite (...)}, or null. */
        private static String nonFiniteInput(CalibrationData data, int index, Map<String, TensorData> sample) {
            for (Map.Entry<String, TensorData> e : sample.entrySet()) {
                NonFiniteValues bad = NonFiniteValues.of(e.getValue());
                if (bad != null) {
                    return "calibration sample " + data.describe(index, e.getKey()) + ", input '" + e.getKey() + "': " + bad.describe();
                }
            }
            return null;
        }

        /** The sample as one name: its file when it feeds one input, else its number and the data's source. */
        private static String sampleName(CalibrationData data, int index, Map<String, TensorData> sample) {
            return sample.size() == 1 ? data.describe(index, sample.keySet().iterator().next())
                    : index + " of " + data.source();
        }

        /**
         * Adds one sample's tensors to their collectors, in parallel over tensors, unless one of them
         * holds NaN or infinity: then nothing is added and the first such tensor (graph order) is
         * described.
         */
        private String collect(Map<Value, Target> targets, Map<String, TensorData> sample, Map<String, TensorData> out, int index,
                               CalibrationData data) throws PassFailure {
            List<Target> live = new ArrayList<>();
            List<Callable<java.nio.FloatBuffer>> read = new ArrayList<>();
            for (Target t : targets.values()) {
                if (t.skipReason != null) continue;
                TensorData d = t.value.kind() == Value.Kind.INPUT ? sample.get(t.value.name()) : out.get(t.value.name());
                if (d == null) {
                    throw new PassFailure(PassesCode.AQ006, t.firstConsumer, "activation_quantize: calibration sample " + index
                            + " gave no value for tensor '" + t.value.name() + "'");
                }
                boolean f16 = d.dtype() == DType.FLOAT16 && t.value.tensorType().dtype() == DType.FLOAT16;
                if (d.dtype() != DType.FLOAT32 && !f16) {
                    t.skipReason = "it is " + d.dtype().shortName() + ", not f32";
                    continue;
                }
                live.add(t);
                read.add(() -> {
                    ByteBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN);
                    return f16 ? widened(b) : b.asFloatBuffer();
                });
            }
            List<java.nio.FloatBuffer> values = all(read);
            List<Callable<NonFiniteValues>> scans = new ArrayList<>();
            for (java.nio.FloatBuffer v : values) scans.add(() -> NonFiniteValues.of(v.duplicate()));
            List<NonFiniteValues> found = all(scans);
            for (int i = 0; i < live.size(); i++) {
                if (found.get(i) == null) continue;
                Value v = live.get(i).value;
                if (v.kind() == Value.Kind.INPUT) continue; // inputs were checked before the model ran
                return "calibration sample " + sampleName(data, index, sample) + " made tensor '" + v.name()
                        + "' not finite: " + found.get(i).describe();
            }
            List<Callable<java.nio.FloatBuffer>> add = new ArrayList<>();
            for (int i = 0; i < live.size(); i++) {
                Target t = live.get(i);
                java.nio.FloatBuffer v = values.get(i);
                add.add(() -> {
                    t.collector.add(v);
                    return v;
                });
            }
            all(add);
            return null;
        }

        private <T> List<T> all(List<Callable<T>> work) throws PassFailure {
            List<T> results = new ArrayList<>(work.size());
            try {
                for (Future<T> f : context.executor().invokeAll(work)) results.add(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PassFailure(PassesCode.AQ004, "activation_quantize: interrupted during calibration");
            } catch (ExecutionException e) {
                throw new IllegalStateException("activation_quantize: collecting statistics failed", e.getCause());
            }
            return results;
        }

        private static java.nio.FloatBuffer widened(ByteBuffer halfs) {
            int n = halfs.remaining() / 2;
            java.nio.FloatBuffer out = java.nio.FloatBuffer.allocate(n);
            for (int i = 0; i < n; i++) out.put(i, dev.pare.ir.Float16.toFloat(halfs.getShort(i * 2)));
            return out;
        }

        /** A tensor whose int8 codes would turn this share of its non-zero values into 0 is refused (AQ009). */
        static final double REFUSED_ZERO_SHARE = 0.99;
        /** From this share on, the tensor is named in one warning (AQ104): an outlier sets its range. */
        static final double WARNED_ZERO_SHARE = 0.9;

        private boolean rewrite(Map<Value, Target> targets) throws PassFailure {
            // Every range is checked before the graph changes: a refused one leaves it as it was.
            Map<Target, QuantParams> chosen = new LinkedHashMap<>();
            List<String> dominated = new ArrayList<>();
            for (Target t : targets.values()) {
                if (t.skipReason != null) continue;
                QuantParams p = checkedParams(t, dominated);
                chosen.put(t, p);
            }
            if (!dominated.isEmpty()) {
                context.diagnostics().warn(PassesCode.AQ104, modelLocation(), "activation_quantize: " + dominated.size()
                        + (dominated.size() == 1 ? " tensor has" : " tensors have") + " a range set by outliers, so most of "
                        + "their values quantize to 0: " + String.join("; ", dominated.subList(0, Math.min(3, dominated.size())))
                        + (dominated.size() > 3 ? "; and " + (dominated.size() - 3) + " more" : "")
                        + "; method=percentile clips outliers");
            }
            Map<Node, Integer> order = new HashMap<>();
            for (Node n : graph.nodes()) order.put(n, order.size());
            Rewriter rw = graph.rewriter();
            int quantized = 0;
            int skipped = 0;
            Map<String, Integer> byMethod = new LinkedHashMap<>();
            for (Target t : targets.values()) {
                if (t.skipReason != null) {
                    context.diagnostics().note(PassesCode.AQ101, t.firstConsumer.location(), "activation_quantize: tensor '" + t.value.name()
                            + "' stays float: " + t.skipReason);
                    skipped++;
                    continue;
                }
                Options o = t.options;
                QuantParams p = chosen.get(t);
                boolean signed = o.dtype() == Dtype.INT8;
                DType code = signed ? DType.INT8 : DType.UINT8;
                String base = t.value.name();
                // fp16 activations (Core ML fp16 programs) take an fp16 scale and dequantize back to fp16
                DType floatType = t.value.tensorType().dtype() == DType.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
                TensorData scaleData = floatType == DType.FLOAT16
                        ? TensorData.of(TensorType.of(DType.FLOAT16), halfBytes(p.scale())) : TensorData.ofFloats(new long[0], p.scale());
                Value scale = rw.addConstant(rw.uniqueValueName(base + "_scale"), scaleData);
                Value zp = rw.addConstant(rw.uniqueValueName(base + "_zero_point"),
                        TensorData.of(TensorType.of(code), new byte[] {(byte) p.zeroPoint()}));
                Node first = t.consumers.get(0);
                for (Node c : t.consumers) if (order.get(c) < order.get(first)) first = c;
                rw.setInsertionPointBefore(first);
                TensorType type = t.value.tensorType();
                Location where = Location.created("activation_quantize");
                Node q = rw.createNode(rw.uniqueNodeName(base + "_quantize"), QUANTIZE, List.of(t.value, scale, zp),
                        List.of(rw.uniqueValueName(base + "_quantized")), List.of(new TensorType(code, type.dims())),
                        Attributes.empty(), where);
                Node dq = rw.createNode(rw.uniqueNodeName(base + "_dequantize"), DEQUANTIZE, List.of(q.result(0), scale, zp),
                        List.of(rw.uniqueValueName(base + "_dequantized")), List.of(new TensorType(floatType, type.dims())),
                        Attributes.empty(), where);
                for (int i = 0; i < t.consumers.size(); i++) rw.setOperand(t.consumers.get(i), t.operandIndexes.get(i), dq.result(0));
                quantized++;
                byMethod.merge(o.method().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
            context.statistics().add("tensors_quantized", quantized);
            context.statistics().add("tensors_skipped", skipped);
            context.diagnostics().note(PassesCode.AQ102, Location.UNKNOWN, "activation_quantize: " + quantized + " tensors quantized ("
                    + byMethod.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))
                    + "), " + skipped + " left float");
            if (quantized == 0) {
                Target first = targets.values().iterator().next();
                quantizedNothing((skipped == 1 ? "the 1 selected tensor stays float" : "all " + skipped + " selected tensors stay float")
                        + "; '" + first.value.name() + "': " + first.skipReason);
            }
            return quantized > 0;
        }

        /**
         * The scale and zero point of a calibrated tensor, refused (AQ009) when float32 cannot carry its
         * range or when nearly all its values would quantize to 0 (one huge outlier sets the range);
         * a tensor where most do is added to {@code dominated}.
         */
        private QuantParams checkedParams(Target t, List<String> dominated) throws BadDataFailure {
            Options o = t.options;
            RangeCollector c = t.collector;
            String observed = "[" + number(c.min()) + ", " + number(c.max()) + "]";
            if (c.count() == 0) return QuantParams.of(0, 0, o.dtype() == Dtype.INT8, o.symmetric(), o.reduceRange());
            double[] r = range(c, o);
            String overflow = QuantParams.overflow(r[0], r[1], o.symmetric());
            if (overflow != null) {
                throw new BadDataFailure(PassesCode.AQ009, t.firstConsumer, "activation_quantize: tensor '" + t.value.name()
                        + "' cannot be quantized: its calibration range " + observed + " is too wide, " + overflow
                        + "; check the calibration data for outliers");
            }
            QuantParams p = QuantParams.of(r[0], r[1], o.dtype() == Dtype.INT8, o.symmetric(), o.reduceRange());
            double zeroed = c.shareBelow(p.scale() / 2.0);
            if (zeroed >= REFUSED_ZERO_SHARE) {
                throw new BadDataFailure(PassesCode.AQ009, t.firstConsumer, "activation_quantize: tensor '" + t.value.name()
                        + "' cannot be quantized: its calibration range " + observed + " makes the int8 step " + number(p.scale())
                        + ", which turns " + percent(zeroed) + " of its non-zero values into 0; check the calibration data for "
                        + "outliers, or clip them with method=percentile and a low enough percentile");
            }
            if (zeroed >= WARNED_ZERO_SHARE) dominated.add("'" + t.value.name() + "' " + observed + " " + percent(zeroed));
            return p;
        }

        private static String number(double v) { return String.format(Locale.ROOT, "%.4g", v); }

        /** {@code 99.97%}: never rounds up to 100% unless it is. */
        private static String percent(double share) {
            double floor = Math.floor(share * 10000) / 100;
            return String.format(Locale.ROOT, share == 1 ? "%.0f%%" : "%.2f%%", floor);
        }

        private void quantizedNothing(String why) {
            context.diagnostics().warn(PassesCode.AQ103, modelLocation(), "activation_quantize quantized no activation: " + why);
        }

        /** The model file, for a diagnostic about the whole graph. */
        private Location modelLocation() {
            for (Node n : graph.nodes()) if (!n.location().file().isEmpty()) return new Location(n.location().file(), "", -1);
            return Location.UNKNOWN;
        }

        private static byte[] halfBytes(float v) {
            short h = dev.pare.ir.Float16.fromFloat(v);
            return new byte[] {(byte) h, (byte) (h >> 8)};
        }

        /** The range [lo, hi] the method chooses from the collected statistics. */
        private static double[] range(RangeCollector c, Options o) {
            switch (o.method()) {
                case PERCENTILE:
                    return c.percentileRange(o.percentile(), o.symmetric());
                case MSE:
                    return c.mseRange(o.dtype() == Dtype.INT8, o.symmetric(), o.reduceRange());
                case ENTROPY: {
                    // One-sided data with an asymmetric code range uses all 256 levels on its side.
                    boolean oneSided = c.min() >= 0 || c.max() <= 0;
                    double t = c.entropyThreshold(oneSided && !o.symmetric() ? 256 : 128);
                    double lo = o.symmetric() ? -t : Math.max(c.min(), -t);
                    double hi = o.symmetric() ? t : Math.min(c.max(), t);
                    return new double[] {lo, hi};
                }
                default:
                    return new double[] {c.min(), c.max()};
            }
        }
    }
}
