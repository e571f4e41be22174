package dev.pare.passes.compression.math;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * A histogram of float samples over 2^19 bins of their order-preserving bit patterns: a bin holds
 * the values that share sign, exponent and the top 10 mantissa bits (a relative width of at most
 * 2^-10), so every float16 value has a bin of its own. Per bin it keeps the count, the exact sum of
 * the low 13 mantissa bits (from which the exact mean follows) and whether the bin holds one
 * distinct value or more. All sums are integers, so the result does not depend on how the samples
 * were split between threads.
 */
final class FloatBins {

    static final int SHIFT = 13;
    static final int BINS = 1 << (32 - SHIFT);
    private static final int LOW_MASK = (1 << SHIFT) - 1;
    private static final int FIRST_MASK = 0x3FFF;
    private static final long MULTI = 1L << 14;
    /** Samples per chunk of the (deterministic) parallel SSE sum. */
    private static final int CHUNK = 1 << 16;

    /** Ids of the non-empty bins, ascending (= ascending values). */
    final int[] ids;
    final long[] counts;
    /** The exact mean of each bin's values (to double rounding). */
    final double[] means;
    /** Whether each bin holds more than one distinct value. */
    final boolean[] multi;
    final int multiCount;

    private FloatBins(int[] ids, long[] counts, double[] means, boolean[] multi, int multiCount) {
        this.ids = ids;
        this.counts = counts;
        this.means = means;
        this.multi = multi;
        this.multiCount = multiCount;
    }

    int size() {
        return ids.length;
    }

    /** Order-preserving key: the unsigned order of keys is the numeric order of values; −0 is +0. */
    static int key(float v) {
        int bits = v == 0f ? 0 : Float.floatToRawIntBits(v);
        return bits >= 0 ? bits ^ 0x80000000 : ~bits;
    }

    static int bin(float v) {
        return key(v) >>> SHIFT;
    }

    private static float valueOfKey(int key) {
        return Float.intBitsToFloat(key < 0 ? key ^ 0x80000000 : ~key);
    }

    /** The smallest float of bin {@code id}. */
    static float lowest(int id) {
        return valueOfKey(id << SHIFT);
    }

    /** The largest float of bin {@code id}. */
    static float highest(int id) {
        return valueOfKey((id << SHIFT) | LOW_MASK);
    }

    static FloatBins of(float[] data, int n, ExecutorService executor) {
        if (n < SORT_BELOW) return ofSorted(data, n);
        int tasks = tasks(n, executor);
        List<Callable<long[]>> work = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            int from = (int) ((long) n * t / tasks);
            int to = (int) ((long) n * (t + 1) / tasks);
            work.add(() -> histogram(new long[2 * BINS], data, from, to));
        }
        List<long[]> parts = run(work, executor);
        long[] h = parts.get(0);
        for (int p = 1; p < parts.size(); p++) merge(h, parts.get(p));
        return ofHistogram(h);
    }

    /**
     * Samples below which {@link #of} sorts their keys instead of filling a histogram: the
     * histogram's 2^19 bins (8 MiB, scanned whole) cost far more than a few thousand samples do,
     * e.g. a per-channel or grouped LUT's values.
     */
    static final int SORT_BELOW = BINS / 8;

    /** The bins {@link #ofHistogram} gives for {@code data[0, n)}, from the sorted keys (n log n, no array of all bins). */
    static FloatBins ofSorted(float[] data, int n) {
        int[] keys = new int[n];
        for (int i = 0; i < n; i++) keys[i] = key(data[i]) ^ 0x80000000; // signed order = unsigned key order
        Arrays.sort(keys);
        int m = 0;
        for (int i = 0; i < n; i++) if (i == 0 || (keys[i] ^ 0x80000000) >>> SHIFT != (keys[i - 1] ^ 0x80000000) >>> SHIFT) m++;
        int[] ids = new int[m];
        long[] counts = new long[m];
        double[] means = new double[m];
        boolean[] multi = new boolean[m];
        int multiCount = 0;
        int b = 0;
        for (int i = 0; i < n; ) {
            int key = keys[i] ^ 0x80000000;
            int id = key >>> SHIFT;
            int first = lowBits(key);
            long sum = 0;
            boolean several = false;
            int j = i;
            for (; j < n && (keys[j] ^ 0x80000000) >>> SHIFT == id; j++) {
                int low = lowBits(keys[j] ^ 0x80000000);
                sum += low;
                several |= low != first;
            }
            ids[b] = id;
            counts[b] = j - i;
            multi[b] = several;
            if (several) multiCount++;
            means[b] = several ? valueAt(id, (double) sum / counts[b]) : valueAt(id, first);
            b++;
            i = j;
        }
        return new FloatBins(ids, counts, means, multi, multiCount);
    }

    /** The low mantissa bits of the float with order-preserving key {@code key}, as {@link #histogram} sums them. */
    private static int lowBits(int key) {
        return Float.floatToRawIntBits(valueOfKey(key)) & LOW_MASK;
    }

    /** The bins of a histogram {@link #histogram} filled (one or merged parts: the same bins). */
    static FloatBins ofHistogram(long[] h) {
        int m = 0;
        int multiCount = 0;
        for (int b = 0; b < BINS; b++) if (h[2 * b] != 0) m++;
        int[] ids = new int[m];
        long[] counts = new long[m];
        double[] means = new double[m];
        boolean[] multi = new boolean[m];
        int i = 0;
        for (int b = 0; b < BINS; b++) {
            long s = h[2 * b];
            if (s == 0) continue;
            ids[i] = b;
            counts[i] = s >>> 32;
            multi[i] = (s & MULTI) != 0;
            if (multi[i]) multiCount++;
            means[i] = multi[i] ? valueAt(b, (double) h[2 * b + 1] / counts[i]) : valueAt(b, (int) (s & FIRST_MASK) - 1);
            i++;
        }
        return new FloatBins(ids, counts, means, multi, multiCount);
    }

    /** The value of bin {@code id} whose low 13 mantissa bits are {@code low} (fractional for means). */
    private static double valueAt(int id, double low) {
        int bits = Float.floatToRawIntBits(lowest(id)) & ~LOW_MASK;
        int exponent = (bits >>> 23) & 0xFF;
        int significand = (exponent > 0 ? 1 << 23 : 0) | (bits & 0x7FFFFF);
        double magnitude = Math.scalb(significand + low, Math.max(exponent, 1) - 150);
        return bits < 0 ? -magnitude : magnitude;
    }

    /**
     * Adds {@code data[from, to)} to {@code h} (of {@code 2 * BINS}) and returns it. Per bin: [count
     * << 32 | multi flag | first low bits + 1, sum of low bits]; adding pieces in turn gives what
     * one call over them all gives.
     */
    static long[] histogram(long[] h, float[] data, int from, int to) {
        for (int i = from; i < to; i++) {
            float v = data[i];
            int bits = v == 0f ? 0 : Float.floatToRawIntBits(v);
            int key = bits >= 0 ? bits ^ 0x80000000 : ~bits;
            int b = (key >>> SHIFT) << 1;
            int low = (bits & LOW_MASK) + 1;
            long s = h[b];
            int first = (int) s & FIRST_MASK;
            if (first == 0) s |= low;
            else if (first != low) s |= MULTI;
            h[b] = s + (1L << 32);
            h[b + 1] += low - 1;
        }
        return h;
    }

    /** What {@link #histogram} does to {@code h} for {@code times} samples of value {@code v} (the bins do not depend on the order). */
    static void addRepeated(long[] h, float v, long times) {
        int bits = v == 0f ? 0 : Float.floatToRawIntBits(v);
        int key = bits >= 0 ? bits ^ 0x80000000 : ~bits;
        int b = (key >>> SHIFT) << 1;
        int low = (bits & LOW_MASK) + 1;
        long s = h[b];
        int first = (int) s & FIRST_MASK;
        if (first == 0) s |= low;
        else if (first != low) s |= MULTI;
        h[b] = s + (times << 32);
        h[b + 1] += (low - 1) * times;
    }

    static void merge(long[] into, long[] from) {
        for (int b = 0; b < BINS; b++) {
            long y = from[2 * b];
            if (y == 0) continue;
            long x = into[2 * b];
            long firstX = x & FIRST_MASK;
            long firstY = y & FIRST_MASK;
            long flags = (x | y) & MULTI;
            if (firstX == 0) firstX = firstY;
            else if (firstY != firstX) flags = MULTI;
            into[2 * b] = (((x >>> 32) + (y >>> 32)) << 32) | flags | firstX;
            into[2 * b + 1] += from[2 * b + 1];
        }
    }

    /** The exact distinct values of bins without several values, as weighted values. */
    KMeans1D.WeightedValues asDistinct() {
        if (multiCount > 0) throw new IllegalStateException("bins hold several values");
        double[] w = new double[counts.length];
        for (int i = 0; i < w.length; i++) w[i] = counts[i];
        return new KMeans1D.WeightedValues(means.clone(), w);
    }

    /**
     * The sorted distinct values (with counts) of the samples in the bins flagged by {@code pick}
     * (indexed like {@link #ids}); a value order that does not depend on how work was split.
     */
    KMeans1D.WeightedValues distinctIn(float[] data, int n, boolean[] pick, ExecutorService executor) {
        long[] picked = picked(pick);
        long total = pickedSamples(pick);
        if (total == 0) return new KMeans1D.WeightedValues(new double[0], new double[0]);
        int tasks = tasks(n, executor);
        List<Callable<float[]>> work = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            int from = (int) ((long) n * t / tasks);
            int to = (int) ((long) n * (t + 1) / tasks);
            work.add(() -> {
                float[] out = new float[Math.max(16, (int) Math.min(to - from, total))];
                int o = collect(data, from, to, picked, out, 0);
                return Arrays.copyOf(out, o);
            });
        }
        float[] all = new float[Math.toIntExact(total)];
        int offset = 0;
        for (float[] part : run(work, executor)) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return counted(all);
    }

    /** A bit per bin ({@link #ids} order) flagged in {@code pick}: small enough to stay in cache. */
    long[] picked(boolean[] pick) {
        long[] picked = new long[BINS / 64];
        for (int i = 0; i < ids.length; i++) if (pick[i]) picked[ids[i] >>> 6] |= 1L << ids[i];
        return picked;
    }

    /** Samples in the bins flagged in {@code pick}. */
    long pickedSamples(boolean[] pick) {
        long total = 0;
        for (int i = 0; i < ids.length; i++) if (pick[i]) total += counts[i];
        return total;
    }

    /** Copies the samples of {@code data[from, to)} in picked bins to {@code out} from {@code o} (-0 as 0); returns the new end. */
    static int collect(float[] data, int from, int to, long[] picked, float[] out, int o) {
        for (int i = from; i < to; i++) {
            float v = data[i];
            int b = bin(v);
            if ((picked[b >>> 6] & (1L << b)) == 0) continue;
            out[o++] = v == 0f ? 0f : v;
        }
        return o;
    }

    /** The distinct values of {@code all} (sorted here) with their counts. */
    static KMeans1D.WeightedValues counted(float[] all) {
        Arrays.sort(all);
        int distinct = 0;
        for (int i = 0; i < all.length; i++) if (i == 0 || all[i] != all[i - 1]) distinct++;
        double[] values = new double[distinct]; // counted first: the samples may be many more than their values
        double[] weights = new double[distinct];
        int m = 0;
        for (float v : all) {
            if (m > 0 && values[m - 1] == v) {
                weights[m - 1]++;
            } else {
                values[m] = v;
                weights[m++] = 1;
            }
        }
        return new KMeans1D.WeightedValues(values, weights);
    }

    /**
     * The distinct values of the first {@code n} samples with their counts, or null as soon as
     * there are more than {@code cap} of them (an open-addressing hash of the bit patterns, so a
     * weight with many values is rejected after reading about {@code cap} samples).
     */
    static KMeans1D.WeightedValues distinctAtMost(float[] data, int n, int cap) {
        Distinct d = new Distinct(cap);
        return d.add(data, 0, n) ? d.values() : null;
    }

    /** The distinct values of samples added piece by piece, up to a cap. */
    static final class Distinct {
        private final int cap;
        private final int mask;
        private final int shift;
        private final int[] keys;
        private final int[] counts;
        private final boolean[] used;
        private int size;

        Distinct(int cap) {
            this.cap = cap;
            int capacity = Integer.highestOneBit(Math.max(2, cap) * 4 - 1) << 1;
            mask = capacity - 1;
            shift = 32 - Integer.numberOfTrailingZeros(capacity);
            keys = new int[capacity];
            counts = new int[capacity];
            used = new boolean[capacity];
        }

        /** Adds {@code data[from, to)}; false as soon as there are more than the cap distinct values. */
        boolean add(float[] data, int from, int to) {
            for (int i = from; i < to; i++) {
                float v = data[i];
                int bits = v == 0f ? 0 : Float.floatToRawIntBits(v);
                int slot = (bits * 0x9E3779B9) >>> shift;
                while (used[slot] && keys[slot] != bits) slot = (slot + 1) & mask;
                if (!used[slot]) {
                    if (++size > cap) return false;
                    used[slot] = true;
                    keys[slot] = bits;
                }
                counts[slot]++;
            }
            return true;
        }

        /** The sorted distinct values with their counts (only while within the cap). */
        KMeans1D.WeightedValues values() {
            float[] values = new float[size];
            int m = 0;
            for (int s = 0; s < used.length; s++) if (used[s]) values[m++] = Float.intBitsToFloat(keys[s]);
            Arrays.sort(values);
            double[] x = new double[size];
            double[] w = new double[size];
            for (int i = 0; i < size; i++) {
                int bits = Float.floatToRawIntBits(values[i]);
                int slot = (bits * 0x9E3779B9) >>> shift;
                while (!used[slot] || keys[slot] != bits) slot = (slot + 1) & mask;
                x[i] = values[i];
                w[i] = counts[slot];
            }
            return new KMeans1D.WeightedValues(x, w);
        }
    }

    /**
     * Writes the cluster of every sample to {@code labels} and returns the SSE to the centres. A
     * table gives the cluster of every bin that lies inside one cluster; samples of the few bins a
     * boundary cuts fall back to a binary search. The SSE is summed per fixed chunk of samples and
     * the chunk sums in order, so it does not depend on the thread count.
     */
    static double label(float[] data, int n, KMeans1D.Clustering c, int[] labels, ExecutorService executor) {
        Table table = n >= (1 << 16) && c.clusters() <= 256 ? new Table(c) : null;
        double[] centres = c.centres();
        int chunks = (n + CHUNK - 1) / CHUNK;
        double[] sums = new double[chunks];
        int tasks = tasks(n, executor);
        List<Callable<Object>> work = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            int fromChunk = (int) ((long) chunks * t / tasks);
            int toChunk = (int) ((long) chunks * (t + 1) / tasks);
            work.add(() -> {
                for (int ch = fromChunk; ch < toChunk; ch++) {
                    int end = Math.min(n, (ch + 1) * CHUNK);
                    double sse = 0;
                    for (int i = ch * CHUNK; i < end; i++) {
                        float v = data[i];
                        int label = table != null ? table.of(v, c) : c.clusterOf(v);
                        labels[i] = label;
                        double d = v - centres[label];
                        sse += d * d;
                    }
                    sums[ch] = sse;
                }
                return null;
            });
        }
        run(work, executor);
        double sse = 0;
        for (double s : sums) sse += s;
        return sse;
    }

    /** The cluster of every bin that lies inside one cluster, and a bit for each bin a boundary cuts. */
    static final class Table {
        final byte[] cluster = new byte[BINS];
        final long[] split = new long[BINS / 64];

        Table(KMeans1D.Clustering c) {
            double[] upper = c.upperBounds();
            int last = c.clusters() - 1;
            int k = 0;
            for (int b = 0; b < BINS; b++) {
                float lo = lowest(b);
                float hi = highest(b);
                boolean inside = false;
                if (!Float.isNaN(lo) && !Float.isNaN(hi)) {
                    while (k < last && upper[k] < lo) k++;
                    inside = k == last || hi <= upper[k];
                }
                if (inside) cluster[b] = (byte) k;
                else split[b >>> 6] |= 1L << b;
            }
        }

        /** The cluster of {@code v}: from the table, or where a boundary cuts its bin, {@code c}'s search. */
        int of(float v, KMeans1D.Clustering c) {
            int b = bin(v);
            return (split[b >>> 6] & (1L << b)) == 0 ? cluster[b] & 0xFF : c.clusterOf(v);
        }
    }

    /** How many tasks to split n samples into (the result never depends on it). */
    private static int tasks(int n, ExecutorService executor) {
        if (executor == null) return 1;
        int cpus = Runtime.getRuntime().availableProcessors();
        return (int) Math.max(1, Math.min(Math.min(cpus, 8), n / (1L << 18)));
    }

    static <T> List<T> run(List<Callable<T>> tasks, ExecutorService executor) {
        List<T> out = new ArrayList<>(tasks.size());
        try {
            if (executor == null || tasks.size() == 1) {
                for (Callable<T> t : tasks) out.add(t.call());
                return out;
            }
            for (Future<T> f : executor.invokeAll(tasks)) out.add(f.get());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("k-means: interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) throw (RuntimeException) cause;
            if (cause instanceof Error) throw (Error) cause;
            throw new IllegalStateException("k-means: " + cause.getMessage(), cause);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("k-means: " + e.getMessage(), e);
        }
    }
}
