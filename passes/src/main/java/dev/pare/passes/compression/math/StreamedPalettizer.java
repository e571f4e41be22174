package dev.pare.passes.compression.math;

import dev.pare.passes.compression.math.LinearQuantizer.CodeSink;
import dev.pare.passes.compression.math.LinearQuantizer.ValueSource;

/**
 * Per-tensor scalar k-means palettization ({@link Palettizer} with mode kmeans, per_tensor,
 * cluster_dim 1, no per-channel scale, no mask) of a weight read a piece at a time, for weights
 * larger than one array: one pass bins the values ({@link FloatBins}), the clustering needs at most
 * one more (the distinct values when there are few, else the samples of the bins near the cluster
 * boundaries), and a last pass labels each piece and hands its indices on. The LUT and indices are
 * those {@link Palettizer#palettize} gives. Memory: a piece, the bins, and the samples of the
 * boundary bins.
 */
public final class StreamedPalettizer {

    private StreamedPalettizer() {}

    /** Whether {@code options} are ones this class palettizes. */
    public static boolean supports(PalettizerOptions options) {
        return options.mode() == PalettizerOptions.Mode.KMEANS && options.granularity() == PalettizerOptions.Granularity.PER_TENSOR
                && options.clusterDim() == 1 && options.perChannelScale() == PalettizerOptions.PerChannelScale.NONE;
    }

    /**
     * Palettizes the {@code n}-element weight of {@code shape} whose values {@code values} reads
     * (finite, in {@code precision}); the indices go to {@code indices} in element order and the
     * result has none ({@link Palettization#indices()} is null).
     */
    public static Palettization palettize(long[] shape, Precision precision, ValueSource values, PalettizerOptions options,
                                          int piece, CodeSink indices) {
        return palettize(shape, precision, values, options, piece, indices, SplitWork.INLINE);
    }

    /**
     * As above, the binning, the boundary samples and the labelling split by element ranges over
     * {@code split} ({@code values} is then read from several threads at once); the same LUT and
     * indices for any split, the indices still handed on in element order on this thread.
     */
    public static Palettization palettize(long[] shape, Precision precision, ValueSource values, PalettizerOptions options,
                                          int piece, CodeSink indices, SplitWork split) {
        Clustered c = cluster(elements(shape), precision, values, options, piece, split);
        float[][] slices = new float[split.parts()][(int) split.start(c.buffer, 1)]; // part 0's slice is the longest
        int[] labels = new int[c.buffer];
        for (long first = 0; first < c.n; first += c.buffer) {
            int count = (int) Math.min(c.buffer, c.n - first);
            long pieceFirst = first;
            split.run(split.parts(), p -> { // each part reads and labels its own slice of the piece
                int from = (int) split.start(count, p);
                int to = (int) split.start(count, p + 1);
                float[] slice = slices[p];
                if (to > from) values.read(pieceFirst + from, slice, to - from);
                for (int i = from; i < to; i++) labels[i] = c.label(slice[i - from]);
            });
            indices.accept(labels, count);
        }
        return c.result(shape, precision, options);
    }

    /** Reads the f16 bit patterns of elements {@code [first, first + count)} into {@code into[0, count)}. */
    @FunctionalInterface
    public interface HalfSource {
        void read(long first, short[] into, int count);
    }

    /**
     * As {@link #palettize} for a float16 weight read as its bit patterns: the values are counted
     * per pattern (each float16 value has a bin of its own, so the counts are the bins) and each
     * pattern is labelled once, so a value costs an increment and a look-up instead of a binning
     * and a labelling. Same LUT and indices.
     */
    public static Palettization palettizeHalf(long[] shape, HalfSource halves, PalettizerOptions options, int piece, CodeSink indices) {
        if (!supports(options)) throw new IllegalArgumentException("palettize: only per-tensor scalar k-means is done a piece at a time");
        if (piece <= 0) throw new IllegalArgumentException("palettize: piece must be positive, got " + piece);
        long count = elements(shape);
        if (count == 0) throw new IllegalArgumentException("k-means: no values to cluster");
        int n = Math.toIntExact(count);
        short[] buffer = new short[Math.min(piece, n)];
        long[] perPattern = new long[1 << 16];
        for (long first = 0; first < n; first += buffer.length) {
            int c = (int) Math.min(buffer.length, n - first);
            halves.read(first, buffer, c);
            for (int i = 0; i < c; i++) perPattern[buffer[i] & 0xFFFF]++;
        }
        // the histogram FloatBins.histogram fills from these values, pattern by pattern
        long[] h = new long[2 * FloatBins.BINS];
        for (int p = 0; p < perPattern.length; p++) {
            if (perPattern[p] != 0) FloatBins.addRepeated(h, dev.pare.ir.Float16.toFloat((short) p), perPattern[p]);
        }
        FloatBins bins = FloatBins.ofHistogram(h);
        float[] floats = new float[buffer.length];
        LinearQuantizer.ValueSource values = (first, into, c) -> {
            short[] raw = new short[c];
            halves.read(first, raw, c);
            for (int i = 0; i < c; i++) into[i] = dev.pare.ir.Float16.toFloat(raw[i]);
        };
        int k = 1 << options.nbits();
        KMeans1D.Clustering clustering = KMeans1D.clustering(bins, () -> {
            FloatBins.Distinct distinct = new FloatBins.Distinct(KMeans1D.EXACT_DISTINCT);
            return forEachPiece(values, n, floats, c -> distinct.add(floats, 0, c)) ? distinct.values() : null;
        }, pick -> {
            long[] picked = bins.picked(pick);
            float[] samples = new float[Math.toIntExact(bins.pickedSamples(pick))];
            int[] end = {0};
            forEachPiece(values, n, floats, c -> (end[0] = FloatBins.collect(floats, 0, c, picked, samples, end[0])) >= 0);
            return FloatBins.counted(samples);
        }, k);
        Clustered clustered = new Clustered(n, buffer.length, clustering);
        int[] labelOf = new int[1 << 16];
        for (int p = 0; p < labelOf.length; p++) if (perPattern[p] != 0) labelOf[p] = clustered.label(dev.pare.ir.Float16.toFloat((short) p));
        int[] labels = new int[buffer.length];
        for (long first = 0; first < n; first += buffer.length) {
            int c = (int) Math.min(buffer.length, n - first);
            halves.read(first, buffer, c);
            for (int i = 0; i < c; i++) labels[i] = labelOf[buffer[i] & 0xFFFF];
            indices.accept(labels, c);
        }
        return clustered.result(shape, Precision.FLOAT16, options);
    }

    /** Reads the mask bits of elements {@code [first, first + count)} ({@code first} a multiple of 8), packed LSB first, into {@code into}. */
    @FunctionalInterface
    public interface MaskSource {
        void read(long first, byte[] into, int count);
    }

    /**
     * As {@link #palettize} for a pruned weight ({@link Palettizer#palettize} with a keep-mask): the
     * {@code kept} values {@code keptValues} reads (in element order) are clustered, and
     * {@code indices} gets an index per element of {@code shape}, 0 where {@code mask} has a 0 bit.
     * {@code piece} must be a multiple of 8.
     */
    public static Palettization palettizeKept(long[] shape, Precision precision, long kept, ValueSource keptValues, MaskSource mask,
                                              PalettizerOptions options, int piece, CodeSink indices) {
        if (piece % 8 != 0) throw new IllegalArgumentException("palettize: piece must be a multiple of 8, got " + piece);
        Clustered c = cluster(kept, precision, keptValues, options, piece, SplitWork.INLINE);
        long n = elements(shape);
        int length = (int) Math.min(piece, n);
        byte[] bits = new byte[(length + 7) / 8];
        float[] values = new float[length];
        int[] labels = new int[length];
        long next = 0; // the next kept value to read
        for (long first = 0; first < n; first += length) {
            int count = (int) Math.min(length, n - first);
            mask.read(first, bits, count);
            int k = 0;
            for (int b = 0; b < (count + 7) / 8; b++) k += Integer.bitCount(bits[b] & 0xFF & (b < count / 8 ? 0xFF : (1 << (count & 7)) - 1));
            if (next + k > kept) throw new IllegalArgumentException("palettize: the mask keeps more than the " + kept + " values");
            if (k > 0) keptValues.read(next, values, k);
            next += k;
            int t = 0;
            for (int i = 0; i < count; i++) labels[i] = ((bits[i >>> 3] >>> (i & 7)) & 1) != 0 ? c.label(values[t++]) : 0;
            indices.accept(labels, count);
        }
        if (next != kept) throw new IllegalArgumentException("palettize: the mask keeps " + next + " values, not " + kept);
        return c.result(shape, precision, options);
    }

    private static long elements(long[] shape) {
        long count = 1;
        for (long d : shape) count = Math.multiplyExact(count, d);
        return count;
    }

    /** The clustering of {@code n} values and how a value is labelled, as {@link FloatBins#label} does it. */
    private static final class Clustered {
        final int n;
        final int buffer;
        final KMeans1D.Clustering clustering;
        final FloatBins.Table table;

        Clustered(int n, int buffer, KMeans1D.Clustering clustering) {
            this.n = n;
            this.buffer = buffer;
            this.clustering = clustering;
            this.table = n >= (1 << 16) && clustering.clusters() <= 256 ? new FloatBins.Table(clustering) : null; // (the table only where it uses one)
        }

        int label(float v) {
            return table != null ? table.of(v, clustering) : clustering.clusterOf(v);
        }

        /** The LUT as Palettizer builds it: the rounded centres, the last one repeated up to 2^nbits. */
        Palettization result(long[] shape, Precision precision, PalettizerOptions options) {
            int k = 1 << options.nbits();
            int entries = Math.min(clustering.clusters(), k);
            float[] lut = new float[k];
            for (int i = 0; i < k; i++) lut[i] = precision.round(clustering.centres()[Math.min(i, entries - 1)]);
            int groupSize = shape.length == 0 ? 1 : (int) shape[0];
            return new Palettization(shape.clone(), precision, options.nbits(), 1, -1, groupSize, lut, null, null, null, null);
        }
    }

    /** Clusters the {@code count} values {@code values} reads: one pass to bin them, at most one more for the clustering. */
    private static Clustered cluster(long count, Precision precision, ValueSource values, PalettizerOptions options, int piece,
                                     SplitWork split) {
        if (!supports(options)) throw new IllegalArgumentException("palettize: only per-tensor scalar k-means is done a piece at a time");
        if (piece <= 0) throw new IllegalArgumentException("palettize: piece must be positive, got " + piece);
        if (count == 0) throw new IllegalArgumentException("k-means: no values to cluster");
        int n = Math.toIntExact(count);
        int k = 1 << options.nbits();
        float[] buffer = new float[Math.min(piece, n)];

        // each part bins its own range; merged in part order, the bins are those of one pass in order
        long[][] parts = new long[split.parts()][];
        split.run(parts.length, p -> {
            long[] h = new long[2 * FloatBins.BINS];
            float[] own = p == 0 ? buffer : new float[buffer.length];
            forEachPiece(values, split.start(n, p), split.start(n, p + 1), own, c -> FloatBins.histogram(h, own, 0, c) != null);
            parts[p] = h;
        });
        long[] h = parts[0];
        for (int p = 1; p < parts.length; p++) FloatBins.merge(h, parts[p]);
        FloatBins bins = FloatBins.ofHistogram(h);
        KMeans1D.Clustering clustering = KMeans1D.clustering(bins, () -> {
            FloatBins.Distinct distinct = new FloatBins.Distinct(KMeans1D.EXACT_DISTINCT);
            return forEachPiece(values, n, buffer, c -> distinct.add(buffer, 0, c)) ? distinct.values() : null;
        }, pick -> collectPicked(bins, pick, values, n, buffer, split), k);
        return new Clustered(n, buffer.length, clustering);
    }

    /**
     * The samples of the bins {@code pick} flags, each part of {@code split} collecting its range's
     * and the parts joined in order: the samples in element order, as one pass collects them.
     */
    private static KMeans1D.WeightedValues collectPicked(FloatBins bins, boolean[] pick, ValueSource values, int n, float[] buffer,
                                                         SplitWork split) {
        long[] picked = bins.picked(pick);
        int total = Math.toIntExact(bins.pickedSamples(pick));
        float[][] parts = new float[split.parts()][];
        split.run(parts.length, p -> {
            long from = split.start(n, p);
            long to = split.start(n, p + 1);
            float[] samples = new float[(int) Math.min(total, to - from)];
            float[] own = p == 0 ? buffer : new float[buffer.length];
            int[] end = {0};
            forEachPiece(values, from, to, own, c -> (end[0] = FloatBins.collect(own, 0, c, picked, samples, end[0])) >= 0);
            parts[p] = end[0] == samples.length ? samples : java.util.Arrays.copyOf(samples, end[0]);
        });
        float[] samples = parts.length == 1 ? parts[0] : new float[total];
        if (parts.length > 1) {
            int at = 0;
            for (float[] part : parts) {
                System.arraycopy(part, 0, samples, at, part.length);
                at += part.length;
            }
        }
        return FloatBins.counted(samples);
    }

    /** Reads the pieces in turn into {@code buffer}, each handed on by its length; false once {@code piece} says to stop. */
    private static boolean forEachPiece(ValueSource values, int n, float[] buffer, java.util.function.IntPredicate piece) {
        return forEachPiece(values, 0, n, buffer, piece);
    }

    /** As above for elements {@code [from, to)}. */
    private static boolean forEachPiece(ValueSource values, long from, long to, float[] buffer, java.util.function.IntPredicate piece) {
        for (long first = from; first < to; first += buffer.length) {
            int count = (int) Math.min(buffer.length, to - first);
            values.read(first, buffer, count);
            if (!piece.test(count)) return false;
        }
        return true;
    }
}
