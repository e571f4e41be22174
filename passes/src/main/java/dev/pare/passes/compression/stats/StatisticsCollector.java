package dev.pare.passes.compression.stats;

import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.passes.PassesCode;
import dev.pare.spi.BadDataFailure;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.CalibrationPolicy;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Takes layer statistics from calibration data: runs the graph as it is now on every calibration
 * sample, one at a time ({@link ModelExecutor}, {@link CalibrationData}), capturing each layer's
 * input and output, and adds the sample's input vectors to float64 sums (Σ x, Σ x xᵀ) and its
 * output to per-channel sums. Layers reading the same input the same way share one set of sums
 * (e.g. the query, key and value projections of an attention block), so memory is 8 bytes per
 * entry of Σ d² over the distinct inputs. Within a sample the sums of different inputs and groups
 * are added in parallel on {@link PassContext#executor()}, each by one task, so the result does not
 * depend on the thread count. Samples holding NaN or infinity (in an input or a captured layer input)
 * fail the pass, or are left out under {@link CalibrationPolicy#skipNonFiniteSamples()}.
 */
public final class StatisticsCollector {

    /** Groups of one input one task sums (depthwise layers have hundreds of one-channel groups). */
    private static final int GROUPS_PER_TASK = 64;

    private final String passName;
    private final PassContext context;

    public StatisticsCollector(String passName, PassContext context) {
        this.passName = passName;
        this.context = context;
    }

    /** The sums of one calibration run. */
    public static final class Collected {
        private final Map<Layer, Moments> inputs = new IdentityHashMap<>();
        private final Map<Layer, double[]> outputSums = new IdentityHashMap<>();
        private final Map<Layer, Long> outputCounts = new IdentityHashMap<>();
        private final List<int[]> top1 = new ArrayList<>();
        private int samples;
        private long bytes;

        /** Samples used (left-out ones not counted). */
        public int samples() { return samples; }

        /** Heap bytes of the sums. */
        public long bytes() { return bytes; }

        /** Per used sample, the arg-max over the last axis of the graph's first output (when asked). */
        public List<int[]> top1() { return top1; }

        /**
         * The statistics of a weight read by {@code sites} (layers of one layout): sums over all
         * of them (a shared weight sees every consumer's inputs).
         */
        public LayerStatistics statistics(List<Layer> sites, Calibration calibration) {
            WeightLayout layout = sites.get(0).layout();
            int g = layout.groups();
            int d = layout.cols();
            List<Moments> distinct = new ArrayList<>();
            for (Layer l : sites) if (!distinct.contains(inputs.get(l))) distinct.add(inputs.get(l));
            boolean withH = distinct.get(0).outer != null;
            double[][] h = withH ? new double[g][] : null;
            double[][] mean = new double[g][d];
            long vectors = 0;
            for (Moments m : distinct) vectors += m.vectors;
            for (int k = 0; k < g; k++) {
                double[] upper = withH ? new double[d * d] : null;
                for (Moments m : distinct) {
                    for (int a = 0; a < d; a++) mean[k][a] += m.sum[k][a];
                    if (withH) for (int i = 0; i < upper.length; i++) upper[i] += m.outer[k][i];
                }
                for (int a = 0; a < d; a++) mean[k][a] /= vectors;
                if (withH) h[k] = Moments.mean(upper, d, vectors);
            }
            double[] out = new double[layout.outputChannels()];
            long count = 0;
            for (Layer l : sites) {
                double[] s = outputSums.get(l);
                for (int c = 0; c < out.length; c++) out[c] += s[c];
                count += outputCounts.get(l);
            }
            for (int c = 0; c < out.length; c++) out[c] /= count;
            return new LayerStatistics(layout, calibration, samples, vectors, h, mean, out);
        }
    }

    /**
     * One calibration run over {@code layers} (all in {@code graph}'s top level).
     *
     * @param secondMoment also sum x xᵀ (else only the means)
     * @param top1         also record the arg-max of the graph's first output per sample
     */
    public Collected collect(Graph graph, List<Layer> layers, boolean secondMoment, boolean top1) throws PassFailure {
        CalibrationData data;
        try {
            data = context.service(CalibrationData.class).orElseThrow(() -> new PassFailure(PassesCode.CW013,
                    passName + ": data-aware compression needs calibration data and none was given; pass --calibration-data"));
        } catch (UncheckedIOException e) {
            throw new BadDataFailure(PassesCode.CW015, passName + ": cannot read the calibration data: " + e.getCause().getMessage());
        }
        ModelExecutor executor = context.service(ModelExecutor.class).orElseThrow(() -> new PassFailure(PassesCode.CW014,
                passName + " needs a model executor to take layer statistics, and none is bound"));
        int samples = data.size();
        if (samples == 0) throw new BadDataFailure(PassesCode.CW015, passName + ": the calibration data " + data.source() + " has no samples");
        boolean skipNonFinite = context.service(CalibrationPolicy.class).orElse(CalibrationPolicy.DEFAULT).skipNonFiniteSamples();

        Collected result = new Collected();
        Map<String, Moments> byInput = new LinkedHashMap<>();
        List<Value> captured = new ArrayList<>();
        for (Layer l : layers) {
            Moments m = byInput.computeIfAbsent(l.inputKey(), k -> new Moments(l.layout().groups(), l.layout().cols(), secondMoment));
            result.inputs.put(l, m);
            result.outputSums.put(l, new double[l.layout().outputChannels()]);
            result.outputCounts.put(l, 0L);
            if (l.input().kind() == Value.Kind.RESULT && !captured.contains(l.input())) captured.add(l.input());
            if (!captured.contains(l.output())) captured.add(l.output());
        }
        for (Moments m : byInput.values()) result.bytes += m.bytes();
        context.progress().start("statistics", samples, "samples");
        int skipped = 0;
        try (ModelExecutor.Session session = executor.open(graph, captured)) {
            for (int s = 0; s < samples; s++) {
                Map<String, TensorData> sample;
                try {
                    sample = data.sample(s);
                } catch (IOException e) {
                    throw new BadDataFailure(PassesCode.CW015, passName + ": cannot read calibration sample " + s + " of "
                            + data.source() + ": " + e.getMessage());
                }
                String bad = nonFinite(sample, data, s, "input");
                Map<String, TensorData> out = null;
                Map<Value, float[]> values = new IdentityHashMap<>();
                Map<Value, long[]> shapes = new IdentityHashMap<>();
                if (bad == null) {
                    out = session.run(sample);
                    for (Layer l : layers) {
                        for (Value v : List.of(l.input(), l.output())) {
                            if (values.containsKey(v)) continue;
                            TensorData t = v.kind() == Value.Kind.INPUT ? sample.get(v.name()) : out.get(v.name());
                            if (t == null) throw new PassFailure(PassesCode.CW014, l.node(), passName + ": calibration sample " + s
                                    + " gave no value for tensor '" + v.name() + "'");
                            float[] f = floats(t);
                            if (bad == null && v == l.input() && !finite(f)) {
                                bad = "calibration sample " + data.describe(s, sample.keySet().iterator().next()) + ": layer input '"
                                        + v.name() + "' of '" + l.node().name() + "' holds NaN or infinity";
                            }
                            values.put(v, f);
                            shapes.put(v, t.type().shape());
                        }
                    }
                }
                if (bad != null) {
                    if (!skipNonFinite) throw new BadDataFailure(PassesCode.CW015, passName + ": " + bad
                            + " (pass --skip-nonfinite-samples to leave such samples out)");
                    skipped++;
                } else {
                    add(layers, result, byInput, values, shapes, out, top1 ? graph.outputs().get(0).name() : null);
                    result.samples++;
                }
                context.progress().advance(1, 0, "sample " + s);
            }
        } catch (ModelExecutionException e) {
            throw new PassFailure(PassesCode.CW014, passName + ": cannot run the model on the calibration data: " + e.getMessage());
        }
        if (skipped == samples) {
            throw new BadDataFailure(PassesCode.CW015, passName + ": all " + samples + " calibration samples of " + data.source()
                    + " hold NaN or infinity; none is left to take layer statistics on");
        }
        if (skipped > 0) {
            context.diagnostics().warn(PassesCode.CW016, new Location(data.source(), "", -1), passName + ": left out " + skipped
                    + " of " + samples + " calibration samples of " + data.source() + " holding NaN or infinity");
        }
        context.statistics().increment("calibration_runs");
        context.statistics().add("calibration_sample_runs", result.samples);
        return result;
    }

    /** Adds one sample: the sums of each (input, group) by one task, the output sums on this thread. */
    private void add(List<Layer> layers, Collected result, Map<String, Moments> byInput, Map<Value, float[]> values,
                     Map<Value, long[]> shapes, Map<String, TensorData> out, String top1Output) throws PassFailure {
        List<Callable<Long>> tasks = new ArrayList<>();
        Map<Moments, Layer> firstLayer = new IdentityHashMap<>();
        for (Layer l : layers) firstLayer.putIfAbsent(result.inputs.get(l), l);
        for (Moments m : byInput.values()) {
            Layer l = firstLayer.get(m);
            float[] x = values.get(l.input());
            long[] inShape = shapes.get(l.input());
            long[] outShape = shapes.get(l.output());
            for (int from = 0; from < m.groups; from += GROUPS_PER_TASK) { // a depthwise layer's many small groups: a few tasks
                int first = from;
                int last = Math.min(m.groups, from + GROUPS_PER_TASK);
                tasks.add(() -> {
                    long[] n = {0};
                    for (int group = first; group < last; group++) {
                        int g = group;
                        n[0] = 0;
                        l.vectors().gather(x, inShape, outShape, g, m.d, (rows, count) -> {
                            m.add(g, rows, count);
                            n[0] += count;
                        });
                    }
                    return n[0];
                });
            }
        }
        List<Future<Long>> futures = new ArrayList<>();
        for (Callable<Long> t : tasks) futures.add(context.executor().submit(t));
        int t = 0;
        for (Moments m : byInput.values()) {
            long n = -1;
            for (int from = 0; from < m.groups; from += GROUPS_PER_TASK) n = await(futures.get(t++), firstLayer.get(m));
            m.vectors += n; // every group sees the same number of positions
        }
        for (Layer l : layers) {
            float[] y = values.get(l.output());
            long[] shape = shapes.get(l.output());
            int axis = l.outputChannelAxis(shape.length);
            int channels = l.layout().outputChannels();
            if (shape.length == 0 || shape[axis] != channels) {
                throw new PassFailure(PassesCode.CW014, l.node(), passName + ": output '" + l.output().name() + "' of '" + l.node().name()
                        + "' has shape " + java.util.Arrays.toString(shape) + ", not " + channels + " channels on axis " + axis);
            }
            long inner = 1;
            for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
            double[] sums = result.outputSums.get(l);
            for (int i = 0; i < y.length; i++) sums[(int) ((i / inner) % channels)] += y[i];
            result.outputCounts.merge(l, (long) (y.length / channels), Long::sum);
        }
        if (top1Output != null) result.top1.add(argmax(out.get(top1Output)));
    }

    private <T> T await(Future<T> f, Layer l) throws PassFailure {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PassFailure(PassesCode.CW011, l.node(), passName + ": interrupted while taking layer statistics");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) {
                throw new PassFailure(PassesCode.CW014, l.node(), passName + ": layer '" + l.node().name() + "': " + iae.getMessage());
            }
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Arg-max over the last axis, one per leading row. */
    static int[] argmax(TensorData t) {
        float[] v = floats(t);
        long[] shape = t.type().shape();
        int last = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
        int[] best = new int[v.length / Math.max(1, last)];
        for (int r = 0; r < best.length; r++) {
            int b = 0;
            for (int c = 1; c < last; c++) if (v[r * last + c] > v[r * last + b]) b = c;
            best[r] = b;
        }
        return best;
    }

    private static String nonFinite(Map<String, TensorData> sample, CalibrationData data, int index, String what) {
        for (Map.Entry<String, TensorData> e : sample.entrySet()) {
            DType t = e.getValue().dtype();
            if (t != DType.FLOAT32 && t != DType.FLOAT16) continue;
            if (!finite(floats(e.getValue()))) {
                return "calibration sample " + data.describe(index, e.getKey()) + ", " + what + " '" + e.getKey() + "' holds NaN or infinity";
            }
        }
        return null;
    }

    private static boolean finite(float[] f) {
        for (float v : f) if (!Float.isFinite(v)) return false;
        return true;
    }

    /** The values of an f32 or f16 tensor as floats. */
    static float[] floats(TensorData data) {
        int n = Math.toIntExact(data.elementCount());
        float[] out = new float[n];
        ByteBuffer b = data.bytes().order(ByteOrder.LITTLE_ENDIAN);
        if (data.dtype() == DType.FLOAT32) {
            b.asFloatBuffer().get(out);
        } else if (data.dtype() == DType.FLOAT16) {
            for (int i = 0; i < n; i++) out[i] = Float16.toFloat(b.getShort(2 * i));
        } else {
            throw new IllegalArgumentException("expected an f32 or f16 tensor, got " + data.type());
        }
        return out;
    }
}
