package dev.pare.compiler.analyze;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size target for the compressible weights ({@link CompressibleWeights}): bits per weight, bytes,
 * or a fraction of their current bytes. Exactly one is set.
 *
 * @param bitsPerWeight average bits per weight, if that is the target
 * @param bytes         total bytes, if that is the target
 * @param ratio         fraction of the current bytes, if that is the target
 */
public record Budget(Double bitsPerWeight, Long bytes, Double ratio) {

    public Budget {
        int set = (bitsPerWeight != null ? 1 : 0) + (bytes != null ? 1 : 0) + (ratio != null ? 1 : 0);
        if (set != 1) throw new IllegalArgumentException("give exactly one of bits per weight, bytes or ratio");
    }

    public static Budget bits(double b) { return new Budget(b, null, null); }

    public static Budget ofBytes(long b) { return new Budget(null, b, null); }

    public static Budget ofRatio(double r) { return new Budget(null, null, r); }

    /** The byte budget for weights of {@code elements} elements now stored in {@code storedBytes} bytes (rounded down). */
    public long resolve(long elements, long storedBytes) {
        if (bitsPerWeight != null) return (long) Math.floor(bitsPerWeight * elements / 8.0);
        if (bytes != null) return bytes;
        return (long) Math.floor(ratio * storedBytes);
    }

    /** The option that says it, e.g. {@code target_bits_per_weight=2.5}, for messages. */
    public String option() {
        if (bitsPerWeight != null) return "target_bits_per_weight=" + plain(bitsPerWeight);
        if (bytes != null) return "target_bytes=" + bytes;
        return "target_ratio=" + plain(ratio);
    }

    /** The pipeline step that plans to this budget: {@code mixed_precision{target_bits_per_weight=2.5}}. */
    public String step() { return "mixed_precision{" + option() + "}"; }

    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(B|KB|KiB|MB|MiB|GB|GiB|%)?", Pattern.CASE_INSENSITIVE);

    /**
     * {@code --budget} text: a plain number is bits per weight ({@code 2.5}); with {@code %} a ratio
     * of the current size ({@code 20%}); with a unit a size ({@code 180000B}, {@code 170KiB},
     * {@code 12MB}: KB/MB/GB decimal, KiB/MiB/GiB binary).
     */
    public static Budget parse(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not bits per weight (2.5), a size (170KiB, 180000B) or a ratio (20%)");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        if (v <= 0) throw new IllegalArgumentException("'" + text + "' must be more than 0");
        return switch (unit) {
            case "" -> bits(v);
            case "%" -> {
                if (v > 100) throw new IllegalArgumentException("'" + text + "' is more than 100%");
                yield ofRatio(v / 100);
            }
            default -> ofBytes((long) Math.floor(v * switch (unit) {
                case "kb" -> 1e3;
                case "kib" -> 1024.0;
                case "mb" -> 1e6;
                case "mib" -> 1024.0 * 1024;
                case "gb" -> 1e9;
                case "gib" -> 1024.0 * 1024 * 1024;
                default -> 1.0;
            }));
        };
    }

    private static String plain(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
