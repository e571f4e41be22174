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
        if (!supports(options)) throw new IllegalArgumentException("palettize: only per-tensor scalar k-means is done a piece at a time");
        if (piece <= 0) throw new IllegalArgumentException("palettize: piece must be positive, got " + piece);
        long count = 1;
        for (long d : shape) count = Math.multiplyExact(count, d);
        if (count == 0) throw new IllegalArgumentException("k-means: no values to cluster");
        int n = Math.toIntExact(count);
        int k = 1 << options.nbits();
        float[] buffer = new float[Math.min(piece, n)];

        long[] h = new long[2 * FloatBins.BINS];
        forEachPiece(values, n, buffer, c -> FloatBins.histogram(h, buffer, 0, c) != null);
        FloatBins bins = FloatBins.ofHistogram(h);
        KMeans1D.Clustering clustering = KMeans1D.clustering(bins, () -> {
            FloatBins.Distinct distinct = new FloatBins.Distinct(KMeans1D.EXACT_DISTINCT);
            return forEachPiece(values, n, buffer, c -> distinct.add(buffer, 0, c)) ? distinct.values() : null;
        }, pick -> {
            long[] picked = bins.picked(pick);
            float[] samples = new float[Math.toIntExact(bins.pickedSamples(pick))];
            int[] end = {0};
            forEachPiece(values, n, buffer, c -> (end[0] = FloatBins.collect(buffer, 0, c, picked, samples, end[0])) >= 0);
            return FloatBins.counted(samples);
        }, k);

        // labels as FloatBins.label gives them (the table only where it uses one)
        FloatBins.Table table = n >= (1 << 16) && clustering.clusters() <= 256 ? new FloatBins.Table(clustering) : null;
        int[] labels = new int[buffer.length];
        forEachPiece(values, n, buffer, c -> {
            for (int i = 0; i < c; i++) labels[i] = table != null ? table.of(buffer[i], clustering) : clustering.clusterOf(buffer[i]);
            indices.accept(labels, c);
            return true;
        });

        // the LUT as Palettizer builds it: the rounded centres, the last one repeated up to 2^nbits
        int entries = Math.min(clustering.clusters(), k);
        float[] lut = new float[k];
        for (int i = 0; i < k; i++) lut[i] = precision.round(clustering.centres()[Math.min(i, entries - 1)]);
        int groupSize = shape.length == 0 ? 1 : (int) shape[0];
        return new Palettization(shape.clone(), precision, options.nbits(), 1, -1, groupSize, lut, null, null, null, null);
    }

    /** Reads the pieces in turn into {@code buffer}, each handed on by its length; false once {@code piece} says to stop. */
    private static boolean forEachPiece(ValueSource values, int n, float[] buffer, java.util.function.IntPredicate piece) {
        for (long first = 0; first < n; first += buffer.length) {
            int count = (int) Math.min(buffer.length, n - first);
            values.read(first, buffer, count);
            if (!piece.test(count)) return false;
        }
        return true;
    }
}
