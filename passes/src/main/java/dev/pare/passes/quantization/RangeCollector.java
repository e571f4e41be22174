package dev.pare.passes.quantization;

import java.nio.FloatBuffer;

/**
 * Streaming statistics of one activation tensor over calibration samples: the running minimum and
 * maximum and, when asked, a fixed-size histogram (2048 bins, as ONNX Runtime's histogram
 * calibrators) over a range [-R, R] that doubles when a sample goes past it (each doubling merges
 * neighbouring bins exactly, so no count moves to a wrong bin). Memory is constant in the number of
 * samples. Non-finite values are ignored (the pass refuses or skips samples that hold them first).
 * Non-zero values are also counted by float32 exponent, for {@link #shareBelow} with any method.
 */
final class RangeCollector {

    static final int BINS = 2048;
    private static final int HALF = BINS / 2;

    private final long[] histogram;
    /** Non-zero finite values by float32 exponent field: cheap enough for every method, enough to see an outlier. */
    private final long[] byExponent = new long[256];
    private double halfRange; // R; 0 until the first non-zero value
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    private long zeros; // exact zeros are kept out of the bins (see entropyThreshold)

    /** {@code withHistogram}: keep the histogram too (percentile and entropy need it). */
    RangeCollector(boolean withHistogram) {
        this.histogram = withHistogram ? new long[BINS] : null;
    }

    long count() { return count; }

    /** The histogram's half range R (bins cover [-R, R]); 0 before the first non-zero value. */
    double halfRange() { return halfRange; }

    /** A copy of the bin counts. */
    long[] histogram() {
        requireHistogram();
        return histogram.clone();
    }

    double min() { return min; }

    double max() { return max; }

    void add(FloatBuffer values) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        int n = values.remaining();
        int start = values.position();
        for (int i = 0; i < n; i++) {
            float v = values.get(start + i);
            if (v < lo) lo = v;
            if (v > hi) hi = v; // NaN compares false and is skipped; infinities are filtered below
            if (v != 0) byExponent[(Float.floatToRawIntBits(v) >>> 23) & 0xFF]++; // NaN and infinities: 255, never read
        }
        if (lo == Float.POSITIVE_INFINITY) return; // empty or all NaN
        if (Float.isInfinite(lo) || Float.isInfinite(hi)) {
            lo = Float.POSITIVE_INFINITY;
            hi = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                float v = values.get(start + i);
                if (!Float.isFinite(v)) continue;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (lo == Float.POSITIVE_INFINITY) return;
        }
        min = Math.min(min, lo);
        max = Math.max(max, hi);
        if (histogram == null) {
            count += n;
            return;
        }
        double abs = Math.max(Math.abs((double) lo), Math.abs((double) hi));
        if (halfRange == 0) {
            halfRange = abs > 0 ? abs : Double.MIN_NORMAL;
        }
        while (abs > halfRange) grow();
        double perBin = BINS / (2 * halfRange);
        double r = halfRange;
        long added = 0;
        for (int i = 0; i < n; i++) {
            float v = values.get(start + i);
            if (!Float.isFinite(v)) continue;
            added++;
            if (v == 0) {
                zeros++;
                continue;
            }
            int bin = (int) ((v + r) * perBin);
            histogram[bin < 0 ? 0 : bin >= BINS ? BINS - 1 : bin]++;
        }
        count += added;
    }

    /**
     * The share of the non-zero values whose magnitude is below {@code bound}, counting only the
     * values whose power-of-two bracket [2^e, 2^(e+1)) lies wholly below it (so never more than the
     * true share, and at least the share below {@code bound / 2}); 0 when there are none. With half
     * an int8 step as the bound, it is the share of values the quantized tensor turns into 0.
     */
    double shareBelow(double bound) {
        long nonZero = 0;
        long below = 0;
        for (int e = 0; e < 255; e++) {
            nonZero += byExponent[e];
            // exponent field e (1..254) holds [2^(e-127), 2^(e-126)); 0 holds the subnormals, below 2^-126
            if (Math.scalb(1.0, e - 126) <= bound) below += byExponent[e];
        }
        return nonZero == 0 ? 0 : (double) below / nonZero;
    }

    /** Doubles R: old bin i lies in new bin BINS/4 + i/2 (BINS/2 is even, so bins pair up exactly). */
    private void grow() {
        long[] merged = new long[BINS];
        for (int i = 0; i < BINS; i++) merged[BINS / 4 + i / 2] += histogram[i];
        System.arraycopy(merged, 0, histogram, 0, BINS);
        halfRange *= 2;
    }

    /** |x| counts: bin j covers [j, j+1) * R / HALF; exact zeros in bin 0 when {@code withZeros}. */
    private long[] folded(boolean withZeros) {
        long[] a = new long[HALF];
        for (int j = 0; j < HALF; j++) a[j] = histogram[HALF + j] + histogram[HALF - 1 - j];
        if (withZeros) a[0] += zeros;
        return a;
    }

    /**
     * The range [lo, hi] holding {@code percentile}% of the values: symmetric = the percentile of |x|
     * as [-t, t]; otherwise (100 - p)% of the values lie below lo and (100 - p)% above hi. Always
     * within the observed min and max.
     */
    double[] percentileRange(double percentile, boolean symmetric) {
        requireHistogram();
        double fraction = percentile / 100.0;
        if (count == 0) return new double[] {0, 0};
        if (symmetric) {
            long[] a = folded(true);
            double width = halfRange / HALF;
            double t = halfRange;
            long cumulative = 0;
            for (int j = 0; j < HALF; j++) {
                cumulative += a[j];
                if (cumulative >= fraction * count) {
                    t = (j + 1) * width;
                    break;
                }
            }
            t = Math.min(t, Math.max(Math.abs(min), Math.abs(max)));
            return new double[] {-t, t};
        }
        double width = 2 * halfRange / BINS;
        double lo = min;
        double hi = max;
        long cumulative = 0;
        boolean loSet = false;
        for (int i = 0; i < BINS; i++) {
            cumulative += histogram[i] + (i == HALF ? zeros : 0);
            if (!loSet && cumulative > (1 - fraction) * count) {
                lo = -halfRange + i * width;
                loSet = true;
            }
            if (cumulative >= fraction * count) {
                hi = -halfRange + (i + 1) * width;
                break;
            }
        }
        return new double[] {Math.max(lo, min), Math.min(hi, max)};
    }

    /**
     * The clipping threshold T on |x| whose {@code levels}-bin quantization of the |x| histogram loses
     * the least information (smallest KL divergence between the clipped distribution P and its
     * quantized expansion Q; the search of TensorRT's "8-bit Inference with TensorRT", GTC 2017).
     * P is the histogram up to T with everything beyond T added to its last bin; Q merges the
     * histogram up to T (without that tail) into {@code levels} groups and spreads each group's count
     * evenly over the bins where P is non-zero; both are smoothed so that empty bins cost a finite amount. Exact
     * zeros (ReLU outputs, padding) are left out: they are exact at any threshold, and a spike at 0
     * would otherwise make the smallest threshold look best.
     */
    double entropyThreshold(int levels) {
        requireHistogram();
        long[] a = folded(false);
        double width = halfRange / HALF;
        double maxAbs = Math.max(Math.abs(min), Math.abs(max));
        if (count == zeros) return 0;
        long[] tail = new long[HALF + 1]; // tail[i] = sum a[i..]
        for (int j = HALF - 1; j >= 0; j--) tail[j] = tail[j + 1] + a[j];
        double best = Double.POSITIVE_INFINITY;
        int bestBins = HALF;
        double[] p = new double[HALF];
        double[] q = new double[HALF];
        for (int bins = levels; bins <= HALF; bins++) {
            for (int j = 0; j < bins; j++) p[j] = a[j];
            p[bins - 1] += tail[bins];
            double total = 0;
            for (int j = 0; j < bins; j++) total += p[j];
            if (total == 0) continue;
            // Q quantizes the clipped histogram without the outliers, so clipping costs KL divergence.
            double qTotal = 0;
            for (int g = 0; g < levels; g++) {
                int from = (int) ((long) g * bins / levels);
                int to = (int) ((long) (g + 1) * bins / levels);
                double sum = 0;
                int nonZero = 0;
                for (int j = from; j < to; j++) {
                    sum += a[j];
                    if (p[j] > 0) nonZero++;
                }
                for (int j = from; j < to; j++) q[j] = p[j] > 0 ? sum / nonZero : 0;
                qTotal += sum;
            }
            if (qTotal == 0) continue;
            smooth(p, bins);
            smooth(q, bins);
            double pSum = 0;
            double qSum = 0;
            for (int j = 0; j < bins; j++) {
                pSum += p[j];
                qSum += q[j];
            }
            double kl = 0;
            for (int j = 0; j < bins; j++) {
                if (p[j] > 0 && q[j] > 0) kl += p[j] / pSum * Math.log((p[j] / pSum) / (q[j] / qSum));
            }
            if (kl < best - 1e-12) {
                best = kl;
                bestBins = bins;
            }
        }
        return Math.min(bestBins * width, maxAbs);
    }

    /** Candidate ranges {@link #mseRange} tries: the observed range scaled by j / MSE_STEPS, j = 1..MSE_STEPS. */
    static final int MSE_STEPS = 512;

    /**
     * The range with the least expected squared quantization error over the histogram
     * ({@link #squaredError}): the observed range [min(min, 0), max(max, 0)] scaled toward 0 by
     * each of {@value #MSE_STEPS} factors j / {@value #MSE_STEPS}, each turned into the scale and
     * zero point the codes would get. On a tie the wider range wins, so clean data keeps its
     * min/max range.
     */
    double[] mseRange(boolean signed, boolean symmetric, boolean reduceRange) {
        requireHistogram();
        double lo = Math.min(min, 0);
        double hi = Math.max(max, 0);
        if (count == zeros) return new double[] {lo, hi};
        double best = Double.POSITIVE_INFINITY;
        int bestStep = MSE_STEPS;
        for (int j = MSE_STEPS; j >= 1; j--) {
            double f = j / (double) MSE_STEPS;
            double e = squaredError(QuantParams.of(f * lo, f * hi, signed, symmetric, reduceRange), signed, symmetric, reduceRange);
            if (e < best * (1 - 1e-9)) {
                best = e;
                bestStep = j;
            }
        }
        double f = bestStep / (double) MSE_STEPS;
        return new double[] {f * lo, f * hi};
    }

    /**
     * The expected squared error per value of quantizing the histogram with {@code p}: a value the
     * codes cover loses step^2 / 12 to rounding, a value outside loses its squared distance to the
     * nearest end (clipping); each bin counts as its centre, and exact zeros lose nothing.
     */
    double squaredError(QuantParams p, boolean signed, boolean symmetric, boolean reduceRange) {
        requireHistogram();
        if (count == 0) return 0;
        double lowest = p.lowest(signed, symmetric, reduceRange);
        double highest = p.highest(signed, reduceRange);
        double rounding = (double) p.scale() * p.scale() / 12;
        double width = 2 * halfRange / BINS;
        double sum = 0;
        for (int i = 0; i < BINS; i++) {
            if (histogram[i] == 0) continue;
            double centre = -halfRange + (i + 0.5) * width;
            double e = centre < lowest ? (centre - lowest) * (centre - lowest)
                    : centre > highest ? (centre - highest) * (centre - highest) : rounding;
            sum += histogram[i] * e;
        }
        return sum / count;
    }

    /**
     * Moves a little mass (1e-4 of a count per empty bin) from the non-empty bins to the empty ones,
     * so that a bin where P has counts and Q has none costs a large but finite divergence (the
     * smoothing of the reference implementations).
     */
    private static void smooth(double[] h, int n) {
        final double eps = 1e-4;
        int zeros = 0;
        for (int j = 0; j < n; j++) if (h[j] == 0) zeros++;
        if (zeros == 0 || zeros == n) return;
        double take = eps * zeros / (n - zeros);
        for (int j = 0; j < n; j++) h[j] = h[j] == 0 ? eps : h[j] - take;
    }

    private void requireHistogram() {
        if (histogram == null) throw new IllegalStateException("this collector keeps no histogram");
    }
}
