package dev.pare.passes.quantization;

/**
 * Scale and zero point of one activation tensor from its calibrated range, as ONNX Runtime's
 * {@code compute_scale_zp}: the range is widened to include 0 (so 0 is exact); symmetric int8 uses
 * [-127, 127] with zero point 0, symmetric uint8 zero point 128; asymmetric uses the whole code range.
 * An empty range (all zeros) gets scale 1. With {@code reduceRange} the codes use 7 bits: int8
 * [-64, 63] (symmetric [-63, 63]), uint8 [0, 127] (symmetric zero point 64).
 *
 * @param scale     float32 scale, &gt; 0
 * @param zeroPoint the code of 0.0, within the dtype's range
 */
record QuantParams(float scale, int zeroPoint) {

    /**
     * Why float32 cannot carry the range [rmin, rmax] as int8/uint8 codes, or null: the width of the
     * range (widened to 0, and made symmetric when asked) overflows float32 as the runtimes compute
     * it, or its step (the scale) overflows or underflows to 0.
     */
    static String overflow(double rmin, double rmax, boolean symmetric) {
        float lo = (float) Math.min(rmin, 0);
        float hi = (float) Math.max(rmax, 0);
        if (!Float.isFinite(lo) || !Float.isFinite(hi)) return "it is not finite in float32";
        float abs = Math.max(-lo, hi);
        float width = symmetric ? 2 * abs : hi - lo;
        if (!Float.isFinite(width)) return "its width overflows float32";
        if (width > 0 && !(width / 255f > 0)) return "its int8 step underflows float32";
        return null;
    }

    /** The smallest code: -128 signed (-127 symmetric), 0 unsigned; half that with {@code reduceRange}. */
    static int qmin(boolean signed, boolean symmetric, boolean reduceRange) {
        if (!signed) return 0;
        int q = reduceRange ? -64 : -128;
        return symmetric ? q + 1 : q;
    }

    /** The largest code: 127 signed, 255 unsigned; 63 and 127 with {@code reduceRange}. */
    static int qmax(boolean signed, boolean reduceRange) {
        if (signed) return reduceRange ? 63 : 127;
        return reduceRange ? 127 : 255;
    }

    /** The lowest value the codes represent: {@code (qmin - zeroPoint) * scale}. */
    double lowest(boolean signed, boolean symmetric, boolean reduceRange) {
        return (qmin(signed, symmetric, reduceRange) - (double) zeroPoint) * scale;
    }

    /** The highest value the codes represent: {@code (qmax - zeroPoint) * scale}. */
    double highest(boolean signed, boolean reduceRange) {
        return (qmax(signed, reduceRange) - (double) zeroPoint) * scale;
    }

    static QuantParams of(double rmin, double rmax, boolean signed, boolean symmetric) {
        return of(rmin, rmax, signed, symmetric, false);
    }

    static QuantParams of(double rmin, double rmax, boolean signed, boolean symmetric, boolean reduceRange) {
        rmin = Math.min(rmin, 0);
        rmax = Math.max(rmax, 0);
        int qmin = qmin(signed, symmetric, reduceRange);
        int qmax = qmax(signed, reduceRange);
        int symmetricZero = signed ? 0 : (qmax + 1) / 2;
        if (symmetric) {
            double abs = Math.max(Math.abs(rmin), Math.abs(rmax));
            rmin = -abs;
            rmax = abs;
        }
        float scale = (float) ((rmax - rmin) / (qmax - qmin));
        if (!(scale > 0) || !Float.isFinite(scale)) {
            return new QuantParams(1f, symmetric ? symmetricZero : qmin);
        }
        if (symmetric) return new QuantParams(scale, symmetricZero);
        long zp = Math.round(qmin - rmin / scale);
        return new QuantParams(scale, (int) Math.max(qmin, Math.min(qmax, zp)));
    }
}
