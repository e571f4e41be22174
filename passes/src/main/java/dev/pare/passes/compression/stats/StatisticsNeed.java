package dev.pare.passes.compression.stats;

/**
 * What a compression pass needs from calibration data for its options (see
 * {@code WeightCompressionPass#statisticsNeed}).
 *
 * @param secondMoment the layer input's second moment H = E[x xᵀ] (d × d per group)
 * @param means        the layer's input mean (per H column) and output mean (per output channel)
 * @param calibration  one calibration run on the float model, or one per stage of layers with
 *                     the earlier ones compressed
 */
public record StatisticsNeed(boolean secondMoment, boolean means, Calibration calibration) {

    /** Nothing: the pass runs without calibration data. */
    public static final StatisticsNeed NONE = new StatisticsNeed(false, false, Calibration.ONE_SHOT);

    public StatisticsNeed {
        if (calibration == null) throw new IllegalArgumentException("calibration is required");
    }

    /** Whether anything is needed (the pass then requires {@code --calibration-data}). */
    public boolean any() {
        return secondMoment || means;
    }

    /** Both needs together (what two consumers of the same run need), the stricter calibration mode. */
    public StatisticsNeed and(StatisticsNeed other) {
        return new StatisticsNeed(secondMoment || other.secondMoment, means || other.means,
                calibration == Calibration.SEQUENTIAL || other.calibration == Calibration.SEQUENTIAL
                        ? Calibration.SEQUENTIAL : Calibration.ONE_SHOT);
    }
}
