package dev.pare.compiler.compare;

import java.util.Arrays;

/**
 * Accumulates the comparison of one output over all samples, without keeping the outputs: sums for
 * SNR and mean error, the largest error, per-sample cosine similarity, and for class scores
 * ({@code [N, C]} or {@code [C]}, C >= 2; the last axis holds the classes) top-1/top-5 agreement and
 * each model's accuracy against the labels. Positions where either value is NaN or infinite are
 * counted and left out of the sums, unless both models agree exactly.
 */
final class OutputStats {

    static final int TOP_K = 5;

    private final String nameA;
    private final String nameB;
    private String dtype;
    private long[] shape;
    private long elements;
    private int samples;
    private double signal;
    private double noise;
    private double absSum;
    private double maxAbs;
    private double maxAbsA;
    private double cosineSum;
    private long nonFinite;
    private boolean classScores = true;
    private int classes = -1;
    private long rows;
    private long top1;
    private long top5;
    private long labeled;
    private long correctA;
    private long correctB;

    OutputStats(String nameA, String nameB) {
        this.nameA = nameA;
        this.nameB = nameB;
    }

    /**
     * Adds one sample's outputs (same shape; checked by the caller).
     *
     * @param label the sample's class label, or -1 when there are none
     */
    void add(double[] a, double[] b, long[] outShape, String outDtype, int label) {
        if (shape == null) {
            shape = outShape.clone();
            dtype = outDtype;
        }
        samples++;
        elements += a.length;
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            double x = a[i];
            double y = b[i];
            if (!Double.isFinite(x) || !Double.isFinite(y)) {
                if (Double.compare(x, y) != 0) nonFinite++;
                continue;
            }
            double d = Math.abs(x - y);
            signal += x * x;
            noise += d * d;
            absSum += d;
            if (d > maxAbs) maxAbs = d;
            if (Math.abs(x) > maxAbsA) maxAbsA = Math.abs(x);
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        cosineSum += Metrics.cosine(dot, na, nb);
        addClasses(a, b, outShape, label);
    }

    private void addClasses(double[] a, double[] b, long[] outShape, int label) {
        boolean scores = (outShape.length == 1 || outShape.length == 2) && outShape[outShape.length - 1] >= 2;
        int c = scores ? (int) outShape[outShape.length - 1] : -1;
        if (!scores || (classes >= 0 && c != classes)) {
            classScores = false;
            return;
        }
        classes = c;
        int n = a.length / c;
        for (int r = 0; r < n; r++) {
            int ta = Metrics.argmax(a, r * c, c);
            int tb = Metrics.argmax(b, r * c, c);
            rows++;
            if (ta == tb) top1++;
            // B's top class among A's five best, as top-5 accuracy with A's top class as the label
            if (Metrics.inTopK(a, r * c, c, tb, TOP_K)) top5++;
            if (label >= 0 && n == 1) {
                labeled++;
                if (ta == label) correctA++;
                if (tb == label) correctB++;
            }
        }
    }

    OutputComparison result() {
        double mean = elements - nonFinite == 0 ? 0 : absSum / (elements - nonFinite);
        OutputComparison.Classification cls = null;
        if (classScores && classes >= 2 && rows > 0) {
            cls = new OutputComparison.Classification(classes, rows, (double) top1 / rows,
                    classes > TOP_K ? (double) top5 / rows : null,
                    labeled == rows ? labeled : 0,
                    labeled == rows ? (double) correctA / labeled : null,
                    labeled == rows ? (double) correctB / labeled : null);
        }
        return new OutputComparison(nameA, nameB, dtype, shape == null ? java.util.List.of() : Arrays.stream(shape).boxed().toList(),
                samples, elements, Metrics.snrDb(signal, noise), samples == 0 ? 1 : cosineSum / samples, maxAbs, mean,
                maxAbsA, nonFinite, cls);
    }
}
