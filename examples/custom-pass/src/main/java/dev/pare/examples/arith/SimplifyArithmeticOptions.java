package dev.pare.examples.arith;

import dev.pare.spi.Option;

/** Options of {@code simplify_arithmetic}: which identities to remove. */
public record SimplifyArithmeticOptions(
        @Option(help = "remove Mul by a constant one") boolean mul,
        @Option(help = "remove Div by a constant one") boolean div,
        @Option(help = "remove Sub of a constant zero") boolean sub,
        @Option(help = "remove Add of a constant zero (integers, and floats only when the zero is -0.0)") boolean add) {

    public static final SimplifyArithmeticOptions DEFAULTS = new SimplifyArithmeticOptions(true, true, true, true);
}
