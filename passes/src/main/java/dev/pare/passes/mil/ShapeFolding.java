package dev.pare.passes.mil;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Folds the shape-arithmetic ops that {@code const_folding} leaves alone (ConstFolding's list is
 * its own) when their operands are constants: exporters compute pads, sizes and repeats with Mod,
 * Max, Min, Neg, comparisons, Transpose, Tile and integer reductions, and once
 * {@code --input-shape} makes the Shape ops constant these must fold too, or a Pad or Resize would
 * see a computed operand. Only int32 / int64 / float32 / bool tensors, results small enough.
 */
final class ShapeFolding {

    private ShapeFolding() {}

    private static final Set<String> BINARY = Set.of("Mod", "Max", "Min", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
            "And", "Or", "Xor");
    private static final Set<String> UNARY = Set.of("Neg", "Abs", "Floor", "Ceil", "Not", "Sqrt");
    private static final Set<String> REDUCE = Set.of("ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin");

    /** The folded value of {@code n}, or null when it is not one of these ops on constants. */
    static TensorData fold(Node n, long maxElements) {
        if (!n.dialect().equals("onnx") || !n.domain().isEmpty() || n.results().size() != 1) return null;
        String op = n.opType();
        if (!BINARY.contains(op) && !UNARY.contains(op) && !REDUCE.contains(op) && !op.equals("Transpose") && !op.equals("Tile")) {
            return null;
        }
        for (Value v : n.operands()) {
            if (!v.isAbsent() && (!v.isConstant() || !(v.data() instanceof DenseData) || !supported(v.tensorType().dtype()))) return null;
        }
        if (n.operands().isEmpty()) return null;
        try {
            Tensor out;
            if (BINARY.contains(op)) {
                if (op.equals("Max") || op.equals("Min")) {
                    out = Tensor.of(n.operand(0).data());
                    for (int i = 1; i < n.operands().size(); i++) out = binary(op, n, out, Tensor.of(n.operand(i).data()), maxElements);
                } else {
                    if (n.operands().size() != 2) return null;
                    out = binary(op, n, Tensor.of(n.operand(0).data()), Tensor.of(n.operand(1).data()), maxElements);
                }
            } else if (UNARY.contains(op)) {
                out = unary(op, Tensor.of(n.operand(0).data()));
            } else if (op.equals("Transpose")) {
                out = transpose(n, Tensor.of(n.operand(0).data()));
            } else if (op.equals("Tile")) {
                out = tile(Tensor.of(n.operand(0).data()), MilArgs.longs(n.operand(1).data()), maxElements);
            } else {
                out = reduce(op, n, Tensor.of(n.operand(0).data()));
            }
            return out == null ? null : out.toData();
        } catch (ArithmeticException | IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean supported(DType d) {
        return d == DType.INT64 || d == DType.INT32 || d == DType.FLOAT32 || d == DType.BOOL;
    }

    /** A small dense tensor as doubles (int64 shape values are exact as doubles far beyond any size). */
    private record Tensor(DType dtype, long[] shape, double[] v) {
        static Tensor of(TensorData d) {
            int n = Math.toIntExact(d.elementCount());
            double[] v = new double[n];
            if (d.dtype() == DType.FLOAT32) {
                ByteBuffer b = d.bytes();
                for (int i = 0; i < n; i++) v[i] = b.getFloat(i * 4);
            } else {
                long[] l = MilArgs.longs(d);
                for (int i = 0; i < n; i++) v[i] = l[i];
            }
            return new Tensor(d.dtype(), d.type().shape(), v);
        }

        TensorData toData() {
            int n = v.length;
            ByteBuffer b = ByteBuffer.allocate(n * Math.max(1, width())).order(ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                switch (dtype) {
                    case INT64 -> b.putLong((long) x);
                    case INT32 -> b.putInt(Math.toIntExact((long) x));
                    case FLOAT32 -> b.putFloat((float) x);
                    default -> b.put((byte) (x != 0 ? 1 : 0));
                }
            }
            return TensorData.ofBuffer(TensorType.of(dtype, shape), b.flip());
        }

        private int width() {
            return switch (dtype) {
                case INT64 -> 8;
                case INT32, FLOAT32 -> 4;
                default -> 1;
            };
        }

        boolean integer() { return dtype == DType.INT64 || dtype == DType.INT32; }
    }

    private static Tensor binary(String op, Node n, Tensor a, Tensor b, long maxElements) {
        if (a.dtype() != b.dtype()) return null;
        int rank = Math.max(a.shape().length, b.shape().length);
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            long x = dim(a.shape(), i, rank);
            long y = dim(b.shape(), i, rank);
            if (x != y && x != 1 && y != 1) return null;
            shape[i] = x == 1 ? y : x;
        }
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (count > maxElements) return null;
        boolean fmod = n.attributes().getInt("fmod", 0) != 0;
        boolean bool = Set.of("Less", "Greater", "LessOrEqual", "GreaterOrEqual").contains(op);
        double[] out = new double[(int) count];
        for (int i = 0; i < out.length; i++) {
            double x = a.v()[source(i, shape, a.shape())];
            double y = b.v()[source(i, shape, b.shape())];
            out[i] = switch (op) {
                case "Mod" -> mod(x, y, fmod || !a.integer());
                case "Max" -> Math.max(x, y);
                case "Min" -> Math.min(x, y);
                case "Less" -> x < y ? 1 : 0;
                case "Greater" -> x > y ? 1 : 0;
                case "LessOrEqual" -> x <= y ? 1 : 0;
                case "GreaterOrEqual" -> x >= y ? 1 : 0;
                case "And" -> x != 0 && y != 0 ? 1 : 0;
                case "Or" -> x != 0 || y != 0 ? 1 : 0;
                default -> (x != 0) != (y != 0) ? 1 : 0; // Xor
            };
        }
        return new Tensor(bool ? DType.BOOL : a.dtype(), shape, out);
    }

    /** ONNX Mod: integer mod takes the divisor's sign (fmod=0); fmod=1 (and floats) the dividend's. */
    private static double mod(double x, double y, boolean fmod) {
        if (y == 0) throw new ArithmeticException("mod by zero");
        if (fmod) return x % y;
        return Math.floorMod((long) x, (long) y);
    }

    private static Tensor unary(String op, Tensor a) {
        double[] out = new double[a.v().length];
        for (int i = 0; i < out.length; i++) {
            double x = a.v()[i];
            out[i] = switch (op) {
                case "Neg" -> -x;
                case "Abs" -> Math.abs(x);
                case "Floor" -> Math.floor(x);
                case "Ceil" -> Math.ceil(x);
                case "Not" -> x != 0 ? 0 : 1;
                default -> Math.sqrt(x); // Sqrt
            };
        }
        if (op.equals("Sqrt") && a.integer()) return null;
        return new Tensor(a.dtype(), a.shape(), out);
    }

    private static Tensor transpose(Node n, Tensor a) {
        int rank = a.shape().length;
        long[] perm = ints(n, "perm");
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = a.shape()[(int) perm[i]];
        long[] inStrides = strides(a.shape());
        double[] out = new double[a.v().length];
        int[] idx = new int[rank];
        for (int i = 0; i < out.length; i++) {
            long src = 0;
            for (int d = 0; d < rank; d++) src += idx[d] * inStrides[(int) perm[d]];
            out[i] = a.v()[(int) src];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return new Tensor(a.dtype(), shape, out);
    }

    private static Tensor tile(Tensor a, long[] reps, long maxElements) {
        int rank = a.shape().length;
        if (reps.length != rank) return null;
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = Math.multiplyExact(a.shape()[i], reps[i]);
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (count > maxElements) return null;
        long[] inStrides = strides(a.shape());
        double[] out = new double[(int) count];
        long[] outStrides = strides(shape);
        for (int i = 0; i < out.length; i++) {
            long src = 0;
            long rest = i;
            for (int d = 0; d < rank; d++) {
                long coord = rest / outStrides[d];
                rest %= outStrides[d];
                src += (coord % a.shape()[d]) * inStrides[d];
            }
            out[i] = a.v()[(int) src];
        }
        return new Tensor(a.dtype(), shape, out);
    }

    private static Tensor reduce(String op, Node n, Tensor a) {
        if (a.dtype() == DType.BOOL) return null;
        int rank = a.shape().length;
        long[] axes = ints(n, "axes");
        if (axes == null && n.operands().size() > 1 && !n.operand(1).isAbsent()) axes = MilArgs.longs(n.operand(1).data());
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            if (axes != null && n.attributes().getInt("noop_with_empty_axes", 0) != 0) return a;
            Arrays.fill(reduced, true);
        } else {
            for (long ax : axes) reduced[(int) (ax < 0 ? ax + rank : ax)] = true;
        }
        boolean keep = n.attributes().getInt("keepdims", 1) != 0;
        long[] kept = new long[rank];
        for (int d = 0; d < rank; d++) kept[d] = reduced[d] ? 1 : a.shape()[d];
        int count = (int) Arrays.stream(kept).reduce(1, Math::multiplyExact);
        double[] out = new double[count];
        Arrays.fill(out, switch (op) {
            case "ReduceProd" -> 1;
            case "ReduceSum" -> 0;
            case "ReduceMax" -> Double.NEGATIVE_INFINITY;
            default -> Double.POSITIVE_INFINITY;
        });
        long[] inStrides = strides(a.shape());
        long[] outStrides = strides(kept);
        for (int i = 0; i < a.v().length; i++) {
            long rest = i;
            long dst = 0;
            for (int d = 0; d < rank; d++) {
                long coord = rest / inStrides[d];
                rest %= inStrides[d];
                if (!reduced[d]) dst += coord * outStrides[d];
            }
            double x = a.v()[i];
            int k = (int) dst;
            out[k] = switch (op) {
                case "ReduceProd" -> out[k] * x;
                case "ReduceSum" -> out[k] + x;
                case "ReduceMax" -> Math.max(out[k], x);
                default -> Math.min(out[k], x);
            };
        }
        long[] shape = keep ? kept : java.util.stream.IntStream.range(0, rank).filter(d -> !reduced[d]).mapToLong(d -> a.shape()[d]).toArray();
        return new Tensor(a.dtype(), shape, out);
    }

    private static long[] ints(Node n, String name) {
        Optional<Attribute> a = n.attributes().get(name);
        if (a.isEmpty() || !(a.get() instanceof Attribute.IntsAttr is)) return null;
        return is.values().stream().mapToLong(Long::longValue).toArray();
    }

    private static long dim(long[] shape, int i, int rank) {
        int k = i - (rank - shape.length);
        return k < 0 ? 1 : shape[k];
    }

    private static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** The flat index in a (broadcast) operand of element {@code flat} of the result. */
    private static int source(int flat, long[] outShape, long[] inShape) {
        int rank = outShape.length;
        long src = 0;
        long stride = 1;
        long rest = flat;
        long[] coords = new long[rank];
        for (int d = rank - 1; d >= 0; d--) {
            coords[d] = rest % outShape[d];
            rest /= outShape[d];
        }
        for (int d = rank - 1; d >= rank - inShape.length; d--) {
            long size = inShape[d - (rank - inShape.length)];
            src += (size == 1 ? 0 : coords[d]) * stride;
            stride *= size;
        }
        return (int) src;
    }
}
