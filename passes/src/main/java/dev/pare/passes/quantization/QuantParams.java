package dev.pare.passes.quantization;

/**
 * Scale and zero point of one activation tensor from its calibrated range, as ONNX Runtime's
 * {@code compute_scale_zp}: the range is widened to include 0 (so 0 is exact); symmetric int8 uses
 * [-127, 127] with zero point 0, symmetric uint8 zero point 128; asymmetric uses the whole code range.
 * An empty range (all zeros) gets scale 1.
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

    static QuantParams of(double rmin, double rmax, boolean signed, boolean symmetric) {
        rmin = Math.min(rmin, 0);
        rmax = Math.max(rmax, 0);
        int qmin = signed ? -128 : 0;
        int qmax = signed ? 127 : 255;
        if (symmetric) {
            double abs = Math.max(Math.abs(rmin), Math.abs(rmax));
            if (signed) {
                qmin = -127;
                rmin = -abs;
                rmax = abs;
            } else {
                rmin = -abs;
                rmax = abs;
            }
        }
        float scale = (float) ((rmax - rmin) / (qmax - qmin));
        if (!(scale > 0) || !Float.isFinite(scale)) {
            return new QuantParams(1f, symmetric ? (signed ? 0 : 128) : qmin);
        }
        if (symmetric) return new QuantParams(scale, signed ? 0 : 128);
        long zp = Math.round(qmin - rmin / scale);
        return new QuantParams(scale, (int) Math.max(qmin, Math.min(qmax, zp)));
    }
}
