package dev.pare.spi;

/**
 * How passes that calibrate on sample data treat samples holding NaN or infinity (in an input, or
 * at a tensor the model computes from them). Bound by the compiler ({@code --skip-nonfinite-samples}
 * of {@code pare compile}); passes read it with {@code context.service(CalibrationPolicy.class)}
 * and fall back to {@link #DEFAULT}.
 *
 * @param skipNonFiniteSamples true: leave such samples out and say how many in one warning;
 *                             false: fail on the first one, naming it
 */
public record CalibrationPolicy(boolean skipNonFiniteSamples) {

    /** Non-finite samples are an error. */
    public static final CalibrationPolicy DEFAULT = new CalibrationPolicy(false);
}
