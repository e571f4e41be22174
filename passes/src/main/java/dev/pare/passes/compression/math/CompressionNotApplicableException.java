package dev.pare.passes.compression.math;

/**
 * The options are valid but cannot be applied to this particular weight (for example the channel
 * count is not divisible by the group size). Core ML Tools skips such weights with a warning; a
 * pass can catch this subtype to do the same, or let it propagate as a bad-argument error.
 */
public final class CompressionNotApplicableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public CompressionNotApplicableException(String message) {
        super(message);
    }
}
