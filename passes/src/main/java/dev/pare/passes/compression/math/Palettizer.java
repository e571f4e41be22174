package dev.pare.passes.compression.math;

import dev.pare.ir.LutBits;
import dev.pare.passes.compression.math.PalettizerOptions.Mode;
import dev.pare.passes.compression.math.PalettizerOptions.PerChannelScale;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.random.RandomGenerator;

/**
 * Weight palettization (Core ML Tools {@code palettize_weights}, ir/PARE_DIALECT.md, Compression math).
 *
 * <p>Per LUT group (the whole tensor, or {@code groupSize} consecutive channels along the channel
 * axis) the modes build:
 * <ul>
 *   <li>kmeans, scalar: per tensor, the optimal 1-D clustering of the values ({@link KMeans1D});
 *       per group (grouped or per-channel), the optimal clustering when the group has few distinct
 *       values for its size, otherwise a Lloyd fixed point seeded by the optimal clustering of
 *       runs of its sorted values ({@link GroupKMeans}: the cost per value of the per-tensor path,
 *       SSE within about 0.1 % of the optimum); centres are rounded to the weight precision;
 *       indices are the cluster labels.</li>
 *   <li>kmeans, vector: k-means++ seeding + Lloyd ({@link VectorKMeans}) over the distinct
 *       vectors, seeded per group from the supplied generator.</li>
 *   <li>uniform: {@code range = max-min}, {@code step = range/(2^n-1)},
 *       {@code idx = round((w-min)/range·(2^n-1))}, {@code lut[i] = min + i·step}, evaluated in
 *       the weight precision as numpy does (a constant group gets index 0 and a LUT of min).</li>
 *   <li>unique: the sorted distinct values (vectors sorted lexicographically), zero-padded; nbits is
 *       the smallest valid width ({@link LutBits}) that fits the largest group when not given.</li>
 *   <li>custom: the user LUT (rounded to the precision), padded by repeating its last entry;
 *       indices pick the nearest entry by (squared Euclidean) distance, ties to the lowest index.</li>
 * </ul>
 * With a per-channel scale the weight is first divided by {@code max|w|} (0 replaced by 1, as Core
 * ML Tools does) in the weight precision and the scales are kept for reconstruction.
 *
 * <p>With a keep-mask, only kept values are clustered; pruned positions get index 0 and decompress
 * to exactly 0. Groups are solved in parallel on the executor given to the constructor; a seed per
 * group is drawn from the caller's generator in group order before any work starts, so results do
 * not depend on the thread count.
 */
public final class Palettizer {

    private final ExecutorService executor;

    /** @param executor runs per-group problems; null runs them on the calling thread */
    public Palettizer(ExecutorService executor) {
        this.executor = executor;
    }

    public Palettization palettize(WeightTensor weight, PalettizerOptions options, RandomGenerator random) {
        return palettize(weight, options, random, null);
    }

    /**
     * Palettizes the kept values of {@code weight}.
     *
     * @param keep true for values to keep (e.g. {@link PruningResult#keep()}), or null for all
     */
    public Palettization palettize(WeightTensor weight, PalettizerOptions options, RandomGenerator random, boolean[] keep) {
        if (random == null) throw new IllegalArgumentException("palettize: a random generator is required");
        if (keep != null && keep.length != weight.size()) {
            throw new IllegalArgumentException("palettize: the mask has " + keep.length + " entries but the weight has " + weight.size());
        }
        Layout layout = Layout.of(weight.shape(), options);
        if (keep != null && options.clusterDim() > 1) {
            throw new IllegalArgumentException("palettize: a sparsity mask cannot be combined with cluster_dim > 1");
        }
        Precision precision = weight.precision();
        float[] values = weight.values();
        float[] scales = null;
        long[] scaleShape = null;
        if (options.perChannelScale() != PerChannelScale.NONE) {
            scaleShape = scaleShape(weight.shape(), layout, options);
            scales = maxAbs(weight, scaleShape, keep);
            values = divide(weight, scales, scaleShape);
        }

        int groups = layout.groups();
        long[] seeds = new long[groups];
        for (int g = 0; g < groups; g++) seeds[g] = random.nextLong();
        final float[] normalized = values;
        List<Callable<GroupResult>> tasks = new ArrayList<>(groups);
        // one group: the group's own work is split over the executor; several: one task per group
        ExecutorService inner = groups == 1 ? executor : null;
        for (int g = 0; g < groups; g++) {
            final int group = g;
            tasks.add(() -> solveGroup(layout, normalized, keep, options, precision, group, new SplittableRandom(seeds[group]), inner));
        }
        List<GroupResult> results = run(tasks);

        int nbits = resolveNbits(options, results);
        int palette = 1 << nbits;
        int cd = options.clusterDim();
        float[] luts = new float[groups * palette * cd];
        int[] indices = groups == 1 && results.get(0).positions == null ? results.get(0).labels : new int[layout.indexCount()];
        for (int g = 0; g < groups; g++) {
            GroupResult r = results.get(g);
            float[] lut = r.lut(palette, cd);
            System.arraycopy(lut, 0, luts, g * palette * cd, palette * cd);
            if (r.positions != null) {
                for (int s = 0; s < r.positions.length; s++) indices[r.positions[s]] = r.labels[s];
            } else if (groups > 1) {
                int block = layout.groupSize * layout.inner;
                for (int o = 0; o < layout.outer; o++) {
                    System.arraycopy(r.labels, o * block, indices, (o * layout.channels + g * layout.groupSize) * layout.inner, block);
                }
            }
        }
        return new Palettization(weight.shape().clone(), precision, nbits, cd, layout.lutAxis, layout.groupSize,
                luts, indices, scales, scaleShape, keep == null ? null : keep.clone());
    }

    /**
     * Throws {@link CompressionNotApplicableException} when {@code options} cannot be applied to
     * {@code weight}: a channel axis is needed but missing, {@code group_size} or {@code cluster_dim}
     * does not divide the channels, or (scalar unique mode) a LUT group has more distinct values
     * than the LUT holds. Reads the values only for unique mode, and stops counting at 65,537.
     */
    /** As {@link #checkApplicable(WeightTensor, PalettizerOptions, boolean[])} for a mode other than unique, from the shape alone. */
    public static void checkApplicable(long[] shape, PalettizerOptions options) {
        if (options.mode() == Mode.UNIQUE) throw new IllegalArgumentException("palettize: unique mode is checked on the values");
        Layout.of(shape, options);
    }

    /**
     * As {@link #checkApplicable(WeightTensor, PalettizerOptions, boolean[])} for scalar unique mode
     * with one LUT per tensor and no mask, reading the values a piece at a time (same message).
     */
    public static void checkUniqueApplicable(long[] shape, LinearQuantizer.ValueSource values, PalettizerOptions options, int piece) {
        Layout layout = Layout.of(shape, options);
        if (options.mode() != Mode.UNIQUE || layout.lutAxis >= 0 || options.perChannelScale() != PerChannelScale.NONE) {
            throw new IllegalArgumentException("palettize: only per-tensor scalar unique mode is checked a piece at a time");
        }
        if (piece <= 0) throw new IllegalArgumentException("palettize: piece must be positive, got " + piece);
        int allowed = 1 << (options.nbits() != null ? options.nbits() : LutBits.max());
        long n = (long) layout.outer * layout.channels * layout.inner;
        FloatBins.Distinct distinct = new FloatBins.Distinct(KMeans1D.EXACT_DISTINCT);
        float[] buffer = new float[(int) Math.max(1, Math.min(piece, n))];
        boolean within = true;
        for (long first = 0; first < n && within; first += buffer.length) {
            int count = (int) Math.min(buffer.length, n - first);
            values.read(first, buffer, count);
            within = distinct.add(buffer, 0, count);
        }
        uniqueFits(options, allowed, within ? distinct.values().size() : -1);
    }

    public static void checkApplicable(WeightTensor weight, PalettizerOptions options, boolean[] keep) {
        Layout layout = Layout.of(weight.shape(), options);
        if (options.mode() != Mode.UNIQUE || options.clusterDim() > 1 || options.perChannelScale() != PerChannelScale.NONE) return;
        int allowed = 1 << (options.nbits() != null ? options.nbits() : LutBits.max());
        for (int g = 0; g < layout.groups(); g++) {
            float[] samples = layout.lutAxis < 0 && keep == null ? weight.values() : layout.gather(weight.values(), keep, g);
            KMeans1D.WeightedValues distinct = FloatBins.distinctAtMost(samples, samples.length, KMeans1D.EXACT_DISTINCT);
            uniqueFits(options, allowed, distinct == null ? -1 : distinct.size());
        }
    }

    /** Fails when a LUT group of {@code found} distinct values (-1: more than {@link KMeans1D#EXACT_DISTINCT}) exceeds {@code allowed}. */
    private static void uniqueFits(PalettizerOptions options, int allowed, int found) {
        if (found < 0 || found > allowed) {
            String count = found < 0 ? "more than " + KMeans1D.EXACT_DISTINCT : String.valueOf(found);
            throw new CompressionNotApplicableException(options.nbits() != null
                    ? "palettize: unique mode with nbits " + options.nbits() + " allows " + allowed + " distinct values per LUT, found " + count
                    : "palettize: unique mode allows at most " + allowed + " distinct values per LUT, found " + count);
        }
    }

    private List<GroupResult> run(List<Callable<GroupResult>> tasks) {
        List<GroupResult> out = new ArrayList<>(tasks.size());
        try {
            if (executor == null || tasks.size() == 1) {
                for (Callable<GroupResult> t : tasks) out.add(t.call());
                return out;
            }
            for (Future<GroupResult> f : executor.invokeAll(tasks)) out.add(f.get());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("palettize: interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) throw (RuntimeException) cause;
            throw new IllegalStateException("palettize: " + cause.getMessage(), cause);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("palettize: " + e.getMessage(), e);
        }
    }

    /** One scalar LUT group solved: its LUT padded to {@code 2^nbits} entries and the label of each sample. */
    record GroupSolution(float[] lut, int[] labels) {}

    /**
     * Solves one LUT group of a grouped or per-channel scalar palettization (cluster_dim 1, no
     * per-channel scale, not unique mode) from its samples in element order: the LUT and labels
     * {@link #palettize} gives that group. For {@link StreamedGroupPalettizer}.
     */
    static GroupSolution solveScalarGroup(float[] samples, PalettizerOptions options, Precision precision) {
        if (options.mode() == Mode.UNIQUE) throw new IllegalArgumentException("palettize: unique mode needs every group before its index width is known");
        GroupResult r = solveScalar(samples, null, true, options, precision, null);
        return new GroupSolution(r.lut(1 << nbitsOf(options), 1), r.labels);
    }

    /** The index width of a mode other than unique (which takes it from the values). */
    static int nbitsOf(PalettizerOptions options) {
        return resolveNbits(options, List.of());
    }

    private static int resolveNbits(PalettizerOptions options, List<GroupResult> results) {
        if (options.mode() == Mode.UNIQUE) {
            int most = 0;
            for (GroupResult r : results) most = Math.max(most, r.entries);
            if (options.nbits() != null) {
                if (most > (1 << options.nbits())) {
                    throw new CompressionNotApplicableException("palettize: unique mode with nbits " + options.nbits()
                            + " allows " + (1 << options.nbits()) + " distinct values per LUT, found " + most);
                }
                return options.nbits();
            }
            int found = most;
            return LutBits.smallestFitting(most).orElseThrow(() -> new CompressionNotApplicableException(
                    "palettize: unique mode allows at most " + (1 << LutBits.max()) + " distinct values per LUT, found " + found));
        }
        if (options.mode() == Mode.CUSTOM) {
            if (options.nbits() != null) return options.nbits();
            int entries = options.customLut().length / options.clusterDim();
            return LutBits.smallestFitting(entries).orElseThrow(); // the options checked entries <= 2^max
        }
        return options.nbits();
    }

    // ---- geometry ----------------------------------------------------------------------------

    /** Where the LUT groups and vectors lie. */
    private static final class Layout {
        final int outer;
        final int channels;
        final int inner;
        final int axis;       // channel axis used for grouping/vectors/scales (0 when none was needed)
        final int lutAxis;    // −1 for scalar per-tensor
        final int groupSize;  // channels per group
        final int clusterDim;

        private Layout(long[] shape, int axis, int lutAxis, int groupSize, int clusterDim) {
            this.axis = axis;
            this.lutAxis = lutAxis;
            this.groupSize = groupSize;
            this.clusterDim = clusterDim;
            if (shape.length == 0) {
                outer = 1;
                channels = 1;
                inner = 1;
            } else {
                outer = Shapes.outer(shape, axis);
                channels = (int) shape[axis];
                inner = Shapes.inner(shape, axis);
            }
        }

        static Layout of(long[] shape, PalettizerOptions o) {
            boolean grouped = o.granularity() == PalettizerOptions.Granularity.PER_GROUPED_CHANNEL;
            boolean needsAxis = grouped || o.clusterDim() > 1 || o.perChannelScale() != PerChannelScale.NONE;
            if (needsAxis && o.channelAxis() == null) {
                String what = grouped ? "per_grouped_channel" : o.clusterDim() > 1 ? "cluster_dim > 1" : "a per-channel scale";
                throw new IllegalArgumentException("palettize: " + what + " needs a channel axis");
            }
            if (!needsAxis) {
                int c = shape.length == 0 ? 1 : (int) shape[0];
                return new Layout(shape, 0, -1, c, 1);
            }
            int axis = Shapes.axis(o.channelAxis(), shape.length, "palettize: channel_axis");
            int channels = (int) shape[axis];
            int groupSize = grouped ? o.groupSize() : channels;
            if (channels % groupSize != 0) {
                throw new CompressionNotApplicableException("palettize: group_size " + groupSize + " does not divide the "
                        + channels + " channels on axis " + axis);
            }
            if (groupSize % o.clusterDim() != 0) {
                throw new CompressionNotApplicableException("palettize: cluster_dim " + o.clusterDim() + " does not divide the "
                        + (grouped ? "group of " + groupSize : String.valueOf(channels)) + " channels on axis " + axis);
            }
            boolean scalarPerTensor = !grouped && o.clusterDim() == 1;
            return new Layout(shape, axis, scalarPerTensor ? -1 : axis, groupSize, o.clusterDim());
        }

        int groups() {
            return lutAxis < 0 ? 1 : channels / groupSize;
        }

        int indexCount() {
            return outer * (channels / clusterDim) * inner;
        }

        /** The kept scalar values of LUT group {@code group} (cluster_dim 1). */
        float[] gather(float[] values, boolean[] keep, int group) {
            int first = lutAxis < 0 ? 0 : group * groupSize;
            int count = lutAxis < 0 ? channels : groupSize;
            float[] out = new float[outer * count * inner];
            int n = 0;
            for (int o = 0; o < outer; o++) {
                for (int c = first; c < first + count; c++) {
                    for (int i = 0; i < inner; i++) {
                        int e = (o * channels + c) * inner + i;
                        if (keep == null || keep[e]) out[n++] = values[e];
                    }
                }
            }
            return Arrays.copyOf(out, n);
        }
    }

    /**
     * The shape of the per-channel scales {@code options} ask for on a weight of {@code shape}: the
     * weight's rank, 1 on the broadcast axes.
     *
     * @throws IllegalArgumentException if the options ask for none or do not fit the shape
     */
    static long[] scaleShape(long[] shape, PalettizerOptions options) {
        if (options.perChannelScale() == PerChannelScale.NONE) throw new IllegalArgumentException("palettize: no per-channel scale asked for");
        return scaleShape(shape, Layout.of(shape, options), options);
    }

    private static long[] scaleShape(long[] shape, Layout layout, PalettizerOptions options) {
        long[] scaleShape = shape.clone();
        if (options.perChannelScale() == PerChannelScale.OUTPUT_CHANNEL) {
            Arrays.fill(scaleShape, 1);
            scaleShape[layout.axis] = shape[layout.axis];
        } else {
            scaleShape[layout.axis] = 1;
        }
        return scaleShape;
    }

    /** max |w| reduced to {@code scaleShape} (broadcast axes are reduced); 0 becomes 1. */
    private static float[] maxAbs(WeightTensor weight, long[] scaleShape, boolean[] keep) {
        float[] s = new float[Shapes.count(scaleShape)];
        long[] strides = Shapes.strides(weight.shape());
        long[] sStrides = Shapes.strides(scaleShape);
        float[] w = weight.values();
        for (int e = 0; e < w.length; e++) {
            if (keep != null && !keep[e]) continue;
            int si = broadcastIndex(e, weight.shape(), strides, scaleShape, sStrides);
            s[si] = Math.max(s[si], Math.abs(w[e]));
        }
        for (int i = 0; i < s.length; i++) if (s[i] == 0f) s[i] = 1f;
        return s;
    }

    private static float[] divide(WeightTensor weight, float[] scales, long[] scaleShape) {
        float[] w = weight.values();
        float[] out = new float[w.length];
        long[] strides = Shapes.strides(weight.shape());
        long[] sStrides = Shapes.strides(scaleShape);
        for (int e = 0; e < w.length; e++) {
            out[e] = weight.precision().round(w[e] / scales[broadcastIndex(e, weight.shape(), strides, scaleShape, sStrides)]);
        }
        return out;
    }

    static int broadcastIndex(int e, long[] shape, long[] strides, long[] target, long[] targetStrides) {
        long idx = 0;
        long rest = e;
        for (int d = 0; d < shape.length; d++) {
            long c = rest / strides[d];
            rest %= strides[d];
            if (target[d] != 1) idx += c * targetStrides[d];
        }
        return (int) idx;
    }

    // ---- per-group solving -------------------------------------------------------------------

    /** A group's LUT entries (before padding) and the label of each of its sample positions. */
    private static final class GroupResult {
        final float[] entries0; // distinct/centre entries × clusterDim, may be shorter than the palette
        final int entries;      // number of entries used (for unique-mode nbits selection)
        final int[] positions;  // index-tensor positions of this group's samples; null: all of the group's, in element order
        final int[] labels;
        final boolean padWithZeros;

        GroupResult(float[] entries0, int entries, int[] positions, int[] labels, boolean padWithZeros) {
            this.entries0 = entries0;
            this.entries = entries;
            this.positions = positions;
            this.labels = labels;
            this.padWithZeros = padWithZeros;
        }

        float[] lut(int palette, int cd) {
            float[] lut = new float[palette * cd];
            int have = Math.min(entries, palette);
            System.arraycopy(entries0, 0, lut, 0, have * cd);
            if (!padWithZeros && have > 0) {
                for (int e = have; e < palette; e++) System.arraycopy(entries0, (have - 1) * cd, lut, e * cd, cd);
            }
            return lut;
        }
    }

    private static GroupResult solveGroup(Layout layout, float[] values, boolean[] keep, PalettizerOptions o,
                                          Precision precision, int group, RandomGenerator random, ExecutorService executor) {
        int cd = layout.clusterDim;
        if (layout.lutAxis < 0 && keep == null && cd == 1) {
            // one scalar LUT over every value: the samples are the values, in index order
            return solveScalar(values, null, false, o, precision, executor);
        }
        if (keep == null && cd == 1) {
            // every sample of the group, in element order: one block of its channels per outer index
            int block = layout.groupSize * layout.inner;
            float[] samples = new float[layout.outer * block];
            for (int oi = 0; oi < layout.outer; oi++) {
                System.arraycopy(values, (oi * layout.channels + group * layout.groupSize) * layout.inner, samples, oi * block, block);
            }
            return solveScalar(samples, null, true, o, precision, executor);
        }
        // gather the group's samples: index positions and their (vector) values
        int channelsInGroup = layout.lutAxis < 0 ? layout.channels : layout.groupSize;
        int firstChannel = layout.lutAxis < 0 ? 0 : group * layout.groupSize;
        int vectorsInGroup = channelsInGroup / cd;
        int vectorsPerRow = layout.channels / cd;
        int capacity = layout.outer * vectorsInGroup * layout.inner;
        int[] positions = new int[capacity];
        float[] samples = new float[capacity * cd];
        int n = 0;
        for (int oi = 0; oi < layout.outer; oi++) {
            for (int v = 0; v < vectorsInGroup; v++) {
                int vector = firstChannel / cd + v;
                for (int i = 0; i < layout.inner; i++) {
                    int p = (oi * vectorsPerRow + vector) * layout.inner + i;
                    if (keep != null && !keep[p]) continue;
                    for (int t = 0; t < cd; t++) {
                        int e = (oi * layout.channels + vector * cd + t) * layout.inner + i;
                        samples[n * cd + t] = values[e];
                    }
                    positions[n++] = p;
                }
            }
        }
        positions = Arrays.copyOf(positions, n);
        samples = Arrays.copyOf(samples, n * cd);
        if (n == 0) return new GroupResult(new float[0], 0, positions, new int[0], true);
        if (cd == 1) return solveScalar(samples, positions, layout.lutAxis >= 0, o, precision, executor);
        return solveVector(samples, positions, cd, o, precision, random);
    }

    /** @param group whether {@code w} is one LUT group of several (grouped or per-channel), not the whole tensor */
    private static GroupResult solveScalar(float[] w, int[] positions, boolean group, PalettizerOptions o, Precision precision,
                                           ExecutorService executor) {
        int n = w.length;
        if (o.mode() == Mode.KMEANS) {
            KMeans1D.Labelled labelled = group ? GroupKMeans.cluster(w, n, 1 << o.nbits())
                    : KMeans1D.clusterSamples(w, n, 1 << o.nbits(), executor);
            KMeans1D.Clustering c = labelled.clustering();
            float[] lut = new float[c.clusters()];
            for (int i = 0; i < lut.length; i++) lut[i] = precision.round(c.centres()[i]);
            return new GroupResult(lut, lut.length, positions, labelled.labels(), false);
        }
        int[] labels = new int[n];
        switch (o.mode()) {
            case UNIFORM: {
                int levels = (1 << o.nbits()) - 1;
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (float v : w) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                float range = precision.round(max - min);
                float[] lut = new float[levels + 1];
                if (range == 0f) {
                    Arrays.fill(lut, min);
                    return new GroupResult(lut, lut.length, positions, labels, false);
                }
                float step = precision.round(range / levels);
                for (int i = 0; i <= levels; i++) lut[i] = precision.round((double) i * step + min);
                for (int s = 0; s < n; s++) {
                    float t = precision.round(precision.round(precision.round(w[s] - min) / range) * levels);
                    labels[s] = (int) Math.max(0, Math.min(levels, Math.rint(t)));
                }
                return new GroupResult(lut, lut.length, positions, labels, false);
            }
            case UNIQUE: {
                KMeans1D.WeightedValues values = FloatBins.distinctAtMost(w, n, KMeans1D.EXACT_DISTINCT);
                if (values == null) {
                    throw new CompressionNotApplicableException("palettize: unique mode allows at most " + (1 << LutBits.max())
                            + " distinct values per LUT, found more than "
                            + KMeans1D.EXACT_DISTINCT);
                }
                double[] distinct = values.values();
                float[] lut = new float[distinct.length];
                for (int i = 0; i < lut.length; i++) lut[i] = (float) distinct[i];
                for (int s = 0; s < n; s++) labels[s] = Arrays.binarySearch(distinct, w[s] == 0f ? 0.0 : w[s]);
                return new GroupResult(lut, lut.length, positions, labels, true);
            }
            default: {
                float[] lut = roundAll(o.customLut(), precision);
                NearestScalar nearest = new NearestScalar(lut);
                for (int s = 0; s < n; s++) labels[s] = nearest.of(w[s]);
                return new GroupResult(lut, lut.length, positions, labels, false);
            }
        }
    }

    private static GroupResult solveVector(float[] w, int[] positions, int cd, PalettizerOptions o, Precision precision,
                                           RandomGenerator random) {
        int n = positions.length;
        int[] labels = new int[n];
        if (o.mode() == Mode.CUSTOM) {
            float[] lut = roundAll(o.customLut(), precision);
            int entries = lut.length / cd;
            for (int s = 0; s < n; s++) {
                int best = 0;
                double bestDist = Double.POSITIVE_INFINITY;
                for (int c = 0; c < entries; c++) {
                    double d = 0;
                    for (int t = 0; t < cd; t++) {
                        double diff = (double) w[s * cd + t] - lut[c * cd + t];
                        d += diff * diff;
                    }
                    if (d < bestDist) {
                        bestDist = d;
                        best = c;
                    }
                }
                labels[s] = best;
            }
            return new GroupResult(lut, entries, positions, labels, false);
        }
        // distinct vectors (in first-seen order), with counts and each sample's distinct id
        Map<VectorKey, Integer> ids = new HashMap<>();
        List<float[]> distinct = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        int[] sampleId = new int[n];
        for (int s = 0; s < n; s++) {
            float[] v = new float[cd];
            for (int t = 0; t < cd; t++) v[t] = w[s * cd + t] == 0f ? 0f : w[s * cd + t];
            VectorKey key = new VectorKey(v);
            Integer id = ids.get(key);
            if (id == null) {
                id = distinct.size();
                ids.put(key, id);
                distinct.add(v);
                counts.add(0);
            }
            counts.set(id, counts.get(id) + 1);
            sampleId[s] = id;
        }
        int m = distinct.size();
        if (o.mode() == Mode.UNIQUE) {
            Integer[] order = new Integer[m];
            for (int i = 0; i < m; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Arrays.compare(distinct.get(a), distinct.get(b)));
            int[] rank = new int[m];
            float[] lut = new float[m * cd];
            for (int r = 0; r < m; r++) {
                rank[order[r]] = r;
                System.arraycopy(distinct.get(order[r]), 0, lut, r * cd, cd);
            }
            for (int s = 0; s < n; s++) labels[s] = rank[sampleId[s]];
            return new GroupResult(lut, m, positions, labels, true);
        }
        int entries = 1 << o.nbits();
        double[] points = new double[m * cd];
        double[] weights = new double[m];
        for (int i = 0; i < m; i++) {
            for (int t = 0; t < cd; t++) points[i * cd + t] = distinct.get(i)[t];
            weights[i] = counts.get(i);
        }
        VectorKMeans.Result r = VectorKMeans.cluster(points, weights, cd, entries, random, o.maxIterations());
        float[] lut = new float[entries * cd];
        for (int i = 0; i < lut.length; i++) lut[i] = precision.round(r.centres()[i]);
        for (int s = 0; s < n; s++) labels[s] = r.labels()[sampleId[s]];
        return new GroupResult(lut, entries, positions, labels, false);
    }

    private static float[] roundAll(float[] values, Precision precision) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) out[i] = precision.round(values[i]);
        return out;
    }

    /** Nearest LUT entry by |w − lut|, ties to the lowest index, in O(log L). */
    static final class NearestScalar {
        private final double[] sorted;
        private final int[] firstIndex;

        NearestScalar(float[] lut) {
            Integer[] order = new Integer[lut.length];
            for (int i = 0; i < lut.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> lut[a] != lut[b] ? Float.compare(lut[a], lut[b]) : Integer.compare(a, b));
            double[] s = new double[lut.length];
            int[] first = new int[lut.length];
            int m = 0;
            for (Integer i : order) {
                if (m > 0 && s[m - 1] == lut[i]) continue; // keep the lowest index of equal values
                s[m] = lut[i];
                first[m++] = i;
            }
            sorted = Arrays.copyOf(s, m);
            firstIndex = Arrays.copyOf(first, m);
        }

        int of(float v) {
            int pos = Arrays.binarySearch(sorted, v);
            if (pos >= 0) return firstIndex[pos];
            int hi = -pos - 1;
            int lo = hi - 1;
            if (lo < 0) return firstIndex[hi];
            if (hi >= sorted.length) return firstIndex[lo];
            double dLo = v - sorted[lo];
            double dHi = sorted[hi] - v;
            if (dLo < dHi) return firstIndex[lo];
            if (dHi < dLo) return firstIndex[hi];
            return Math.min(firstIndex[lo], firstIndex[hi]);
        }
    }

    /** Hash key for a float vector. */
    private static final class VectorKey {
        private final float[] v;
        private final int hash;

        VectorKey(float[] v) {
            this.v = v;
            this.hash = Arrays.hashCode(v);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof VectorKey && Arrays.equals(v, ((VectorKey) o).v);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
