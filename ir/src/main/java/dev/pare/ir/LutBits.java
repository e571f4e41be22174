package dev.pare.ir;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The LUT index widths of {@code pare.lut_to_dense} (ir/PARE_DIALECT.md): the one place that knows
 * which {@code nbits} exist. Option validation, the palettization math, the verifier, the reference
 * evaluator and the Core ML / ONNX lowerings all ask here. The widths are those Core ML's
 * {@code constexpr_lut_to_dense} accepts; a LUT of width {@code nbits} holds {@code 2^nbits} entries.
 */
public final class LutBits {

    /** The index types in increasing width; their {@link DType#bits()} are the valid nbits. */
    private static final List<DType> INDEX_TYPES =
            List.of(DType.UINT1, DType.UINT2, DType.UINT3, DType.UINT4, DType.UINT6, DType.UINT8);

    private LutBits() {}

    /** Whether {@code nbits} is a valid index width. */
    public static boolean isValid(long nbits) {
        return indexTypeOf(nbits).isPresent();
    }

    /** Whether {@code dtype} is a LUT index type ({@code u1} … {@code u8}). */
    public static boolean isIndexType(DType dtype) {
        return INDEX_TYPES.contains(dtype);
    }

    /** The index types, as a set for type checks. */
    public static Set<DType> indexTypes() {
        return EnumSet.copyOf(INDEX_TYPES);
    }

    /** The valid widths in increasing order. */
    public static int[] widths() {
        return INDEX_TYPES.stream().mapToInt(DType::bits).toArray();
    }

    /** The largest width; a LUT holds at most {@code 2^max()} entries. */
    public static int max() {
        return INDEX_TYPES.get(INDEX_TYPES.size() - 1).bits();
    }

    /** The index type of width {@code nbits}, if valid. */
    public static Optional<DType> indexTypeOf(long nbits) {
        return INDEX_TYPES.stream().filter(d -> d.bits() == nbits).findFirst();
    }

    /** The index type whose LUT holds exactly {@code entries} entries, if any. */
    public static Optional<DType> forPaletteSize(long entries) {
        return INDEX_TYPES.stream().filter(d -> 1L << d.bits() == entries).findFirst();
    }

    /** The smallest width whose LUT holds {@code entries} entries, if any does. */
    public static Optional<Integer> smallestFitting(long entries) {
        return INDEX_TYPES.stream().map(DType::bits).filter(b -> entries <= 1L << b).findFirst();
    }

    /** The widths for messages: {@code 1, 2, 3, 4, 6, 8}. */
    public static String describe() {
        return INDEX_TYPES.stream().map(d -> Integer.toString(d.bits())).collect(Collectors.joining(", "));
    }

    /** The index types for messages: {@code u1, u2, u3, u4, u6 or u8}. */
    public static String describeTypes() {
        List<String> names = INDEX_TYPES.stream().map(DType::shortName).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
