package dev.pare.passes.compression.math;

import dev.pare.passes.compression.math.LinearQuantizer.ValueSource;
import dev.pare.passes.compression.math.PalettizerOptions.PerChannelScale;

/**
 * Palettize's per-channel scale ({@code enable_per_channel_scale}) for a weight read a piece at a
 * time: one pass finds {@code max|w|} per channel (0 becomes 1), and {@link Scaled#normalized()}
 * reads the weight divided by it, rounded to the weight's precision, a piece at a time. These are
 * the scales and values {@link Palettizer#palettize} computes for the whole weight, so a streamed
 * palettizer ({@link StreamedPalettizer}, {@link StreamedGroupPalettizer}) fed with them and
 * {@link #unscaled} options gives its LUTs and indices. Memory: a piece and the scales.
 */
public final class StreamedChannelScale {

    private StreamedChannelScale() {}

    /** The scales of a weight and its values divided by them. */
    public record Scaled(long[] scaleShape, float[] scales, ValueSource normalized) {

        /** {@code p}, palettized from {@link #normalized()}, with these scales for reconstruction. */
        public Palettization attach(Palettization p) {
            return new Palettization(p.shape(), p.precision(), p.nbits(), p.clusterDim(), p.axis(), p.groupSize(), p.luts(),
                    p.indices(), scales.clone(), scaleShape.clone(), p.keep());
        }
    }

    /** {@code options} without the per-channel scale: what palettizes the normalized values. */
    public static PalettizerOptions unscaled(PalettizerOptions o) {
        return new PalettizerOptions(o.mode(), o.nbits(), o.granularity(), o.groupSize(), o.channelAxis(), o.clusterDim(),
                PerChannelScale.NONE, o.customLut(), o.maxIterations());
    }

    /**
     * Reads the weight of {@code shape} ({@code values}, finite, in {@code precision}) once for its
     * scales.
     *
     * @throws IllegalArgumentException if {@code options} have no per-channel scale or do not fit the shape
     */
    public static Scaled of(long[] shape, Precision precision, ValueSource values, PalettizerOptions options, int piece) {
        if (options.perChannelScale() == PerChannelScale.NONE) throw new IllegalArgumentException("palettize: no per-channel scale asked for");
        if (piece <= 0) throw new IllegalArgumentException("palettize: piece must be positive, got " + piece);
        long[] scaleShape = Palettizer.scaleShape(shape, options);
        Index index = new Index(shape, scaleShape);
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        float[] scales = new float[Math.toIntExact(Shapes.count(scaleShape))];
        float[] buffer = new float[(int) Math.max(1, Math.min(piece, n))];
        for (long first = 0; first < n; first += buffer.length) {
            int count = (int) Math.min(buffer.length, n - first);
            values.read(first, buffer, count);
            for (int i = 0; i < count; i++) {
                int s = index.of(first + i);
                scales[s] = Math.max(scales[s], Math.abs(buffer[i]));
            }
        }
        for (int i = 0; i < scales.length; i++) if (scales[i] == 0f) scales[i] = 1f;
        ValueSource normalized = (first, into, count) -> {
            values.read(first, into, count);
            for (int i = 0; i < count; i++) into[i] = precision.round(into[i] / scales[index.of(first + i)]);
        };
        return new Scaled(scaleShape, scales, normalized);
    }

    /** The scale index of an element: its coordinates on the scale's non-broadcast axes. */
    private static final class Index {
        private final long[] strides;
        private final long[] dims;
        private final long[] scaleStrides;

        Index(long[] shape, long[] scaleShape) {
            long[] all = Shapes.strides(shape);
            long[] sAll = Shapes.strides(scaleShape);
            int kept = 0;
            for (long s : scaleShape) if (s != 1) kept++;
            strides = new long[kept];
            dims = new long[kept];
            scaleStrides = new long[kept];
            int k = 0;
            for (int d = 0; d < shape.length; d++) {
                if (scaleShape[d] == 1) continue;
                strides[k] = all[d];
                dims[k] = shape[d];
                scaleStrides[k] = sAll[d];
                k++;
            }
        }

        int of(long element) {
            long idx = 0;
            for (int k = 0; k < strides.length; k++) idx += element / strides[k] % dims[k] * scaleStrides[k];
            return (int) idx;
        }
    }
}
