package dev.pare.passes.mil;

import dev.pare.ir.GraphCopy;
import dev.pare.passes.PassesCode;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FeatureTypes;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.cleanup.ConstFolding;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassContext;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code convert_to_mil}: lowers every {@code onnx.*} node to {@code mil.*} nodes with named
 * operands (ir/MIL_DIALECT.md, "Ops emitted by convert_to_mil"). Shape arithmetic whose operands
 * are constants (or whose input shapes are static) is folded on the way, so a model with static
 * input shapes lowers to compute ops only. MIL has no int64 or float64 tensors: such inputs,
 * constants and results become int32 / float32. {@code pare.*} nodes stay as they are and keep
 * feeding the ops that replace their ONNX users. If and Loop become cond and while_loop with their
 * subgraphs lowered in place as blocks (an If whose condition folds becomes the branch it takes).
 * If some op has no lowering the pass fails before changing anything, naming every such op type
 * and its nodes, subgraphs included; an op whose attributes have no MIL form fails naming the node
 * and, where the user can help, the --input-shape or input_values to give, also before changing
 * anything (a scratch copy is converted first).
 */
public final class ConvertToMil implements PassProvider<ConvertToMil.Options> {

    public record Options(
            @Option(help = "Static shapes for graph inputs, NAME:D0,D1,... (symbolic dims with the same name follow).")
            List<String> inputShapes,
            @Option(help = "The model's ai.onnx opset; not given = unknown, and an op whose meaning changed between opsets "
                    + "(Softmax before 13) is refused where the difference matters.", min = 1)
            Optional<Long> onnxOpset,
            @Option(help = "Largest folded shape-arithmetic result, in elements.", min = 0)
            long maxFoldElements,
            @Option(help = "Fixed values for graph inputs, NAME:V0,V1,... (e.g. a sample rate an If tests); the input becomes a constant.")
            List<String> inputValues) {
        public Options(List<String> inputShapes, Optional<Long> onnxOpset, long maxFoldElements) {
            this(inputShapes, onnxOpset, maxFoldElements, List.of());
        }

        public Options {
            inputShapes = List.copyOf(inputShapes);
            InputShapes.parse(inputShapes);
            inputValues = List.copyOf(inputValues);
            InputShapes.parseValues(inputValues);
            if (onnxOpset == null) throw new IllegalArgumentException("onnx_opset must be given or empty, not null");
            if (onnxOpset.isPresent() && onnxOpset.get() < 1) {
                throw new IllegalArgumentException("onnx_opset must be >= 1, got " + onnxOpset.get());
            }
            if (maxFoldElements < 0) throw new IllegalArgumentException("max_fold_elements must be >= 0, got " + maxFoldElements);
        }
    }

    @Override public PassInfo info() {
        return PassInfo.required("convert_to_mil", "Lowers ONNX ops to Core ML MIL ops (folding static shape arithmetic).")
                .withContract(Set.of(), Set.of("mil"), Set.of("onnx"));
    }

    @Override public Options defaults() { return new Options(List.of(), Optional.empty(), 1 << 20, List.of()); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> {
            // Convert a scratch copy first, so that a refusal leaves the real graph untouched.
            Graph scratch = GraphCopy.of(graph);
            if (scratch != null) new Converter(scratch, options.base(), new QuietContext(context)).run();
            return new Converter(graph, options.base(), context).run();
        };
    }

    /** Op types with a lowering (besides those that only fold). */
    static final Map<String, Lowering> LOWERINGS = new HashMap<>();

    /** Ops that lower only when they fold to a constant. */
    private static final Set<String> FOLD_ONLY = Set.of("Size", "Constant");

    static {
        ElementwiseLowerings.register(LOWERINGS);
        NnLowerings.register(LOWERINGS);
        TensorLowerings.register(LOWERINGS);
        ControlFlowLowerings.register(LOWERINGS);
        ScanLowering.register(LOWERINGS);
        RecurrentLowerings.register(LOWERINGS);
        QuantizedLowerings.register(LOWERINGS);
        ScatterNd.register(LOWERINGS);
        AttentionLowerings.register(LOWERINGS);
        MatMulNBitsLowering.register(LOWERINGS);
        ContribLowerings.register(LOWERINGS);
    }

    /** Whether convert_to_mil can lower this node's op type at all. */
    static boolean supports(Node n) {
        return LOWERINGS.containsKey(key(n)) || (isDefaultDomain(n) && FOLD_ONLY.contains(n.opType()));
    }

    /** The LOWERINGS key of a node: its op type, prefixed by its domain outside the default one (com.microsoft.Gelu). */
    static String key(Node n) {
        return isDefaultDomain(n) ? n.opType() : n.domain() + "." + n.opType();
    }

    private static boolean isDefaultDomain(Node n) {
        return n.domain().isEmpty() || n.domain().equals("ai.onnx");
    }

    private static final class Converter {
        private final Graph g;
        private final Options options;
        private final PassContext context;
        private final Rewriter rw;
        /** The converter of the enclosing graph, while a subgraph (an If branch, a Loop body) is lowered. */
        private final Converter outer;
        /** MIL-typed copies of ONNX constants whose dtype MIL lacks. */
        private final Map<Value, Value> converted = new HashMap<>();
        private final Set<Value> constantsUsedBefore = new HashSet<>();
        private final Set<Value> initialConstants = new HashSet<>();

        Converter(Graph g, Options options, PassContext context) {
            this(g, options, context, null);
        }

        private Converter(Graph g, Options options, PassContext context, Converter outer) {
            this.g = g;
            this.options = options;
            this.context = context;
            this.rw = g.rewriter();
            this.outer = outer;
        }

        PassResult run() throws PassFailure {
            if (g.nodes().stream().noneMatch(n -> n.dialect().equals("onnx"))) {
                return PassResult.of(fixInputs());
            }
            refuseUnsupported();
            fixInputs();
            List<DType> onnxOutputTypes = g.outputs().stream().map(v -> v.tensorType().dtype()).toList();
            SubgraphOutputs.computeInside(g);
            try {
                retypeInputs();
            } catch (LoweringException e) {
                throw new PassFailure(PassesCode.MIL002, "convert_to_mil: graph input default: " + e.getMessage());
            }
            try {
                lowerNodes();
            } catch (NodeFailure f) {
                Node n = f.node;
                throw new PassFailure(PassesCode.MIL002, n, "convert_to_mil: " + n.opType() + " '" + n.name() + "'" + where(n) + ": " + f.getMessage()
                        + FixHints.forBranch(n));
            }
            fixOutputs();
            featureOutputs(onnxOutputTypes);
            removeLeftovers();
            return PassResult.CHANGED;
        }

        /** Lowers (or folds) every ONNX node of this graph, subgraphs as their If / Loop is reached. */
        private void lowerNodes() {
            initialConstants.addAll(g.constants());
            for (Value c : g.constants()) if (c.hasUses() || g.isOutput(c)) constantsUsedBefore.add(c);
            for (Node n : List.copyOf(g.nodes())) {
                if (n.op().equals("pare.quantize") || n.op().equals("pare.dequantize")) {
                    retypeActivationQuantization(n);
                    continue;
                }
                if (!n.dialect().equals("onnx")) continue;
                try {
                    lowerOrFold(n);
                } catch (LoweringException e) {
                    throw new NodeFailure(n, e.getMessage() + FixHints.of(e));
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new NodeFailure(n, e.getMessage());
                }
            }
            int fused = MatmulBiasFusion.run(g, converted.values());
            if (fused > 0) context.statistics().add("matmul_bias_fused", fused);
        }

        /** Lowers a subgraph of a node of this graph in place, as a MIL block. */
        private void lowerBlock(Graph sub) {
            Converter inner = new Converter(sub, options, context, this);
            inner.lowerNodes();
            inner.removeLeftovers();
            inner.computeOutputsInside();
        }

        /**
         * MIL block outputs are values the block computes: outputs that are constants, block inputs
         * or values of enclosing blocks get an identity op.
         */
        private void computeOutputsInside() {
            for (int i = 0; i < g.outputs().size(); i++) {
                Value o = g.outputs().get(i);
                if (o.producer() != null && o.producer().graph() == g && o.producer().dialect().equals("mil")) continue;
                MilEmitter e = new MilEmitter(rw, Location.UNKNOWN, o.name(), List.of());
                rw.setOutput(i, e.op("identity", rw.uniqueValueName(o.name() + "_out"), "x", milView(o)));
            }
        }

        /** " (in subgraph 'then')" for a node of a subgraph, else "". */
        private static String where(Node n) {
            Graph graph = n.graph();
            if (graph.parent() == null) return "";
            return " (in subgraph '" + graph.name() + "')";
        }

        /**
         * A quantize/dequantize pair on an activation keeps its input's shape; once the producer is
         * lowered (and input shapes fixed) that shape is known, so the pair's results get it too.
         */
        private void retypeActivationQuantization(Node n) {
            TensorType in = n.operand(0).tensorType();
            if (!in.hasRank()) return;
            DType d = n.op().equals("pare.quantize") ? n.operand(2).tensorType().dtype() : DType.FLOAT32;
            TensorType t = new TensorType(d, in.dims());
            if (!t.equals(n.result(0).type())) rw.setType(n.result(0), t);
        }

        private boolean fixInputs() throws PassFailure {
            if (options.inputShapes().isEmpty() && options.inputValues().isEmpty()) return false;
            try {
                boolean changed = InputShapes.apply(g, InputShapes.parse(options.inputShapes()));
                return InputShapes.applyValues(g, InputShapes.parseValues(options.inputValues())) || changed;
            } catch (IllegalArgumentException e) {
                throw new PassFailure(PassesCode.MIL003, "convert_to_mil: " + e.getMessage());
            }
        }

        private static final int NAMES_SHOWN = 3;

        private void refuseUnsupported() throws PassFailure {
            Map<String, List<String>> missing = new TreeMap<>();
            for (Node n : g.allNodes()) {
                if (n.dialect().equals("onnx") && !supports(n)) {
                    String type = n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType();
                    missing.computeIfAbsent(type, k -> new ArrayList<>()).add(n.name());
                }
            }
            if (missing.isEmpty()) return;
            List<String> parts = new ArrayList<>();
            // a few node names per type: one line must still show every type (a transformer repeats an op hundreds of times)
            missing.forEach((type, names) -> parts.add(type + " (" + String.join(", ", names.subList(0, Math.min(names.size(), NAMES_SHOWN)))
                    + (names.size() > NAMES_SHOWN ? " and " + (names.size() - NAMES_SHOWN) + " more" : "") + ")"));
            // ONNX Runtime's fused ops (Attention, MoE, ...) exist only after its optimizers ran:
            // the model as exported before them is made of standard ops, which is the smallest fix a user has
            boolean fused = missing.keySet().stream().anyMatch(t -> t.startsWith("com.microsoft."));
            throw new PassFailure(PassesCode.MIL001, "convert_to_mil: no MIL lowering for " + missing.size() + " op type"
                    + (missing.size() == 1 ? "" : "s") + ": " + String.join(", ", parts)
                    + (fused ? "; com.microsoft ops are ONNX Runtime's fusions, made by its graph optimizations, transformers optimizer or "
                            + "GenAI model builder: convert the model as exported before them, e.g. torch.onnx.export's output" : ""));
        }

        /**
         * int64 / float64 graph inputs become int32 / float32: MIL has no such tensors. A bool or
         * uint8 input becomes an int32 input cast to bool / uint8 before its first use: a Core ML
         * feature cannot be either (its array types are fp32, fp16, int32, and int8 from iOS 26).
         * Each records its ONNX dtype ({@link FeatureTypes#ORIGINAL_DTYPE}).
         */
        private void retypeInputs() {
            for (Value in : List.copyOf(g.inputs())) {
                TensorType t = in.tensorType();
                boolean narrow = t.dtype() == DType.BOOL || t.dtype() == DType.UINT8;
                DType d = narrow ? DType.INT32 : MilDTypes.milOf(t.dtype());
                if (d == t.dtype()) continue;
                rw.setType(in, t.withDType(d));
                if (in.data() != null) rw.setInputDefault(in, convertData(in.name(), in.data(), d));
                recordOriginalDType(in, t.dtype());
                context.statistics().increment("inputs_retyped");
                if (narrow) castNarrowInput(in, t.dtype());
            }
        }

        /** The int32 feature of a bool or uint8 input, cast back to that dtype in front of the program for its uses. */
        private void castNarrowInput(Value in, DType onnx) {
            List<Value.Use> uses = List.copyOf(in.uses());
            if (g.nodes().isEmpty()) rw.setInsertionPointToEnd();
            else rw.setInsertionPointBefore(g.nodes().get(0));
            MilEmitter e = new MilEmitter(rw, Location.UNKNOWN, in.name(), List.of());
            String to = MilDTypes.milName(onnx);
            Value cast = e.op("cast", rw.uniqueValueName(in.name() + "_" + to), "x", in, "dtype", to);
            rw.setInsertionPointToEnd();
            for (Value.Use u : uses) u.user().graph().rewriter().setOperand(u.user(), u.operandIndex(), cast);
            context.diagnostics().note(PassesCode.MIL004, Location.UNKNOWN, "convert_to_mil: input '" + in.name() + "' is "
                    + onnx.shortName() + ", which a Core ML feature cannot be: it becomes an int32 input ("
                    + (onnx == DType.BOOL ? "0 = false, 1 = true" : "0 to 255") + ") cast to " + onnx.shortName() + " in the program");
        }

        /**
         * Graph outputs whose dtype differs from the ONNX output's record it; a bool or uint8 output
         * gets a cast to int32 under its name, since a Core ML feature cannot be either (int8 can,
         * from iOS 26).
         */
        private void featureOutputs(List<DType> onnxTypes) {
            Map<Value, Value> casts = new HashMap<>();
            for (int i = 0; i < g.outputs().size(); i++) {
                Value o = g.outputs().get(i);
                DType d = o.tensorType().dtype();
                if ((d == DType.BOOL || d == DType.UINT8) && !g.inputs().contains(o)) {
                    Value c = casts.get(o);
                    if (c == null) {
                        String name = o.name();
                        rw.renameValue(o, rw.uniqueValueName(name + "_" + d.shortName()));
                        rw.setInsertionPointToEnd();
                        MilEmitter e = new MilEmitter(rw, Location.UNKNOWN, name, List.of());
                        c = e.op("cast", name, "x", o, "dtype", "int32");
                        rw.setMetadata(c, o.metadata());
                        casts.put(o, c);
                        context.diagnostics().note(PassesCode.MIL004, Location.UNKNOWN, "convert_to_mil: output '" + name + "' is "
                                + d.shortName() + ", which a Core ML feature cannot be: the program casts it to int32"
                                + (d == DType.BOOL ? " (0 = false, 1 = true)" : ""));
                    }
                    rw.setOutput(i, c);
                    o = c;
                }
                if (o.tensorType().dtype() != onnxTypes.get(i)) recordOriginalDType(o, onnxTypes.get(i));
            }
        }

        private void recordOriginalDType(Value v, DType onnx) {
            if (v.metadata().containsKey(FeatureTypes.ORIGINAL_DTYPE)) return;
            Map<String, String> m = new java.util.LinkedHashMap<>(v.metadata());
            m.put(FeatureTypes.ORIGINAL_DTYPE, onnx.shortName());
            rw.setMetadata(v, m);
        }

        private void lowerOrFold(Node n) {
            TensorData folded = ConstFolding.foldedValue(n, options.maxFoldElements());
            if (folded == null) folded = ShapeFolding.fold(n, options.maxFoldElements());
            if (folded == null) folded = ScatterNd.fold(n, options.maxFoldElements());
            if (folded != null) {
                replaceByConstant(n, folded);
                context.statistics().increment("nodes_folded");
                return;
            }
            if (n.opType().equals("Split") && foldSplit(n)) {
                context.statistics().increment("nodes_folded");
                return;
            }
            if (n.opType().equals("If") && n.operand(0).isConstant()) {
                inlineTakenBranch(n);
                return;
            }
            Lowering lowering = LOWERINGS.get(key(n));
            if (lowering == null) {
                throw new LoweringException("needs constant operands or static input shapes to fold", n.operands().isEmpty() ? null : n.operand(0),
                        n.opType().equals("Size") ? LoweringException.Need.SHAPE : LoweringException.Need.VALUE);
            }
            // Free the result names so the ops computing them can take them over.
            List<String> names = new ArrayList<>();
            for (Value r : n.results()) {
                names.add(r.isAbsent() ? "" : r.name());
                if (!r.isAbsent()) rw.renameValue(r, rw.uniqueValueName(r.name() + ".onnx"));
            }
            String base = names.stream().filter(s -> !s.isEmpty()).findFirst().orElse(n.name());
            rw.setInsertionPointBefore(n);
            MilEmitter e = new MilEmitter(rw, n.location(), base, names);
            List<Value> results = lowering.lower(new OnnxOp(n, e, options.onnxOpset(), this::milView, this::lowerBlock));
            for (int i = 0; i < n.results().size(); i++) {
                Value r = n.result(i);
                if (r.isAbsent()) continue;
                Value to = i < results.size() ? results.get(i) : null;
                if (to == null) {
                    if (r.hasUses() || g.isOutput(r)) throw new LoweringException("result " + i + " is used but has no lowering");
                    continue;
                }
                if (g.isOutput(r) && !e.created().contains(to)) {
                    to = e.op("identity", names.get(i), "x", milView(to));
                }
                rw.replaceAllUsesWith(r, to);
            }
            rw.setInsertionPointToEnd();
            rw.erase(n);
            context.statistics().increment("nodes_lowered");
            for (int i = 0; i < n.results().size() && i < results.size(); i++) {
                Value to = results.get(i);
                String name = names.get(i);
                if (to != null && e.created().contains(to) && !to.name().equals(name) && !g.isNameTaken(name)) {
                    rw.renameValue(to, name);
                }
            }
        }

        /**
         * An If whose condition folded (static input shapes often decide it: rank or size checks)
         * is replaced by the ops of the branch it takes, which are then lowered here; the branches
         * may differ in ways a MIL cond cannot hold (e.g. output ranks).
         */
        private void inlineTakenBranch(Node n) {
            long[] cond = MilArgs.longs(n.operand(0));
            if (cond.length != 1) throw new LoweringException("the condition has " + cond.length + " elements, not 1");
            Graph branch = ((dev.pare.ir.Attribute.GraphAttr) n.attributes().get(cond[0] != 0 ? "then_branch" : "else_branch")
                    .orElseThrow(() -> new LoweringException("has no then_branch / else_branch graph"))).value();
            rw.setInsertionPointBefore(n);
            List<Node> created = new ArrayList<>();
            List<Value> outs = GraphCopy.inline(branch, rw, created);
            rw.setInsertionPointToEnd();
            if (outs.size() != n.results().size()) throw new LoweringException("the branch gives " + outs.size() + " outputs for " + n.results().size() + " results");
            List<String> names = new ArrayList<>();
            for (int i = 0; i < outs.size(); i++) {
                Value r = n.result(i);
                names.add(r.isAbsent() ? "" : r.name());
                if (!r.isAbsent()) rw.replaceAllUsesWith(r, outs.get(i));
            }
            rw.erase(n);
            for (int i = 0; i < outs.size(); i++) {
                Value o = outs.get(i);
                if (!names.get(i).isEmpty() && o.producer() != null && created.contains(o.producer()) && !g.isNameTaken(names.get(i))) {
                    rw.renameValue(o, names.get(i));
                }
            }
            context.statistics().increment("if_inlined");
            for (Node c : created) {
                if (!c.dialect().equals("onnx")) continue;
                try {
                    lowerOrFold(c);
                } catch (LoweringException e) {
                    throw new NodeFailure(c, e.getMessage() + FixHints.of(e));
                } catch (IllegalArgumentException | ArithmeticException e) {
                    throw new NodeFailure(c, e.getMessage());
                }
            }
        }

        /**
         * Split of a constant (e.g. tf2onnx's pads shuffled by Split → Concat → Reshape → Transpose)
         * becomes one constant per result, so that what depends on it folds too.
         */
        private boolean foldSplit(Node n) {
            Value x = n.operand(0);
            if (!x.isConstant() || !(x.data() instanceof DenseData) || x.tensorType().dtype().bits() % 8 != 0) return false;
            long[] shape = x.tensorType().shape();
            int rank = shape.length;
            long axis = n.attributes().getInt("axis", 0);
            if (axis < 0) axis += rank;
            if (axis < 0 || axis >= rank) return false;
            int parts = n.results().size();
            long[] sizes = null;
            if (n.operands().size() > 1 && !n.operand(1).isAbsent()) {
                if (!n.operand(1).isConstant()) return false;
                sizes = MilArgs.longs(n.operand(1));
            } else if (n.attributes().get("split").isPresent()) {
                sizes = ((dev.pare.ir.Attribute.IntsAttr) n.attributes().get("split").get()).values().stream().mapToLong(Long::longValue).toArray();
            } else if (shape[(int) axis] % parts == 0) {
                sizes = new long[parts];
                java.util.Arrays.fill(sizes, shape[(int) axis] / parts);
            }
            if (sizes == null || sizes.length != parts || java.util.Arrays.stream(sizes).sum() != shape[(int) axis]) return false;
            int es = x.tensorType().dtype().bits() / 8;
            long outer = 1;
            long inner = 1;
            for (int i = 0; i < rank; i++) {
                if (i < axis) outer *= shape[i];
                else if (i > axis) inner *= shape[i];
            }
            ByteBuffer src = x.data().bytes();
            List<Value> constants = new ArrayList<>();
            long offset = 0;
            for (long size : sizes) {
                long[] partShape = shape.clone();
                partShape[(int) axis] = size;
                ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(outer * size * inner * es)).order(ByteOrder.LITTLE_ENDIAN);
                for (long o = 0; o < outer; o++) {
                    int from = Math.toIntExact(((o * shape[(int) axis] + offset) * inner) * es);
                    ByteBuffer block = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                    block.position(from).limit(from + Math.toIntExact(size * inner * es));
                    dst.put(block);
                }
                offset += size;
                constants.add(rw.addConstant(rw.uniqueValueName(n.name() + "_" + constants.size()),
                        TensorData.ofBuffer(TensorType.of(x.tensorType().dtype(), partShape), dst.flip())));
            }
            for (int i = 0; i < parts; i++) {
                Value r = n.result(i);
                if (r.isAbsent()) continue;
                if (g.isOutput(r)) return undo(constants);
            }
            for (int i = 0; i < parts; i++) if (!n.result(i).isAbsent()) rw.replaceAllUsesWith(n.result(i), constants.get(i));
            rw.erase(n);
            return true;
        }

        private boolean undo(List<Value> constants) {
            for (Value c : constants) rw.eraseConstant(c);
            return false;
        }

        private void replaceByConstant(Node n, TensorData data) {
            rw.replaceWithConstant(n, data);
        }

        /** A value as MIL operands see it: constants of a dtype MIL lacks get a converted copy. */
        Value milView(Value v) {
            if (!v.isConstant() || MilDTypes.isMil(v.tensorType().dtype())) return v;
            // a constant of an enclosing graph gets its copy there, where every block sees it
            if (outer != null && g.value(v.name()).orElse(null) != v) return outer.milView(v);
            return converted.computeIfAbsent(v, this::convertConstant);
        }

        private Value convertConstant(Value v) {
            TensorData data = convertData(v.name(), v.data(), MilDTypes.milOf(v.data().dtype()));
            context.statistics().increment("constants_converted");
            return rw.addConstant(rw.uniqueValueName(v.name() + "_" + MilDTypes.milName(data.dtype())), data);
        }

        /** int64-like (or bool) data as int32 (refusing values int32 cannot hold), float64 as float32. */
        private static TensorData convertData(String name, TensorData d, DType to) {
            long count = d.elementCount();
            ByteBuffer src = d.bytes();
            ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(count * 4)).order(ByteOrder.LITTLE_ENDIAN);
            if (to == DType.FLOAT32 && d.dtype() == DType.FLOAT64) {
                for (int i = 0; i < count; i++) dst.putFloat((float) src.getDouble(i * 8));
            } else if (to == DType.INT32 && d.dtype() == DType.BOOL) {
                for (int i = 0; i < count; i++) dst.putInt(src.get(i) != 0 ? 1 : 0);
            } else if (to == DType.INT32 && d instanceof DenseData) {
                for (long x : MilArgs.longs(d)) {
                    if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                        throw new LoweringException("constant " + name + " holds " + x + ", which int32 cannot (MIL has no int64)");
                    }
                    dst.putInt((int) x);
                }
            } else {
                throw new LoweringException("constant " + name + " has dtype " + d.dtype().shortName() + ", which MIL has no tensors of");
            }
            return TensorData.ofBuffer(TensorType.of(to, d.type().shape()), dst.flip());
        }

        /** Graph outputs that are ONNX-typed constants become their MIL copies. */
        private void fixOutputs() {
            for (int i = 0; i < g.outputs().size(); i++) {
                Value o = g.outputs().get(i);
                Value m = milView(o);
                if (m != o) rw.setOutput(i, m);
            }
        }

        /** Original constants only ONNX ops used, and folded constants nothing reads any more. */
        private void removeLeftovers() {
            for (Value c : List.copyOf(g.constants())) {
                if (c.hasUses() || g.isOutput(c)) continue;
                // constants nothing used before the pass are not ours to remove
                if (initialConstants.contains(c) && !constantsUsedBefore.contains(c)) continue;
                String name = c.name();
                rw.eraseConstant(c);
                Value copy = converted.get(c);
                if (copy != null && !g.isNameTaken(name)) rw.renameValue(copy, name);
            }
        }
    }

    /** A node that cannot be lowered, possibly deep inside a subgraph: reported naming that node. */
    private static final class NodeFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Node node;

        NodeFailure(Node node, String message) {
            super(message, null, false, false);
            this.node = node;
        }
    }
}
