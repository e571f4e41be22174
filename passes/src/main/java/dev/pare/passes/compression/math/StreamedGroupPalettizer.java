package dev.pare.passes.compression.math;

import dev.pare.passes.compression.math.LinearQuantizer.ValueSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Grouped and per-channel scalar palettization ({@link Palettizer} with granularity
 * per_grouped_channel, cluster_dim 1, no per-channel scale, mode kmeans, uniform or custom) of a
 * weight read a band of LUT groups at a time, for weights whose float values, sample copies and
 * labels would not fit the heap at once (16+ bytes per element in {@link Palettizer#palettize}).
 *
 * <p>A band is as many whole groups as fit {@code bandElements} (at least one). Its values are read
 * one contiguous run per outer index (the band's channels times the inner size), each group's
 * samples are copied out in element order and solved as {@link Palettizer} solves them
 * ({@link Palettizer#solveScalarGroup}), and the labels go straight into the packed index tensor.
 * The index tensor is kept packed on the heap ({@code nbits} bits per element, the layout of the
 * passes' {@code Tensors.pack}): with the channel axis not the first, a group's indices are spread
 * over the whole tensor, so no index byte is final before the last band. Memory: the packed
 * indices, one band of floats, and per thread one group's samples, labels and clustering.
 *
 * <p>The groups of a band are solved on up to {@code threads} threads (the calling one and helpers
 * on the given pool); each group is solved on its own, and its LUT and labels are stored in group
 * order by the calling thread, so the result is the same for any thread count.
 */
public final class StreamedGroupPalettizer {

    private StreamedGroupPalettizer() {}

    /** Whether {@code options} are ones this class palettizes. */
    public static boolean supports(PalettizerOptions options) {
        return options.granularity() == PalettizerOptions.Granularity.PER_GROUPED_CHANNEL && options.clusterDim() == 1
                && options.perChannelScale() == PalettizerOptions.PerChannelScale.NONE && options.mode() != PalettizerOptions.Mode.UNIQUE;
    }

    /**
     * @param palettization the LUTs and layout; its {@link Palettization#indices()} is null
     * @param packedIndices the index tensor, {@code nbits} bits per element in element order, as
     *                      {@code Tensors.ofInts} stores {@link Palettization#indexType()} codes
     */
    public record Result(Palettization palettization, byte[] packedIndices) {}

    /**
     * Palettizes the weight of {@code shape} whose (finite) values {@code values} reads, a band of
     * at most {@code bandElements} elements (or one group) at a time.
     *
     * @throws IllegalArgumentException when the options do not fit the shape ({@link Palettizer#checkApplicable(long[], PalettizerOptions)})
     */
    public static Result palettize(long[] shape, Precision precision, ValueSource values, PalettizerOptions options, int bandElements) {
        return palettize(shape, precision, values, options, bandElements, null, 1);
    }

    /**
     * As {@link #palettize(long[], Precision, ValueSource, PalettizerOptions, int)}, the groups of a
     * band solved on the calling thread and up to {@code threads - 1} helpers on {@code pool} (none
     * when it is null). Helpers that have not started when the calling thread runs out of groups are
     * cancelled, so the pool may be the one the caller runs on.
     */
    public static Result palettize(long[] shape, Precision precision, ValueSource values, PalettizerOptions options, int bandElements,
                                   ExecutorService pool, int threads) {
        if (!supports(options)) {
            throw new IllegalArgumentException("palettize: only grouped scalar palettization without a per-channel scale or unique mode is done by bands");
        }
        if (bandElements <= 0) throw new IllegalArgumentException("palettize: bandElements must be positive, got " + bandElements);
        Palettizer.checkApplicable(shape, options); // a channel axis, group_size dividing the channels
        int axis = Shapes.axis(options.channelAxis(), shape.length, "palettize: channel_axis");
        int outer = Shapes.outer(shape, axis);
        int channels = Math.toIntExact(shape[axis]);
        int inner = Shapes.inner(shape, axis);
        int groupSize = options.groupSize();
        int groups = channels / groupSize;
        int groupRow = groupSize * inner; // a group's elements per outer index, contiguous
        int groupElements = Math.multiplyExact(outer, groupRow);
        int nbits = Palettizer.nbitsOf(options);
        int palette = 1 << nbits;
        long count = (long) outer * channels * inner;
        int perBand = (int) Math.max(1, Math.min(groups, bandElements / groupElements));

        float[] luts = new float[Math.multiplyExact(groups, palette)];
        byte[] packed = new byte[Math.toIntExact((count * nbits + 7) / 8)];
        float[] band = new float[Math.multiplyExact(perBand, groupElements)];
        int helpers = pool == null ? 0 : Math.max(0, Math.min(threads, perBand) - 1);
        Palettizer.GroupSolution[] solved = new Palettizer.GroupSolution[perBand];
        float[] row = outer == 1 ? null : new float[perBand * groupRow];
        for (int g0 = 0; g0 < groups; g0 += perBand) {
            int inBand = Math.min(perBand, groups - g0);
            int bandRow = inBand * groupRow;
            for (int o = 0; o < outer; o++) {
                long first = ((long) o * channels + (long) g0 * groupSize) * inner;
                if (outer == 1) {
                    values.read(first, band, bandRow);
                } else {
                    values.read(first, row, bandRow);
                    System.arraycopy(row, 0, band, o * bandRow, bandRow);
                }
            }
            solveBand(band, inBand, outer, bandRow, groupRow, groupElements, options, precision, solved, pool, helpers);
            for (int j = 0; j < inBand; j++) {
                Palettizer.GroupSolution s = solved[j];
                solved[j] = null;
                int g = g0 + j;
                System.arraycopy(s.lut(), 0, luts, g * palette, palette);
                int[] labels = s.labels();
                for (int o = 0; o < outer; o++) {
                    long at = ((long) o * channels + (long) g * groupSize) * inner;
                    for (int t = 0; t < groupRow; t++) put(packed, at + t, nbits, labels[o * groupRow + t]);
                }
            }
        }
        Palettization p = new Palettization(shape.clone(), precision, nbits, 1, axis, groupSize, luts, null, null, null, null);
        return new Result(p, packed);
    }

    /** Solves the {@code inBand} groups of {@code band} into {@code solved[0, inBand)}, on this thread and {@code helpers} pool threads. */
    private static void solveBand(float[] band, int inBand, int outer, int bandRow, int groupRow, int groupElements, PalettizerOptions options,
                                  Precision precision, Palettizer.GroupSolution[] solved, ExecutorService pool, int helpers) {
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            float[] samples = new float[groupElements];
            for (int j; (j = next.getAndIncrement()) < inBand; ) {
                for (int o = 0; o < outer; o++) System.arraycopy(band, o * bandRow + j * groupRow, samples, o * groupRow, groupRow);
                solved[j] = Palettizer.solveScalarGroup(samples, options, precision);
            }
        };
        // A helper runs only if it claims its gate before the caller does; the caller, out of groups,
        // claims the gates of helpers not yet started (the pool may be busy with this very caller)
        // and waits for those that did start. (A FutureTask cancelled while running reports success.)
        int count = Math.min(helpers, inBand - 1);
        AtomicBoolean[] gates = new AtomicBoolean[count];
        CountDownLatch finished = new CountDownLatch(count);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Future<?>> submitted = new ArrayList<>();
        for (int h = 0; h < count; h++) {
            AtomicBoolean gate = gates[h] = new AtomicBoolean();
            submitted.add(pool.submit(() -> {
                if (!gate.compareAndSet(false, true)) return;
                try {
                    worker.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.countDown();
                }
            }));
        }
        try {
            worker.run();
        } finally {
            for (int h = 0; h < count; h++) {
                if (gates[h].compareAndSet(false, true)) {
                    finished.countDown();
                    submitted.get(h).cancel(false);
                }
            }
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("palettize: interrupted while solving groups", e);
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    /** Sets code {@code index} (all bits clear before) of {@code nbits}-bit codes packed from the low bit up. */
    private static void put(byte[] packed, long index, int nbits, int code) {
        long bit = index * nbits;
        int at = (int) (bit >>> 3);
        int shifted = code << (bit & 7);
        packed[at] |= (byte) shifted;
        if ((bit & 7) + nbits > 8) packed[at + 1] |= (byte) (shifted >>> 8); // 3- and 6-bit codes cross bytes
    }
}
