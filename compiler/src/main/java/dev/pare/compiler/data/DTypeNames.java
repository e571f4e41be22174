package dev.pare.compiler.data;

import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.TensorType;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/** The numpy-style names used in data messages: {@code float32 [1,1,28,28]}. */
public final class DTypeNames {

    private DTypeNames() {}

    public static String name(DType d) {
        return switch (d) {
            case FLOAT32 -> "float32";
            case FLOAT64 -> "float64";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            default -> d.name().toLowerCase(Locale.ROOT);
        };
    }

    public static String describe(DType d, long[] shape) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (long s : shape) j.add(Long.toString(s));
        return name(d) + " " + j;
    }

    /** A model input's type; symbolic dims by name, unknown ones as {@code ?}. */
    public static String describe(TensorType t) {
        if (!t.hasRank()) return name(t.dtype()) + " [*]";
        StringJoiner j = new StringJoiner(",", "[", "]");
        List<Dim> dims = t.dims();
        for (Dim d : dims) j.add(d.toString());
        return name(t.dtype()) + " " + j;
    }
}
