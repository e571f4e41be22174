package dev.pare.compiler.compare;

/** The error measures of {@code pare compare}, as pure functions. */
public final class Metrics {

    private Metrics() {}

    /**
     * Signal-to-noise ratio in dB: {@code 10 log10(sum a^2 / sum (a-b)^2)}, with model A as the
     * signal. No noise is {@code +Infinity} (identical outputs, zeros included); noise over a zero
     * signal is {@code -Infinity}.
     */
    public static double snrDb(double signalPower, double noisePower) {
        if (noisePower == 0) return Double.POSITIVE_INFINITY;
        if (signalPower == 0) return Double.NEGATIVE_INFINITY;
        return 10 * Math.log10(signalPower / noisePower);
    }

    /**
     * Cosine similarity from the dot product and the squared norms, clamped to [-1, 1]. Two zero
     * vectors are the same direction (1); a zero vector against a non-zero one is 0.
     */
    public static double cosine(double dot, double normA2, double normB2) {
        if (normA2 == 0 && normB2 == 0) return 1;
        if (normA2 == 0 || normB2 == 0) return 0;
        double c = dot / (Math.sqrt(normA2) * Math.sqrt(normB2));
        return Math.max(-1, Math.min(1, c));
    }

    /** Cosine similarity of two equally long vectors. */
    public static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return cosine(dot, na, nb);
    }

    /** SNR in dB of {@code b} against {@code a}. */
    public static double snrDb(double[] a, double[] b) {
        double s = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * a[i];
            double d = a[i] - b[i];
            n += d * d;
        }
        return snrDb(s, n);
    }

    /** The index of the largest of {@code row[from, from+length)}, relative to {@code from}; the first on ties. */
    public static int argmax(double[] row, int from, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) if (row[from + i] > row[from + best]) best = i;
        return best;
    }

    /**
     * Whether class {@code c} is among the {@code k} largest of {@code row[from, from+length)}: fewer
     * than {@code k} classes score strictly higher, or equal with a lower index (the order
     * {@link #argmax} uses).
     */
    public static boolean inTopK(double[] row, int from, int length, int c, int k) {
        double v = row[from + c];
        int ahead = 0;
        for (int i = 0; i < length; i++) {
            double x = row[from + i];
            if (x > v || (x == v && i < c)) ahead++;
        }
        return ahead < k;
    }
}
