package dev.pare.passes.mil;

import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX ScatterND: {@code output = data}, then for each index tuple {@code indices[i]} (the last
 * axis of indices, k long, addresses the first k axes of data) the slice {@code output[indices[i]]}
 * becomes {@code updates[i]} (reduction {@code none}) or is combined with it ({@code add},
 * {@code mul}, {@code max}, {@code min}). Updates are applied in index order, so with duplicate
 * indices {@code none} keeps the last one (ONNX leaves duplicates under {@code none} undefined;
 * its reference implementation and ONNX Runtime's CPU kernel write in order) and the reductions
 * accumulate in order, rounding to the data's type after each step.
 *
 * <p>Exporters build masks this way from the input's sizes (Swin's shifted-window attention mask:
 * a ConstantOfShape filled region by region), so with {@code --input-shape} every operand is a
 * constant and the node folds; otherwise it becomes MIL {@code scatter_nd}.
 */
final class ScatterNd {

    private ScatterNd() {}

    static void register(Map<String, Lowering> m) {
        m.put("ScatterND", ScatterNd::lower);
    }

    /** The MIL scatter_nd mode of an ONNX reduction, or null if it has none. */
    static String milMode(String reduction) {
        return switch (reduction) {
            case "none" -> "update";
            case "add" -> "add";
            case "mul" -> "mul";
            case "max" -> "max";
            case "min" -> "min";
            default -> null;
        };
    }

    private static List<Value> lower(OnnxOp op) {
        String reduction = op.attrString("reduction", "none");
        String mode = milMode(reduction);
        if (mode == null) throw op.fail("reduction '" + reduction + "' is not none, add, mul, max or min");
        int rank = op.rank(0);
        List<dev.pare.ir.Dim> idx = op.dims(1);
        if (idx.isEmpty()) throw op.fail("indices must have rank >= 1");
        if (!(idx.get(idx.size() - 1) instanceof dev.pare.ir.Dim.Fixed k) || k.size() < 1 || k.size() > rank) {
            throw op.fail("the last axis of indices must be a fixed size between 1 and the rank of data (" + rank + ")");
        }
        Value indices = op.in(1);
        long[] constant = op.constInts(1);
        if (constant != null) {
            // MIL's scatter_nd takes indices in range: normalize ONNX's negative ones here
            long[] shape = op.type(0).isStatic() ? op.type(0).shape() : null;
            if (shape != null) {
                long[] normalized = normalize(constant, (int) k.size(), shape, op);
                indices = op.e.constant(op.e.tmp("indices"), MilEmitter.int32(op.raw(1).tensorType().shape(), normalized));
            }
        }
        return OnnxOp.one(op.e.op("scatter_nd", op.e.out(0), "data", op.in(0), "indices", indices, "updates", op.in(2), "mode", mode));
    }

    private static long[] normalize(long[] indices, int k, long[] shape, OnnxOp op) {
        long[] out = indices.clone();
        for (int i = 0; i < out.length; i++) {
            long dim = shape[i % k];
            long v = out[i] < 0 ? out[i] + dim : out[i];
            if (v < 0 || v >= dim) throw op.fail("index " + out[i] + " is out of range for axis " + (i % k) + " of length " + dim);
            out[i] = v;
        }
        return out;
    }

    // ---- folding -----------------------------------------------------------------------------

    /** The folded result when data, indices and updates are constants, else null. */
    static TensorData fold(Node n, long maxElements) {
        if (!n.dialect().equals("onnx") || !n.domain().isEmpty() || !n.opType().equals("ScatterND")) return null;
        if (n.operands().size() != 3) return null;
        for (Value v : n.operands()) if (v.isAbsent() || !v.isConstant() || !(v.data() instanceof DenseData)) return null;
        DType dtype = n.operand(0).tensorType().dtype();
        if (!foldable(dtype) || n.operand(2).tensorType().dtype() != dtype) return null;
        String reduction = n.attributes().getString("reduction", "none");
        if (milMode(reduction) == null) return null;
        long[] shape = n.operand(0).tensorType().shape();
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (count > maxElements) return null;
        long[] indexShape = n.operand(1).tensorType().shape();
        if (indexShape.length == 0) throw new IllegalArgumentException("indices must have rank >= 1");
        int k = (int) indexShape[indexShape.length - 1];
        if (k < 1 || k > shape.length) {
            throw new IllegalArgumentException("the last axis of indices is " + k + " long, data has rank " + shape.length);
        }
        long[] indices = MilArgs.longs(n.operand(1).data());
        double[] out = values(n.operand(0).data());
        double[] updates = values(n.operand(2).data());
        long slice = 1;
        for (int d = k; d < shape.length; d++) slice *= shape[d];
        long tuples = indices.length / k;
        if (updates.length != tuples * slice) {
            throw new IllegalArgumentException("updates hold " + updates.length + " values, the indices address " + tuples * slice);
        }
        long[] strides = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = acc;
            acc *= shape[d];
        }
        for (long t = 0; t < tuples; t++) {
            long offset = 0;
            for (int d = 0; d < k; d++) {
                long v = indices[(int) (t * k + d)];
                long at = v < 0 ? v + shape[d] : v;
                if (at < 0 || at >= shape[d]) {
                    throw new IllegalArgumentException("index " + v + " is out of range for axis " + d + " of length " + shape[d]);
                }
                offset += at * strides[d];
            }
            for (long j = 0; j < slice; j++) {
                int o = (int) (offset + j);
                double u = updates[(int) (t * slice + j)];
                out[o] = typed(dtype, switch (reduction) {
                    case "none" -> u;
                    case "add" -> out[o] + u;
                    case "mul" -> out[o] * u;
                    case "max" -> Math.max(out[o], u);
                    default -> Math.min(out[o], u);
                });
            }
        }
        return data(dtype, shape, out);
    }

    /** Types whose values a double holds exactly (int64 only up to 2^53, checked on reading). */
    private static boolean foldable(DType d) {
        return d == DType.FLOAT32 || d == DType.INT32 || d == DType.INT64 || d == DType.BOOL;
    }

    private static double[] values(TensorData d) {
        int n = Math.toIntExact(d.elementCount());
        double[] v = new double[n];
        if (d.dtype() == DType.FLOAT32) {
            ByteBuffer b = d.bytes();
            for (int i = 0; i < n; i++) v[i] = b.getFloat(i * 4);
            return v;
        }
        long[] l = MilArgs.longs(d);
        for (int i = 0; i < n; i++) {
            if (Math.abs(l[i]) > (1L << 53)) throw new IllegalArgumentException("value " + l[i] + " is too large to fold");
            v[i] = l[i];
        }
        return v;
    }

    /** A result rounded to the data's type, as the op computes it in that type. */
    private static double typed(DType d, double v) {
        return switch (d) {
            case FLOAT32 -> (float) v;
            case INT32 -> (int) (long) v;
            case BOOL -> v != 0 ? 1 : 0;
            default -> {
                if (Math.abs(v) > (1L << 53)) throw new IllegalArgumentException("result " + v + " is too large to fold");
                yield v;
            }
        };
    }

    private static TensorData data(DType d, long[] shape, double[] v) {
        int width = switch (d) {
            case INT64 -> 8;
            case INT32, FLOAT32 -> 4;
            default -> 1;
        };
        ByteBuffer b = ByteBuffer.allocate(v.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) {
            switch (d) {
                case INT64 -> b.putLong((long) x);
                case INT32 -> b.putInt((int) x);
                case FLOAT32 -> b.putFloat((float) x);
                default -> b.put((byte) (x != 0 ? 1 : 0));
            }
        }
        return TensorData.ofBuffer(TensorType.of(d, shape), b.flip());
    }
}
