package dev.pare.compiler.report;

/** Signal-to-noise ratio and cosine similarity between a reference output and a compressed one. */
final class Signal {

    private Signal() {}

    /**
     * SNR in dB of {@code test} against {@code reference}: 10·log10(Σref² / Σ(ref−test)²); positive
     * infinity when they are equal.
     */
    static double snrDb(float[] reference, float[] test) {
        if (reference.length != test.length) {
            throw new IllegalArgumentException("outputs differ in size: " + reference.length + " vs " + test.length);
        }
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double d = r - test[i];
            signal += r * r;
            noise += d * d;
        }
        return snrDb(signal, noise);
    }

    /** SNR in dB from accumulated energies; NaN noise (a NaN output) gives NaN. */
    static double snrDb(double signalEnergy, double noiseEnergy) {
        if (Double.isNaN(noiseEnergy)) return Double.NaN;
        if (noiseEnergy == 0) return Double.POSITIVE_INFINITY;
        return 10 * Math.log10(signalEnergy / noiseEnergy);
    }

    /** Cosine of the angle between {@code a} and {@code b}. */
    static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Index of the largest of {@code length} values from {@code offset}. */
    static int argmax(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) if (values[offset + i] > values[offset + best]) best = i;
        return best;
    }
}
