package dev.pare.passes.cleanup;

import dev.pare.passes.PassesCode;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code const_folding}: evaluates the shape arithmetic exporters leave behind when every operand
 * is a constant (Shape and Size only need a static input type) and replaces the node by a graph
 * constant that takes over the result's name. Only folds what it can compute bit for bit as an
 * ONNX runtime would: integer and bool math, ops that move bits (Reshape, Concat, Gather, Slice,
 * Squeeze, Unsqueeze, Expand, Where, Identity, ConstantOfShape), exact casts, and, when
 * {@code float_arithmetic} is on, single float32/float64 Add/Sub/Mul/Div, which IEEE 754 rounds
 * correctly. Invalid inputs (an index out of range, a division by zero) are reported as warnings
 * and left for the runtime to reject. {@code onnx.Constant} nodes feeding a foldable op become
 * graph constants first.
 *
 * <p>Folding never makes the model much bigger: a result that would add more than
 * {@code max_growth_bytes} to the stored constants ({@link #growth}) stays an expression (counted
 * as {@code skipped_growth}); e.g. a ConstantOfShape of a feature map's shape is cheaper to compute
 * at load time than to store. {@link #foldedValue} has no such limit: convert_to_mil folds what MIL
 * needs as constants (shapes, axes) and has no expression to keep.
 */
public final class ConstFolding implements PassProvider<ConstFolding.Options> {

    public record Options(
            @Option(help = "Largest result, in elements, that is folded into a constant.", min = 0) long maxElements,
            @Option(help = "Fold float32/float64 Add, Sub, Mul and Div (each IEEE operation is correctly rounded).")
            boolean floatArithmetic,
            @Option(help = "Bytes a fold may add to the stored constants: a result larger than the constant operands"
                    + " it frees by more than this stays an expression.", min = 0)
            long maxGrowthBytes) {
        public Options {
            if (maxElements < 0) throw new IllegalArgumentException("max_elements must be >= 0, got " + maxElements);
            if (maxGrowthBytes < 0) throw new IllegalArgumentException("max_growth_bytes must be >= 0, got " + maxGrowthBytes);
        }

        /** Options with the default growth limit. */
        public Options(long maxElements, boolean floatArithmetic) {
            this(maxElements, floatArithmetic, DEFAULT_MAX_GROWTH_BYTES);
        }
    }

    /**
     * The default {@code max_growth_bytes}: room for the shape vectors and small index tensors that
     * exporters compute at run time, never for a materialized activation-sized tensor.
     */
    public static final long DEFAULT_MAX_GROWTH_BYTES = 1024;

    static final Set<String> FOLDABLE = Set.of("Shape", "Size", "Identity", "Cast", "Reshape", "Unsqueeze", "Squeeze",
            "Concat", "Gather", "Slice", "Add", "Sub", "Mul", "Div", "Equal", "Where", "Expand", "ConstantOfShape", "Range");

    @Override public PassInfo info() {
        return PassInfo.optional("const_folding", "Evaluates shape arithmetic and other exact ops on constant operands.");
    }

    @Override public Options defaults() { return new Options(65536, true, DEFAULT_MAX_GROWTH_BYTES); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(sweep(graph, options, context));
    }

    /** The operands are valid constants but the op is ill-formed for them. */
    static final class Invalid extends Exception {
        Invalid(String message) { super(message); }
    }

    /** The result would exceed {@code max_elements}. */
    static final class TooLarge extends Exception {
        TooLarge() { super(null, null, false, false); }
    }

    private static boolean sweep(Graph g, ScopedOptions<Options> options, PassContext context) {
        Rewriter rw = g.rewriter();
        boolean changed = false;
        for (Node n : List.copyOf(g.nodes())) {
            Optional<Options> o = options.forNode(n);
            if (o.isPresent() && isDefaultDomain(n) && n.results().size() == 1 && !n.result(0).isAbsent()) {
                TensorData folded = null;
                if (n.opType().equals("Constant")) {
                    if (feedsFoldable(n)) {
                        folded = constantNodeValue(n);
                        if (folded != null) context.statistics().increment("constant_nodes_converted");
                    }
                } else if (FOLDABLE.contains(n.opType())) {
                    try {
                        ConstTensor t = new Folder(n, o.get()).fold();
                        if (t != null) {
                            TensorData data = t.toData();
                            if (growth(n, data) > o.get().maxGrowthBytes()) {
                                context.statistics().increment("skipped_growth");
                            } else {
                                folded = data;
                                context.statistics().increment("nodes_folded");
                            }
                        }
                    } catch (Invalid e) {
                        context.diagnostics().warn(PassesCode.CF001, n.location(), "cannot fold " + n + ": " + e.getMessage());
                    } catch (TooLarge e) {
                        context.statistics().increment("skipped_too_large");
                    } catch (ArithmeticException e) {
                        context.statistics().increment("skipped_too_large");
                    }
                }
                if (folded != null) {
                    GraphEdits.replaceByConstant(g, rw, n, folded);
                    changed = true;
                    continue;
                }
            }
            for (Graph sub : n.subgraphs()) changed |= sweep(sub, options, context);
        }
        return changed;
    }

    /**
     * The bytes folding {@code n} into {@code result} adds to the stored constants: the result less
     * the constant operands that go with the node (used by it alone and not a graph output). A
     * ConstantOfShape, Expand or Range of a few shape numbers grows by nearly its whole result; a
     * Reshape or Cast of a weight only it reads adds nothing; a Slice of a weight other nodes still
     * read adds the slice, a copy of bytes the file already holds.
     */
    static long growth(Node n, TensorData result) {
        long freed = 0;
        Set<Value> seen = new java.util.HashSet<>();
        for (Value v : n.operands()) {
            if (!v.isConstant() || v.data() == null || !seen.add(v)) continue;
            boolean onlyHere = v.uses().stream().allMatch(u -> u.user() == n);
            if (onlyHere && !v.graph().isOutput(v)) freed += v.data().byteSize();
        }
        return result.byteSize() - freed;
    }

    /**
     * What const_folding would replace the single-result ONNX node {@code n} by (its
     * {@code onnx.Constant} value, or the value of a foldable op on constant operands), or null.
     * For passes that fold as they go, e.g. convert_to_mil on shape arithmetic.
     */
    public static TensorData foldedValue(Node n, long maxElements) {
        if (!isDefaultDomain(n) || n.results().size() != 1 || n.result(0).isAbsent()) return null;
        if (n.opType().equals("Constant")) return constantNodeValue(n);
        if (!FOLDABLE.contains(n.opType())) return null;
        try {
            ConstTensor t = new Folder(n, new Options(maxElements, true)).fold();
            return t == null ? null : t.toData();
        } catch (Invalid | TooLarge | ArithmeticException e) {
            return null;
        }
    }

    private static boolean isDefaultDomain(Node n) { return n.dialect().equals("onnx") && n.domain().isEmpty(); }

    private static boolean feedsFoldable(Node constant) {
        for (Value.Use u : constant.result(0).uses()) {
            if (isDefaultDomain(u.user()) && FOLDABLE.contains(u.user().opType())) return true;
        }
        return false;
    }

    /** The tensor an {@code onnx.Constant} node produces, or null for a form it cannot hold. */
    static TensorData constantNodeValue(Node n) {
        if (n.attributes().size() != 1) return null;
        Map.Entry<String, Attribute> e = n.attributes().asMap().entrySet().iterator().next();
        Attribute a = e.getValue();
        switch (e.getKey()) {
            case "value":
                return a instanceof Attribute.TensorAttr t ? t.value() : null;
            case "sparse_value":
                return a instanceof Attribute.SparseTensorAttr s ? s.value() : null;
            case "value_float":
                return a instanceof Attribute.FloatAttr f ? TensorData.ofFloats(new long[0], f.value()) : null;
            case "value_floats":
                if (!(a instanceof Attribute.FloatsAttr fs)) return null;
                float[] floats = new float[fs.values().size()];
                for (int i = 0; i < floats.length; i++) floats[i] = fs.values().get(i);
                return TensorData.ofFloats(new long[] {floats.length}, floats);
            case "value_int":
                return a instanceof Attribute.IntAttr i ? TensorData.ofLongs(new long[0], i.value()) : null;
            case "value_ints":
                if (!(a instanceof Attribute.IntsAttr is)) return null;
                return TensorData.ofLongs(new long[] {is.values().size()}, is.values().stream().mapToLong(Long::longValue).toArray());
            case "value_string":
                if (!(a instanceof Attribute.StringAttr s)) return null;
                return new StringData(TensorType.of(DType.STRING), List.of(s.value().getBytes(StandardCharsets.UTF_8)), Map.of());
            case "value_strings":
                if (!(a instanceof Attribute.StringsAttr ss)) return null;
                List<byte[]> elements = new ArrayList<>();
                for (String s : ss.values()) elements.add(s.getBytes(StandardCharsets.UTF_8));
                return new StringData(TensorType.of(DType.STRING, elements.size()), elements, Map.of());
            default:
                return null;
        }
    }

    /** Evaluates one node; null when an operand is not constant or a type is not supported. */
    private static final class Folder {
        private final Node n;
        private final Options options;

        Folder(Node n, Options options) {
            this.n = n;
            this.options = options;
        }

        ConstTensor fold() throws Invalid, TooLarge {
            return switch (n.opType()) {
                case "Shape" -> shape();
                case "Size" -> size();
                case "Identity" -> operand(0);
                case "Cast" -> cast();
                case "Reshape" -> reshape();
                case "Unsqueeze" -> unsqueeze();
                case "Squeeze" -> squeeze();
                case "Concat" -> concat();
                case "Gather" -> gather();
                case "Slice" -> slice();
                case "Add", "Sub", "Mul", "Div" -> arithmetic(n.opType());
                case "Equal" -> equal();
                case "Where" -> where();
                case "Expand" -> expand();
                case "ConstantOfShape" -> constantOfShape();
                case "Range" -> range();
                default -> null;
            };
        }

        // ---- operands --------------------------------------------------------------------

        private boolean present(int i) { return i < n.operands().size() && !n.operand(i).isAbsent(); }

        /** Operand {@code i} if it is a graph constant of a foldable type (inputs with defaults can be overridden). */
        private ConstTensor operand(int i) {
            if (!present(i)) return null;
            Value v = n.operand(i);
            if (v.kind() != Value.Kind.CONSTANT || v.data() == null) return null;
            return ConstTensor.of(v.data());
        }

        /** An int32/int64 operand's values, null if not constant. */
        private long[] intsOperand(int i, String what) throws Invalid {
            ConstTensor t = operand(i);
            if (t == null) return null;
            if (t.dtype != DType.INT64 && t.dtype != DType.INT32) throw new Invalid(what + " must be int32 or int64, got " + t.dtype.shortName());
            return t.longs();
        }

        private long[] intsAttribute(String name) {
            Optional<Attribute> a = n.attributes().get(name);
            if (a.isEmpty() || !(a.get() instanceof Attribute.IntsAttr is)) return null;
            return is.values().stream().mapToLong(Long::longValue).toArray();
        }

        private long intAttribute(String name, long fallback) { return n.attributes().getInt(name, fallback); }

        private ConstTensor allocate(DType dtype, long[] shape) throws TooLarge {
            if (ConstTensor.elementCount(shape) > options.maxElements()) throw new TooLarge();
            return ConstTensor.allocate(dtype, shape);
        }

        private static int axis(long a, int rank, String what) throws Invalid {
            long v = a < 0 ? a + rank : a;
            if (v < 0 || v >= rank) throw new Invalid(what + " " + a + " is out of range for rank " + rank);
            return (int) v;
        }

        // ---- shape queries ---------------------------------------------------------------

        private ConstTensor shape() throws TooLarge {
            TensorType t = n.operand(0).tensorType();
            if (!t.isStatic()) return null;
            long[] s = t.shape();
            int r = s.length;
            long start = clamp(normalize(intAttribute("start", 0), r), 0, r);
            long end = clamp(normalize(intAttribute("end", r), r), 0, r);
            long[] dims = start < end ? Arrays.copyOfRange(s, (int) start, (int) end) : new long[0];
            return ConstTensor.ofLongs(DType.INT64, new long[] {dims.length}, dims);
        }

        private ConstTensor size() {
            TensorType t = n.operand(0).tensorType();
            if (!t.isStatic()) return null;
            return ConstTensor.ofLongs(DType.INT64, new long[0], new long[] {t.elementCount()});
        }

        // ---- casts -----------------------------------------------------------------------

        private ConstTensor cast() throws Invalid, TooLarge {
            ConstTensor x = operand(0);
            if (x == null) return null;
            Optional<DType> to = DType.fromOnnx((int) intAttribute("to", -1));
            if (to.isEmpty()) throw new Invalid("attribute 'to' names no element type");
            DType target = to.get();
            if (!castable(x.dtype) || !castable(target)) return null;
            if (x.dtype == DType.FLOAT64 && target == DType.FLOAT16) return null; // runtimes may round twice
            ConstTensor out = allocate(target, x.shape);
            boolean fromFloat = x.dtype.isFloatingPoint();
            boolean toFloat = target.isFloatingPoint();
            for (int i = 0; i < x.count; i++) {
                if (!fromFloat && !toFloat) {
                    out.setLong(i, x.getLong(i));
                } else if (!fromFloat) {
                    long v = x.getLong(i);
                    switch (target) {
                        case FLOAT32 -> out.setFloat(i, (float) v);
                        case FLOAT64 -> out.setFloat64(i, (double) v);
                        // exact below 2^24; anything larger is beyond float16's range and becomes infinity either way
                        default -> out.setFloat16(i, Float16.fromFloat((float) v));
                    }
                } else if (toFloat) {
                    double v = x.getDouble(i);
                    switch (target) {
                        case FLOAT32 -> out.setFloat(i, (float) v);
                        case FLOAT64 -> out.setFloat64(i, v);
                        default -> out.setFloat16(i, Float16.fromFloat((float) v));
                    }
                } else {
                    double v = x.getDouble(i);
                    if (target == DType.BOOL) {
                        out.setLong(i, v != 0 || Double.isNaN(v) ? 1 : 0);
                        continue;
                    }
                    // out of range and NaN are undefined behaviour in C++ casts: leave those to the runtime
                    if (Double.isNaN(v) || Double.isInfinite(v)) return null;
                    double t = v < 0 ? Math.ceil(v) : Math.floor(v);
                    if (!fits(t, target)) return null;
                    out.setLong(i, (long) t);
                }
            }
            return out;
        }

        private static boolean castable(DType d) {
            return switch (d) {
                case BOOL, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, FLOAT16, FLOAT32, FLOAT64 -> true;
                default -> false;
            };
        }

        private static boolean fits(double t, DType d) {
            int bits = d.bits();
            if (d == DType.INT64) return t >= -0x1p63 && t < 0x1p63;
            double lo = d.isSigned() ? -Math.pow(2, bits - 1) : 0;
            double hi = d.isSigned() ? Math.pow(2, bits - 1) - 1 : Math.pow(2, bits) - 1;
            return t >= lo && t <= hi;
        }

        // ---- bit moves -------------------------------------------------------------------

        private ConstTensor reshape() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            if (data == null) return null;
            long[] requested = present(1) ? intsOperand(1, "shape") : intsAttribute("shape");
            if (requested == null) return null;
            boolean allowZero = intAttribute("allowzero", 0) != 0;
            long[] out = requested.clone();
            int inferred = -1;
            long known = 1;
            for (int i = 0; i < out.length; i++) {
                if (out[i] == -1) {
                    if (inferred >= 0) throw new Invalid("shape " + Arrays.toString(requested) + " has more than one -1");
                    inferred = i;
                    continue;
                }
                if (out[i] == 0 && !allowZero) {
                    if (i >= data.rank()) throw new Invalid("shape " + Arrays.toString(requested) + " copies dimension " + i + " of a rank-" + data.rank() + " input");
                    out[i] = data.shape[i];
                }
                if (out[i] < 0) throw new Invalid("shape " + Arrays.toString(requested) + " has a negative dimension");
                known = Math.multiplyExact(known, out[i]);
            }
            if (inferred >= 0) {
                if (known == 0 || data.count % known != 0) {
                    throw new Invalid("cannot reshape " + Arrays.toString(data.shape) + " to " + Arrays.toString(requested));
                }
                out[inferred] = data.count / known;
            } else if (known != data.count) {
                throw new Invalid("cannot reshape " + Arrays.toString(data.shape) + " to " + Arrays.toString(requested));
            }
            if (data.count > options.maxElements()) throw new TooLarge();
            return data.reshaped(out);
        }

        private ConstTensor unsqueeze() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            if (data == null) return null;
            long[] axes = present(1) ? intsOperand(1, "axes") : intsAttribute("axes");
            if (axes == null) return null;
            int outRank = data.rank() + axes.length;
            boolean[] inserted = new boolean[outRank];
            for (long a : axes) {
                int ax = axis(a, outRank, "axis");
                if (inserted[ax]) throw new Invalid("axis " + a + " appears twice");
                inserted[ax] = true;
            }
            long[] out = new long[outRank];
            for (int i = 0, j = 0; i < outRank; i++) out[i] = inserted[i] ? 1 : data.shape[j++];
            if (data.count > options.maxElements()) throw new TooLarge();
            return data.reshaped(out);
        }

        private ConstTensor squeeze() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            if (data == null) return null;
            long[] axes;
            if (present(1)) {
                axes = intsOperand(1, "axes");
                if (axes == null) return null;
            } else {
                axes = intsAttribute("axes");
            }
            boolean[] removed = new boolean[data.rank()];
            if (axes == null) {
                for (int i = 0; i < removed.length; i++) removed[i] = data.shape[i] == 1;
            } else {
                for (long a : axes) {
                    int ax = axis(a, data.rank(), "axis");
                    if (data.shape[ax] != 1) throw new Invalid("axis " + a + " has size " + data.shape[ax] + ", not 1");
                    removed[ax] = true;
                }
            }
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < removed.length; i++) if (!removed[i]) out.add(data.shape[i]);
            if (data.count > options.maxElements()) throw new TooLarge();
            return data.reshaped(out.stream().mapToLong(Long::longValue).toArray());
        }

        private ConstTensor concat() throws Invalid, TooLarge {
            List<ConstTensor> inputs = new ArrayList<>();
            for (int i = 0; i < n.operands().size(); i++) {
                ConstTensor t = operand(i);
                if (t == null) return null;
                inputs.add(t);
            }
            if (inputs.isEmpty()) return null;
            if (n.attributes().get("axis").isEmpty()) throw new Invalid("attribute 'axis' is missing");
            ConstTensor first = inputs.get(0);
            int rank = first.rank();
            if (rank == 0) throw new Invalid("cannot concatenate scalars");
            int ax = axis(intAttribute("axis", 0), rank, "axis");
            long[] out = first.shape.clone();
            out[ax] = 0;
            for (ConstTensor t : inputs) {
                if (t.dtype != first.dtype || t.rank() != rank) throw new Invalid("inputs differ in element type or rank");
                for (int d = 0; d < rank; d++) {
                    if (d != ax && t.shape[d] != first.shape[d]) {
                        throw new Invalid("input shapes " + Arrays.toString(first.shape) + " and " + Arrays.toString(t.shape) + " differ outside axis " + ax);
                    }
                }
                out[ax] += t.shape[ax];
            }
            ConstTensor r = allocate(first.dtype, out);
            long outer = ConstTensor.elementCount(Arrays.copyOfRange(out, 0, ax));
            long inner = ConstTensor.elementCount(Arrays.copyOfRange(out, ax + 1, rank));
            int k = 0;
            for (long o = 0; o < outer; o++) {
                for (ConstTensor t : inputs) {
                    long chunk = t.shape[ax] * inner;
                    for (long e = 0; e < chunk; e++) r.copyFrom(t, (int) (o * chunk + e), k++);
                }
            }
            return r;
        }

        private ConstTensor gather() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            ConstTensor indices = operand(1);
            if (data == null || indices == null) return null;
            if (indices.dtype != DType.INT64 && indices.dtype != DType.INT32) throw new Invalid("indices must be int32 or int64");
            if (data.rank() == 0) throw new Invalid("data must have rank >= 1");
            int ax = axis(intAttribute("axis", 0), data.rank(), "axis");
            long[] out = new long[data.rank() - 1 + indices.rank()];
            System.arraycopy(data.shape, 0, out, 0, ax);
            System.arraycopy(indices.shape, 0, out, ax, indices.rank());
            System.arraycopy(data.shape, ax + 1, out, ax + indices.rank(), data.rank() - ax - 1);
            ConstTensor r = allocate(data.dtype, out);
            long dim = data.shape[ax];
            long outer = ConstTensor.elementCount(Arrays.copyOfRange(data.shape, 0, ax));
            long inner = ConstTensor.elementCount(Arrays.copyOfRange(data.shape, ax + 1, data.rank()));
            long[] idx = indices.longs();
            for (int j = 0; j < idx.length; j++) {
                long k = idx[j] < 0 ? idx[j] + dim : idx[j];
                if (k < 0 || k >= dim) throw new Invalid("index " + idx[j] + " is out of range for axis " + ax + " of size " + dim);
                idx[j] = k;
            }
            for (long o = 0; o < outer; o++) {
                for (int j = 0; j < idx.length; j++) {
                    for (long t = 0; t < inner; t++) {
                        r.copyFrom(data, (int) ((o * dim + idx[j]) * inner + t), (int) ((o * idx.length + j) * inner + t));
                    }
                }
            }
            return r;
        }

        private ConstTensor slice() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            if (data == null) return null;
            long[] starts;
            long[] ends;
            long[] axes;
            long[] steps;
            if (n.attributes().get("starts").isPresent()) { // opset < 10
                starts = intsAttribute("starts");
                ends = intsAttribute("ends");
                axes = intsAttribute("axes");
                steps = null;
                if (starts == null || ends == null) throw new Invalid("attributes 'starts' and 'ends' must be ints");
            } else {
                starts = intsOperand(1, "starts");
                ends = intsOperand(2, "ends");
                if (starts == null || ends == null) return null;
                axes = present(3) ? intsOperand(3, "axes") : null;
                steps = present(4) ? intsOperand(4, "steps") : null;
                if ((present(3) && axes == null) || (present(4) && steps == null)) return null;
            }
            int k = starts.length;
            if (ends.length != k || (axes != null && axes.length != k) || (steps != null && steps.length != k)) {
                throw new Invalid("starts, ends, axes and steps differ in length");
            }
            int rank = data.rank();
            long[] begin = new long[rank];
            long[] step = new long[rank];
            long[] out = data.shape.clone();
            Arrays.fill(step, 1);
            boolean[] seen = new boolean[rank];
            for (int i = 0; i < k; i++) {
                int ax = axis(axes == null ? i : axes[i], rank, "axis");
                if (seen[ax]) throw new Invalid("axis " + ax + " is sliced twice");
                seen[ax] = true;
                long st = steps == null ? 1 : steps[i];
                if (st == 0) throw new Invalid("step is 0");
                long d = data.shape[ax];
                long s = starts[i] < 0 ? starts[i] + d : starts[i];
                long e = ends[i] < 0 ? ends[i] + d : ends[i];
                long len;
                if (st > 0) {
                    s = clamp(s, 0, d);
                    e = clamp(e, 0, d);
                    len = e > s ? 1 + (e - s - 1) / st : 0;
                } else {
                    s = clamp(s, 0, d - 1);
                    e = clamp(e, -1, d - 1);
                    len = s > e ? 1 + (s - e - 1) / -st : 0;
                }
                begin[ax] = s;
                step[ax] = st;
                out[ax] = len;
            }
            ConstTensor r = allocate(data.dtype, out);
            long[] inStrides = strides(data.shape);
            for (int o = 0; o < r.count; o++) {
                long rem = o;
                long src = 0;
                for (int d = rank - 1; d >= 0; d--) {
                    long c = rem % out[d];
                    rem /= out[d];
                    src += (begin[d] + c * step[d]) * inStrides[d];
                }
                r.copyFrom(data, (int) src, o);
            }
            return r;
        }

        private ConstTensor expand() throws Invalid, TooLarge {
            ConstTensor data = operand(0);
            long[] shape = present(1) ? intsOperand(1, "shape") : null;
            if (data == null || shape == null) return null;
            for (long d : shape) if (d < 0) throw new Invalid("shape " + Arrays.toString(shape) + " has a negative dimension");
            long[] out = broadcast(data.shape, shape);
            ConstTensor r = allocate(data.dtype, out);
            for (int o = 0; o < r.count; o++) r.copyFrom(data, source(out, o, data.shape), o);
            return r;
        }

        private ConstTensor where() throws Invalid, TooLarge {
            ConstTensor c = operand(0);
            ConstTensor x = operand(1);
            ConstTensor y = operand(2);
            if (c == null || x == null || y == null) return null;
            if (c.dtype != DType.BOOL) throw new Invalid("condition must be bool");
            if (x.dtype != y.dtype) throw new Invalid("X and Y differ in element type");
            long[] out = broadcast(c.shape, broadcast(x.shape, y.shape));
            ConstTensor r = allocate(x.dtype, out);
            for (int o = 0; o < r.count; o++) {
                if (c.getLong(source(out, o, c.shape)) != 0) r.copyFrom(x, source(out, o, x.shape), o);
                else r.copyFrom(y, source(out, o, y.shape), o);
            }
            return r;
        }

        private ConstTensor constantOfShape() throws Invalid, TooLarge {
            long[] shape = intsOperand(0, "shape");
            if (shape == null) return null;
            for (long d : shape) if (d < 0) throw new Invalid("shape " + Arrays.toString(shape) + " has a negative dimension");
            ConstTensor value;
            Optional<Attribute> attr = n.attributes().get("value");
            if (attr.isEmpty()) {
                value = ConstTensor.of(TensorData.ofFloats(new long[] {1}, 0f));
            } else if (attr.get() instanceof Attribute.TensorAttr t && t.value() instanceof DenseData) {
                if (t.value().elementCount() != 1) throw new Invalid("attribute 'value' must hold one element");
                value = ConstTensor.of(t.value());
                if (value == null) return null;
            } else {
                return null;
            }
            ConstTensor r = allocate(value.dtype, shape);
            for (int o = 0; o < r.count; o++) r.copyFrom(value, 0, o);
            return r;
        }

        private ConstTensor range() throws Invalid, TooLarge {
            ConstTensor start = operand(0);
            ConstTensor limit = operand(1);
            ConstTensor delta = operand(2);
            if (start == null || limit == null || delta == null) return null;
            DType d = start.dtype;
            // float ranges are left alone: runtimes differ in how they accumulate the steps
            if (!d.isInteger() || d == DType.UINT64 || limit.dtype != d || delta.dtype != d) return null;
            if (start.count != 1 || limit.count != 1 || delta.count != 1) throw new Invalid("start, limit and delta must be scalars");
            long s = start.getLong(0);
            long l = limit.getLong(0);
            long dl = delta.getLong(0);
            if (dl == 0) throw new Invalid("delta is 0");
            long span = Math.subtractExact(l, s);
            long count = dl > 0 ? (span > 0 ? 1 + (span - 1) / dl : 0) : (span < 0 ? 1 + (-span - 1) / -dl : 0);
            ConstTensor r = allocate(d, new long[] {count});
            for (int i = 0; i < count; i++) r.setLong(i, s + i * dl);
            return r;
        }

        // ---- element-wise math -----------------------------------------------------------

        private ConstTensor arithmetic(String op) throws Invalid, TooLarge {
            ConstTensor a = operand(0);
            ConstTensor b = operand(1);
            if (a == null || b == null) return null;
            if (a.dtype != b.dtype) throw new Invalid("operands differ in element type");
            DType d = a.dtype;
            boolean integer = d.isInteger();
            boolean floating = options.floatArithmetic() && (d == DType.FLOAT32 || d == DType.FLOAT64);
            if (!integer && !floating) return null;
            long[] out = broadcast(a.shape, b.shape);
            ConstTensor r = allocate(d, out);
            for (int o = 0; o < r.count; o++) {
                int i = source(out, o, a.shape);
                int j = source(out, o, b.shape);
                if (integer) {
                    long x = a.getLong(i);
                    long y = b.getLong(j);
                    long v = switch (op) {
                        case "Add" -> x + y;
                        case "Sub" -> x - y;
                        case "Mul" -> x * y;
                        default -> {
                            if (y == 0) throw new Invalid("integer division by zero");
                            yield d == DType.UINT64 ? Long.divideUnsigned(x, y) : x / y; // truncates toward zero, like C++
                        }
                    };
                    r.setLong(o, v);
                } else if (d == DType.FLOAT32) {
                    float x = a.getFloat(i);
                    float y = b.getFloat(j);
                    r.setFloat(o, switch (op) {
                        case "Add" -> x + y;
                        case "Sub" -> x - y;
                        case "Mul" -> x * y;
                        default -> x / y;
                    });
                } else {
                    double x = a.getFloat64(i);
                    double y = b.getFloat64(j);
                    r.setFloat64(o, switch (op) {
                        case "Add" -> x + y;
                        case "Sub" -> x - y;
                        case "Mul" -> x * y;
                        default -> x / y;
                    });
                }
            }
            return r;
        }

        private ConstTensor equal() throws Invalid, TooLarge {
            ConstTensor a = operand(0);
            ConstTensor b = operand(1);
            if (a == null || b == null) return null;
            if (a.dtype != b.dtype) throw new Invalid("operands differ in element type");
            boolean integral = a.isIntegral();
            boolean floating = a.dtype == DType.FLOAT16 || a.dtype == DType.FLOAT32 || a.dtype == DType.FLOAT64;
            if (!integral && !floating) return null;
            long[] out = broadcast(a.shape, b.shape);
            ConstTensor r = allocate(DType.BOOL, out);
            for (int o = 0; o < r.count; o++) {
                int i = source(out, o, a.shape);
                int j = source(out, o, b.shape);
                boolean eq = integral ? a.getLong(i) == b.getLong(j) : a.getDouble(i) == b.getDouble(j);
                r.setLong(o, eq ? 1 : 0);
            }
            return r;
        }
    }

    // ---- shape helpers -------------------------------------------------------------------------

    private static long normalize(long i, int rank) { return i < 0 ? i + rank : i; }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    private static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** Multidirectional (numpy) broadcasting of two shapes. */
    static long[] broadcast(long[] a, long[] b) throws Invalid {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long x = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long y = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (x != y && x != 1 && y != 1) {
                throw new Invalid("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = x == 1 ? y : x;
        }
        return out;
    }

    /** The flat index in a tensor of shape {@code in} that broadcasts to element {@code flat} of {@code out}. */
    private static int source(long[] out, int flat, long[] in) {
        long rem = flat;
        long src = 0;
        long stride = 1;
        int offset = out.length - in.length;
        for (int d = out.length - 1; d >= 0; d--) {
            long c = rem % out[d];
            rem /= out[d];
            int id = d - offset;
            if (id >= 0) {
                if (in[id] != 1) src += c * stride;
                stride *= in[id];
            }
        }
        return (int) src;
    }
}
