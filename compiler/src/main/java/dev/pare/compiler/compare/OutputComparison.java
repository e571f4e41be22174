package dev.pare.compiler.compare;

import java.util.List;

/**
 * How one output of model B differs from model A over all samples.
 *
 * @param nameA the output's name in model A
 * @param nameB the matching output of model B (the same unless matched by position)
 * @param shape the output's shape in the first sample
 * @param snrDb signal-to-noise ratio of B against A in dB over all values; +Infinity if identical
 * @param cosine mean over samples of the cosine similarity of the flattened outputs
 * @param maxAbsA the largest magnitude of model A's finite values (the scale for a relative error)
 * @param nonFinite positions where one model gave NaN or an infinity and the other did not agree
 * @param classification top-k agreement and accuracy when the output holds class scores, else null
 */
public record OutputComparison(String nameA, String nameB, String dtype, List<Long> shape, int samples, long elements,
        double snrDb, double cosine, double maxAbsError, double meanAbsError, double maxAbsA, long nonFinite,
        Classification classification) {

    /**
     * @param rows class-score rows compared (N per sample for {@code [N, C]})
     * @param top1Agreement fraction of rows where both models pick the same class
     * @param top5Agreement fraction of rows where B's class is among A's five best; null for C <= 5
     * @param labeled rows with a label (0 without labels, or when a sample has more than one row)
     * @param accuracyA model A's top-1 accuracy against the labels, or null
     */
    public record Classification(int classes, long rows, double top1Agreement, Double top5Agreement, long labeled,
            Double accuracyA, Double accuracyB) {}
}
