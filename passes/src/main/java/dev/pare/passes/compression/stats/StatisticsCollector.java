package dev.pare.passes.compression.stats;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
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
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Takes layer statistics from calibration data: runs the graph as it is now on the calibration
 * samples ({@link ModelExecutor}, {@link CalibrationData}) in one session that captures every
 * layer's input and output, and adds the samples' input vectors to float64 sums (Σ x, Σ x xᵀ) and
 * their outputs to per-channel sums. Consecutive samples of one shape go through the runtime as one
 * batch of up to {@link #BATCH} when the model's batch axis is free (the first batch is checked
 * against the samples run one at a time and batching is dropped unless they agree bit for bit);
 * either way every sum adds the vectors in sample order. Layers reading the same input the same way
 * share one set of sums (e.g. the query, key and value projections of an attention block), so memory
 * is 8 bytes per entry of Σ d² over the distinct inputs. The sums of different inputs, groups and
 * row ranges of a large H are added in parallel on {@link PassContext#executor()}, each entry by one
 * task, so the result does not depend on the thread count. Samples holding NaN or infinity (in an
 * input or a captured layer input) fail the pass, or are left out under
 * {@link CalibrationPolicy#skipNonFiniteSamples()}.
 */
public final class StatisticsCollector {

    /** Samples run through the runtime at once when the model's batch axis allows it, at most. */
    static final int BATCH = 32;

    /**
     * Bytes the largest captured value of a batch may have: the batch size is this over the largest
     * captured value of the first sample, so that no batched tensor becomes a humongous G1 object
     * (half a region of 1 MiB), which would stay on the heap until the next marking cycle.
     */
    static final long BATCH_BYTES = 256 << 10;

    /** Groups of one input one task sums (depthwise layers have hundreds of one-channel groups). */
    private static final int GROUPS_PER_TASK = 64;

    /** Row ranges the triangle of one large H is split into, to spread a dense layer's sums over the threads. */
    private static final int TRIANGLE_PARTS = 4;

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
        boolean batchable = batchable(graph);
        String top1Output = top1 ? graph.outputs().get(0).name() : null;
        try (ModelExecutor.Session session = executor.open(graph, captured)) {
            int s = 0;
            int limit = 1; // samples per batch: set from the first sample's largest captured value
            boolean verified = false;
            Map<String, TensorData> next = null;
            while (s < samples) {
                // consecutive samples of one shape go through the runtime together (their vectors still arrive in sample order)
                List<Map<String, TensorData>> batch = new ArrayList<>();
                batch.add(next != null ? next : read(data, s));
                next = null;
                while (batchable && batch.size() < limit && s + batch.size() < samples) {
                    Map<String, TensorData> candidate = read(data, s + batch.size());
                    if (!sameShapes(batch.get(0), candidate)) {
                        next = candidate;
                        break;
                    }
                    batch.add(candidate);
                }
                boolean verify = batchable && !verified;
                if (batch.size() > 1 && runBatch(session, layers, batch, result, byInput, top1Output, verify)) {
                    result.samples += batch.size();
                    verified = true;
                    context.statistics().increment("calibration_batches");
                } else {
                    if (batch.size() > 1) batchable = false; // the model does not take these samples batched: one at a time from here on
                    for (int i = 0; i < batch.size(); i++) {
                        long largest = runOne(session, layers, data, s + i, batch.get(i), skipNonFinite, result, byInput, top1Output);
                        if (largest < 0) skipped++;
                        else if (limit == 1) limit = (int) Math.max(1, Math.min(BATCH, BATCH_BYTES / Math.max(1, largest)));
                    }
                }
                context.progress().advance(batch.size(), 0, "sample " + (s + batch.size() - 1));
                s += batch.size();
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

    private Map<String, TensorData> read(CalibrationData data, int index) throws PassFailure {
        try {
            return data.sample(index);
        } catch (IOException e) {
            throw new BadDataFailure(PassesCode.CW015, passName + ": cannot read calibration sample " + index + " of "
                    + data.source() + ": " + e.getMessage());
        }
    }

    /**
     * Runs one sample and adds it; returns the bytes of its largest captured value, or -1 when it
     * holds NaN or infinity and is left out (it fails the pass instead unless {@code skipNonFinite}).
     */
    private long runOne(ModelExecutor.Session session, List<Layer> layers, CalibrationData data, int s, Map<String, TensorData> sample,
                           boolean skipNonFinite, Collected result, Map<String, Moments> byInput, String top1Output)
            throws PassFailure, ModelExecutionException {
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
            return -1;
        }
        add(layers, result, byInput, values, shapes, out, top1Output, 1);
        result.samples++;
        long largest = 0;
        for (float[] f : values.values()) largest = Math.max(largest, 4L * f.length);
        return largest;
    }

    /**
     * Runs {@code batch} (samples whose inputs all have batch size 1 and one shape) as one batch,
     * concatenated on axis 0, and adds it; false, having added nothing, when the samples must go one
     * at a time instead: the runtime refuses the batch, a value is not finite (the one-at-a-time
     * path names the sample or leaves it out), a layer's input or output does not carry the batch on
     * axis 0, or ({@code verify}, the first batch of a run) the batch's layer values and first output
     * are not bit for bit those of the samples run one at a time, so that batching never changes a
     * result (a model that mixes the samples of a batch, or a runtime kernel that sums differently).
     */
    private boolean runBatch(ModelExecutor.Session session, List<Layer> layers, List<Map<String, TensorData>> batch, Collected result,
                             Map<String, Moments> byInput, String top1Output, boolean verify) throws PassFailure {
        int size = batch.size();
        Map<String, TensorData> inputs = new LinkedHashMap<>();
        for (Map.Entry<String, TensorData> e : batch.get(0).entrySet()) {
            TensorData first = e.getValue();
            long[] shape = first.type().shape();
            if (shape.length == 0 || shape[0] != 1) return false;
            boolean isFloat = first.dtype() == DType.FLOAT32 || first.dtype() == DType.FLOAT16;
            ByteBuffer joined = ByteBuffer.allocate(Math.multiplyExact(first.bytes().remaining(), size)).order(ByteOrder.LITTLE_ENDIAN);
            for (Map<String, TensorData> sample : batch) {
                TensorData t = sample.get(e.getKey());
                if (isFloat && !finite(floats(t))) return false;
                joined.put(t.bytes());
            }
            joined.flip();
            long[] batched = shape.clone();
            batched[0] = size;
            inputs.put(e.getKey(), TensorData.ofBuffer(TensorType.of(first.dtype(), batched), joined));
        }
        Map<String, TensorData> out;
        try {
            out = session.run(inputs);
            if (verify && !sameAsOneAtATime(session, layers, batch, out, top1Output)) return false;
        } catch (ModelExecutionException e) {
            return false; // e.g. a reshape fixed to batch 1: the samples go one at a time
        }
        Map<Value, float[]> values = new IdentityHashMap<>();
        Map<Value, long[]> shapes = new IdentityHashMap<>();
        for (Layer l : layers) {
            for (Value v : List.of(l.input(), l.output())) {
                if (values.containsKey(v)) continue;
                TensorData t = v.kind() == Value.Kind.INPUT ? inputs.get(v.name()) : out.get(v.name());
                if (t == null) return false;
                long[] shape = t.type().shape();
                if (shape.length == 0 || shape[0] != size) return false; // e.g. a reshape that folds the batch away
                float[] f = floats(t);
                if (v == l.input() && !finite(f)) return false;
                values.put(v, f);
                shapes.put(v, shape);
            }
        }
        if (top1Output != null) {
            TensorData t = out.get(top1Output);
            if (t == null || t.type().shape().length == 0 || t.type().shape()[0] != size) return false;
        }
        add(layers, result, byInput, values, shapes, out, top1Output, size);
        return true;
    }

    /** Whether every sample's layer values and first output equal its slice of the batch's, bit for bit. */
    private static boolean sameAsOneAtATime(ModelExecutor.Session session, List<Layer> layers, List<Map<String, TensorData>> batch,
                                            Map<String, TensorData> out, String top1Output) throws ModelExecutionException {
        List<String> names = new ArrayList<>();
        for (Layer l : layers) {
            for (Value v : List.of(l.input(), l.output())) if (v.kind() == Value.Kind.RESULT && !names.contains(v.name())) names.add(v.name());
        }
        if (top1Output != null && !names.contains(top1Output)) names.add(top1Output);
        for (int i = 0; i < batch.size(); i++) {
            Map<String, TensorData> one = session.run(batch.get(i));
            for (String name : names) {
                TensorData whole = out.get(name);
                TensorData part = one.get(name);
                if (whole == null || part == null) return false;
                ByteBuffer w = whole.bytes();
                ByteBuffer p = part.bytes();
                if ((long) p.remaining() * batch.size() != w.remaining()) return false;
                w.position(w.position() + i * p.remaining()).limit(w.position() + p.remaining());
                if (!w.equals(p)) return false;
            }
        }
        return true;
    }

    /** Whether every graph input has a batch axis 0 the runtime may enlarge (not fixed by the model). */
    private static boolean batchable(Graph graph) {
        if (graph.inputs().isEmpty()) return false;
        for (Value v : graph.inputs()) {
            if (!(v.type() instanceof TensorType t) || !t.hasRank() || t.rank() == 0 || t.dims().get(0) instanceof Dim.Fixed) return false;
        }
        return true;
    }

    /** Same input names, element types and shapes. */
    private static boolean sameShapes(Map<String, TensorData> a, Map<String, TensorData> b) {
        if (!a.keySet().equals(b.keySet())) return false;
        for (Map.Entry<String, TensorData> e : a.entrySet()) {
            TensorData o = b.get(e.getKey());
            if (o.dtype() != e.getValue().dtype() || !Arrays.equals(o.type().shape(), e.getValue().type().shape())) return false;
        }
        return true;
    }

    /**
     * Adds one sample: the sums of each (input, group range, triangle row range) by one task, the
     * output sums on this thread. A task owns its entries, which it sums in vector order, so the
     * split (and the thread count) does not change a bit of the result.
     */
    private void add(List<Layer> layers, Collected result, Map<String, Moments> byInput, Map<Value, float[]> values,
                     Map<Value, long[]> shapes, Map<String, TensorData> out, String top1Output, int samples) throws PassFailure {
        List<Callable<Long>> tasks = new ArrayList<>();
        List<Moments> counted = new ArrayList<>(); // per task: the sums whose vector count it reports, or null
        List<Layer> owner = new ArrayList<>();     // per task: the layer its failure is reported on
        Map<Moments, Layer> firstLayer = new IdentityHashMap<>();
        for (Layer l : layers) firstLayer.putIfAbsent(result.inputs.get(l), l);
        for (Moments m : byInput.values()) {
            Layer l = firstLayer.get(m);
            float[] x = values.get(l.input());
            long[] inShape = shapes.get(l.input());
            long[] outShape = shapes.get(l.output());
            // a large H of few groups (a dense or pointwise layer): its triangle rows split over tasks
            int[] rows = m.outer != null && m.groups < TRIANGLE_PARTS ? Moments.rowSplits(m.d, TRIANGLE_PARTS) : new int[] {0, m.d};
            for (int from = 0; from < m.groups; from += GROUPS_PER_TASK) { // a depthwise layer's many small groups: a few tasks
                int first = from;
                int last = Math.min(m.groups, from + GROUPS_PER_TASK);
                for (int part = 0; part + 1 < rows.length; part++) {
                    int aFrom = rows[part];
                    int aTo = rows[part + 1];
                    boolean primary = part == 0; // adds Σ x and counts the vectors
                    tasks.add(() -> {
                        long[] n = {0};
                        l.vectors().gather(x, inShape, outShape, first, last, m.d, (g, chunk, count) -> {
                            m.add(g, chunk, count, aFrom, aTo, primary);
                            if (g == first) n[0] += count;
                        });
                        return n[0];
                    });
                    counted.add(primary ? m : null);
                    owner.add(l);
                }
            }
        }
        List<Future<Long>> futures = new ArrayList<>();
        for (Callable<Long> t : tasks) futures.add(context.executor().submit(t));
        Map<Moments, Long> vectors = new IdentityHashMap<>();
        for (int t = 0; t < futures.size(); t++) {
            Moments m = counted.get(t);
            long n = await(futures.get(t), owner.get(t));
            if (m != null) vectors.put(m, n); // every group sees the same number of positions
        }
        for (Map.Entry<Moments, Long> e : vectors.entrySet()) e.getKey().vectors += e.getValue();
        for (Layer l : layers) {
            float[] y = values.get(l.output());
            long[] shape = shapes.get(l.output());
            int axis = l.outputChannelAxis(shape.length);
            int channels = l.layout().outputChannels();
            if (shape.length == 0 || shape[axis] != channels) {
                throw new PassFailure(PassesCode.CW014, l.node(), passName + ": output '" + l.output().name() + "' of '" + l.node().name()
                        + "' has shape " + Arrays.toString(shape) + ", not " + channels + " channels on axis " + axis);
            }
            long inner = 1;
            for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
            double[] sums = result.outputSums.get(l);
            for (int i = 0; i < y.length; i++) sums[(int) ((i / inner) % channels)] += y[i];
            result.outputCounts.merge(l, (long) (y.length / channels), Long::sum);
        }
        if (top1Output != null) { // one entry per sample, each its rows of the arg-max
            int[] best = argmax(out.get(top1Output));
            int per = best.length / samples;
            for (int i = 0; i < samples; i++) result.top1.add(Arrays.copyOfRange(best, i * per, (i + 1) * per));
        }
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
