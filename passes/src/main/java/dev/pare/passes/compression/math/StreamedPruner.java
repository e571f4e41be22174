package dev.pare.passes.compression.math;

import dev.pare.passes.compression.math.LinearQuantizer.ValueSource;

/**
 * Unstructured pruning ({@link Pruner#magnitude} without block_size or n:m, and
 * {@link Pruner#threshold}) of a weight read a piece at a time, for weights larger than one array.
 * The magnitude cut is found exactly without holding the weight: a first pass counts the
 * magnitudes per bin of their top 18 bits (a float16 value has a bin of its own), a second pass,
 * only when some magnitude has low bits set, counts the low 13 bits inside the one or two bins
 * holding the percentile's ranks; the interpolated percentile, and how many magnitudes fall at or
 * below it, follow from the two histograms. {@link #prune} then hands each piece's mask and kept
 * values on. The mask and kept values are those {@link Pruner} gives. Memory: a piece and 1 MiB of
 * counts.
 */
public final class StreamedPruner {

    private StreamedPruner() {}

    private static final int LOW_BITS = 13;
    private static final int LOW_MASK = (1 << LOW_BITS) - 1;
    private static final int COARSE_BINS = 1 << (31 - LOW_BITS);

    /**
     * What to prune: every value whose magnitude is {@code <= cut} (none when {@code cut} is
     * negative), leaving {@code kept} non-zero values.
     */
    public record Cut(double cut, long kept) {}

    /** Takes the next {@code count} mask bits packed LSB first ({@code mask}, whole bytes but the last) and the kept values. */
    @FunctionalInterface
    public interface PieceSink {
        void accept(byte[] mask, int count, float[] kept, int keptCount);
    }

    /** The cut of {@link Pruner#magnitude} with {@code targetSparsity} for the {@code n} values {@code values} reads. */
    public static Cut magnitudeCut(long n, double targetSparsity, ValueSource values, int piece) {
        checkPiece(piece);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("prune: at most " + Integer.MAX_VALUE + " values, got " + n);
        double q = targetSparsity * 100;
        if (n == 0) return new Cut(-1, 0);
        if (q == 100) return new Cut(Double.POSITIVE_INFINITY, 0);
        int[] coarse = new int[COARSE_BINS];
        float[] buffer = new float[(int) Math.min(piece, n)];
        int[] lowBits = {0};
        forEachPiece(values, n, buffer, count -> {
            int low = 0;
            for (int i = 0; i < count; i++) {
                int bits = Float.floatToRawIntBits(Math.abs(buffer[i]));
                coarse[bits >>> LOW_BITS]++;
                low |= bits;
            }
            lowBits[0] |= low & LOW_MASK;
        });
        boolean exact = lowBits[0] == 0; // every bin holds one magnitude (e.g. every float16 weight)
        if (q == 0) { // nothing pruned by magnitude, but zeros are not kept
            return new Cut(-1, n - new Counts(coarse, 0, exact, values, n, buffer).atMost(0f));
        }
        double virtual = Pruner.virtualIndex(q, n);
        int lo = (int) Math.floor(virtual);
        int hi = (int) Math.min(lo + 1L, n - 1);
        Counts counts = new Counts(coarse, binOfRank(coarse, lo), binOfRank(coarse, hi), exact, values, n, buffer);
        float a = counts.ranked(lo);
        float b = counts.ranked(hi);
        double cut = Pruner.interpolate(a, b, virtual - lo);
        long pruned = cut >= b ? counts.atMost(b) : counts.atMost(a);
        return new Cut(cut, n - pruned);
    }

    /** The cut of {@link Pruner#threshold}; fails as it does when fewer than {@code minimumSparsity} of the values would be zero. */
    public static Cut thresholdCut(long n, ThresholdPrunerOptions options, ValueSource values, int piece) {
        checkPiece(piece);
        float[] buffer = new float[(int) Math.max(1, Math.min(piece, n))];
        long[] zeros = {0};
        forEachPiece(values, n, buffer, count -> {
            long z = 0;
            for (int i = 0; i < count; i++) if (Math.abs(buffer[i]) <= options.threshold()) z++;
            zeros[0] += z;
        });
        double sparsity = n == 0 ? 0 : (double) zeros[0] / n;
        if (sparsity < options.minimumSparsityPercentile()) {
            throw new CompressionNotApplicableException("prune: sparsity " + sparsity + " is below minimum_sparsity_percentile "
                    + options.minimumSparsityPercentile());
        }
        return new Cut(options.threshold(), n - zeros[0]);
    }

    /**
     * Reads the {@code n} values again in pieces of {@code piece} (a multiple of 8) and hands on
     * each piece's mask ({@code |w| > cut} and {@code w != 0}) and kept values, in element order.
     */
    public static void prune(long n, Cut cut, ValueSource values, int piece, PieceSink sink) {
        checkPiece(piece);
        if (piece % 8 != 0) throw new IllegalArgumentException("prune: piece must be a multiple of 8, got " + piece);
        float[] buffer = new float[(int) Math.max(1, Math.min(piece, n))];
        byte[] mask = new byte[(buffer.length + 7) / 8];
        float[] kept = new float[buffer.length];
        double c = cut.cut();
        long[] total = {0};
        forEachPiece(values, n, buffer, count -> {
            java.util.Arrays.fill(mask, (byte) 0);
            int k = 0;
            for (int i = 0; i < count; i++) {
                float v = buffer[i];
                if (Math.abs(v) <= c || v == 0f) continue;
                mask[i >>> 3] |= (byte) (1 << (i & 7));
                kept[k++] = v;
            }
            total[0] += k;
            sink.accept(mask, count, kept, k);
        });
        if (total[0] != cut.kept()) {
            throw new IllegalStateException("prune: the values changed between passes (" + total[0] + " kept, " + cut.kept() + " expected)");
        }
    }

    /**
     * The mask of {@link Pruner#magnitude} with {@code n:m} sparsity along {@code dim} (packed LSB
     * first in element order: set = kept, i.e. not among its group's n smallest and not zero), read
     * a band of positions across the channels at a time: for each outer index, up to
     * {@code piece / channels} positions of the inner axes, every channel's run of them. Memory:
     * a band of values and one bit per element.
     */
    public static byte[] nOfMMask(long[] shape, int n, int m, int dim, ValueSource values, int piece) {
        checkPiece(piece);
        Pruner.checkApplicable(shape, new MagnitudePrunerOptions(null, null, new int[] {n, m}, dim));
        long count = 1;
        for (long s : shape) count = Math.multiplyExact(count, s);
        if ((count + 7) / 8 > Integer.MAX_VALUE) throw new IllegalArgumentException("prune: at most 2^34 values, got " + count);
        NOfM groups = new NOfM(n, m, Math.toIntExact(shape[dim]), Shapes.strides(shape)[dim], new byte[(int) ((count + 7) / 8)]);
        int channels = groups.channels;
        long inner = groups.inner;
        long outer = count / Math.max(1, channels * inner);
        long slab = channels * inner; // one outer index: [channels][inner], contiguous
        if (slab <= piece) { // whole slabs, several a read
            int perRead = (int) Math.max(1, piece / Math.max(1, slab));
            float[] buffer = new float[(int) Math.min(count, perRead * slab)];
            for (long o = 0; o < outer; o += perRead) {
                int slabs = (int) Math.min(perRead, outer - o);
                values.read(o * slab, buffer, (int) (slabs * slab));
                for (int j = 0; j < slabs; j++) groups.band(buffer, (int) (j * slab), (int) inner, o + j, 0);
            }
            return groups.mask;
        }
        int width = (int) Math.max(1, Math.min(inner, piece / channels));
        float[] band = new float[channels * width];
        float[] run = new float[width];
        for (long o = 0; o < outer; o++) {
            for (long i0 = 0; i0 < inner; i0 += width) {
                int w = (int) Math.min(width, inner - i0);
                for (int c = 0; c < channels; c++) {
                    values.read((o * channels + c) * inner + i0, run, w);
                    System.arraycopy(run, 0, band, c * w, w);
                }
                groups.band(band, 0, w, o, i0);
            }
        }
        return groups.mask;
    }

    /** n:m groups of a band (every channel's run of {@code w} inner positions), their kept bits set in the whole weight's mask. */
    private static final class NOfM {
        final int n;
        final int m;
        final int channels;
        final long inner;
        final byte[] mask;
        private final Integer[] order;
        private final float[] mag;
        private final boolean[] pruned;

        NOfM(int n, int m, int channels, long inner, byte[] mask) {
            this.n = n;
            this.m = m;
            this.channels = channels;
            this.inner = inner;
            this.mask = mask;
            order = new Integer[m];
            mag = new float[m];
            pruned = new boolean[m];
        }

        /** {@code band[off + c·w + i]} is channel c at inner position {@code i0 + i} of outer index {@code o}. */
        void band(float[] band, int off, int w, long o, long i0) {
            for (int i = 0; i < w; i++) {
                for (int start = 0; start < channels; start += m) {
                    for (int t = 0; t < m; t++) {
                        int c = start + t;
                        mag[t] = c < channels ? Math.abs(band[off + c * w + i]) : 0f; // zero padding, as Pruner
                        order[t] = t;
                        pruned[t] = false;
                    }
                    java.util.Arrays.sort(order, (a, b) -> mag[a] != mag[b] ? Float.compare(mag[a], mag[b]) : Integer.compare(a, b));
                    for (int r = 0; r < n; r++) pruned[order[r]] = true;
                    for (int t = 0; t < m && start + t < channels; t++) {
                        if (pruned[t] || band[off + (start + t) * w + i] == 0f) continue;
                        long e = (o * channels + start + t) * inner + i0 + i;
                        mask[(int) (e >>> 3)] |= (byte) (1 << (e & 7));
                    }
                }
            }
        }
    }

    /**
     * Reads the {@code n} values in pieces of {@code piece} (a multiple of 8) and hands on each
     * piece's part of {@code mask} (as {@link #nOfMMask} gives it) and the values it keeps, in
     * element order, as {@link #prune} does for a cut.
     */
    public static void pruneByMask(long n, byte[] mask, ValueSource values, int piece, PieceSink sink) {
        checkPiece(piece);
        if (piece % 8 != 0) throw new IllegalArgumentException("prune: piece must be a multiple of 8, got " + piece);
        float[] buffer = new float[(int) Math.max(1, Math.min(piece, n))];
        byte[] bits = new byte[(buffer.length + 7) / 8];
        float[] kept = new float[buffer.length];
        long[] first = {0};
        forEachPiece(values, n, buffer, count -> {
            System.arraycopy(mask, (int) (first[0] >>> 3), bits, 0, (count + 7) / 8);
            int k = 0;
            for (int i = 0; i < count; i++) if ((bits[i >>> 3] >>> (i & 7) & 1) != 0) kept[k++] = buffer[i];
            sink.accept(bits, count, kept, k);
            first[0] += count;
        });
    }

    /** The number of set bits of a mask. */
    public static long kept(byte[] mask) {
        long k = 0;
        for (byte b : mask) k += Integer.bitCount(b & 0xFF);
        return k;
    }

    /** The coarse bin holding the value of rank {@code rank} (0 = smallest). */
    private static int binOfRank(int[] coarse, long rank) {
        long seen = 0;
        for (int bin = 0; bin < coarse.length; bin++) {
            seen += coarse[bin];
            if (seen > rank) return bin;
        }
        throw new IllegalStateException("prune: rank " + rank + " past the " + seen + " values");
    }

    /** Ranks and counts of magnitudes within the coarse bins that matter, refined by their low bits when needed. */
    private static final class Counts {
        private final int[] coarse;
        private final int binA;
        private final int binB;
        private final int[] fineA;
        private final int[] fineB;

        Counts(int[] coarse, int bin, boolean exact, ValueSource values, long n, float[] buffer) {
            this(coarse, bin, bin, exact, values, n, buffer);
        }

        Counts(int[] coarse, int binA, int binB, boolean exact, ValueSource values, long n, float[] buffer) {
            this.coarse = coarse;
            this.binA = binA;
            this.binB = binB;
            this.fineA = new int[1 << LOW_BITS];
            this.fineB = binB == binA ? fineA : new int[1 << LOW_BITS];
            if (exact) {
                fineA[0] = coarse[binA];
                fineB[0] = coarse[binB];
                return;
            }
            forEachPiece(values, n, buffer, count -> {
                for (int i = 0; i < count; i++) {
                    int bits = Float.floatToRawIntBits(Math.abs(buffer[i]));
                    int bin = bits >>> LOW_BITS;
                    if (bin == binA) fineA[bits & LOW_MASK]++;
                    else if (bin == binB) fineB[bits & LOW_MASK]++;
                }
            });
        }

        /** The magnitude of rank {@code rank}, which lies in bin A or B. */
        float ranked(long rank) {
            long below = 0;
            for (int bin = 0; bin < binA; bin++) below += coarse[bin];
            int bin = binA;
            int[] fine = fineA;
            if (rank >= below + coarse[binA]) {
                for (int b = binA; b < binB; b++) below += coarse[b];
                bin = binB;
                fine = fineB;
            }
            for (int low = 0; low < fine.length; low++) {
                below += fine[low];
                if (below > rank) return Float.intBitsToFloat(bin << LOW_BITS | low);
            }
            throw new IllegalStateException("prune: rank " + rank + " is not in bin " + bin);
        }

        /** How many magnitudes are {@code <= m}, for an {@code m} in bin A or B. */
        long atMost(float m) {
            int bits = Float.floatToRawIntBits(m);
            int bin = bits >>> LOW_BITS;
            int[] fine = bin == binA ? fineA : bin == binB ? fineB : null;
            if (fine == null) throw new IllegalStateException("prune: " + m + " is not in a refined bin");
            long count = 0;
            for (int b = 0; b < bin; b++) count += coarse[b];
            for (int low = 0; low <= (bits & LOW_MASK); low++) count += fine[low];
            return count;
        }
    }

    private static void checkPiece(int piece) {
        if (piece <= 0) throw new IllegalArgumentException("prune: piece must be positive, got " + piece);
    }

    private static void forEachPiece(ValueSource values, long n, float[] buffer, java.util.function.IntConsumer piece) {
        for (long first = 0; first < n; first += buffer.length) {
            int count = (int) Math.min(buffer.length, n - first);
            values.read(first, buffer, count);
            piece.accept(count);
        }
    }
}
