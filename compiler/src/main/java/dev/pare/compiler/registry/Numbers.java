package dev.pare.compiler.registry;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Canonical text for floating-point option values: the fewest significant digits that parse back
 * to the same value (Java 17's {@code Double.toString} is not always shortest), written plainly for
 * moderate magnitudes ({@code 0.25}, {@code 3.0}) and in scientific form otherwise ({@code 1.0e-12}).
 */
public final class Numbers {

    private Numbers() {}

    public static String shortestDouble(double v) {
        if (Double.isNaN(v)) return "nan";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(v);
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (Double.parseDouble(r.toString()) == v) return format(r);
        }
        return format(exact.round(new MathContext(17, RoundingMode.HALF_EVEN)));
    }

    public static String shortestFloat(float v) {
        if (Float.isNaN(v)) return "nan";
        if (Float.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal((double) v);
        for (int p = 1; p <= 9; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (Float.parseFloat(r.toString()) == v) return format(r);
        }
        return format(exact.round(new MathContext(9, RoundingMode.HALF_EVEN)));
    }

    private static String format(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        int exponent = s.precision() - s.scale() - 1; // power of ten of the leading digit
        if (exponent >= -5 && exponent < 7) {
            String plain = s.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = s.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits + ".0" : digits.charAt(0) + "." + digits.substring(1);
        return (s.signum() < 0 ? "-" : "") + mantissa + "e" + exponent;
    }
}
