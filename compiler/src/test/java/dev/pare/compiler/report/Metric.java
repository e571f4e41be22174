package dev.pare.compiler.report;

import java.util.Locale;

/** One measured quality number of a model's outputs, with how the table prints it. */
record Metric(String name, double value, Kind kind) {

    /** How a metric is printed. */
    enum Kind {
        /** A fraction printed with four decimals (accuracy). */
        FRACTION,
        /** A fraction printed as a percentage with one decimal (agreement). */
        PERCENT,
        /** A cosine printed with five decimals. */
        COSINE
    }

    String formatted() {
        if (Double.isNaN(value)) return "NaN";
        if (kind == Kind.PERCENT) return String.format(Locale.ROOT, "%.1f%%", value * 100);
        if (kind == Kind.COSINE) return String.format(Locale.ROOT, "%.5f", value);
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
