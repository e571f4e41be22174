package dev.pare.compiler.coreml.eval;

import dev.pare.ir.MilConstexprEvaluator;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reference evaluator for a graph of {@code mil.*} nodes (ir/MIL_DIALECT.md): runs it on input
 * tensors and returns its outputs, so a Core ML program can be checked without Core ML. Op
 * semantics are MIL's (coremltools ops/defs iOS15..iOS17); {@code mil.constexpr_*} nodes are
 * evaluated by {@link MilConstexprEvaluator}; {@code cond} and {@code while_loop} run their
 * nested blocks (node subgraphs). Computes in float32 and rounds results of fp16 ops
 * to fp16. Errors are {@link MilEvalException}s naming the node and op.
 */
public final class MilInterpreter {

    private final Graph graph;
    /** Constants and constexpr results, decoded once and shared by every run. */
    private final Map<Value, MilTensor> constantTensors = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Value, TensorData> constexprResults = new java.util.concurrent.ConcurrentHashMap<>();

    public MilInterpreter(Graph graph) {
        this.graph = graph;
    }

    /** Runs the graph; {@code inputs} by graph input name; returns the outputs by name, in order. */
    public Map<String, TensorData> run(Map<String, TensorData> inputs) {
        return run(inputs, List.of());
    }

    /** As {@link #run(Map)}, also returning the values of {@code captured} (computed values of the graph) by name. */
    public Map<String, TensorData> run(Map<String, TensorData> inputs, List<Value> captured) {
        Map<String, MilTensor> in = new HashMap<>();
        for (Map.Entry<String, TensorData> e : inputs.entrySet()) in.put(e.getKey(), MilTensor.of(e.getValue()));
        Map<String, MilTensor> out = runTensors(in, captured);
        Map<String, TensorData> result = new LinkedHashMap<>();
        for (Map.Entry<String, MilTensor> e : out.entrySet()) result.put(e.getKey(), e.getValue().toData());
        return result;
    }

    /** As {@link #run(Map)} with interpreter tensors. */
    public Map<String, MilTensor> runTensors(Map<String, MilTensor> inputs) {
        return runTensors(inputs, List.of());
    }

    private Map<String, MilTensor> runTensors(Map<String, MilTensor> inputs, List<Value> captured) {
        Env env = new Env(constantTensors, constexprResults);
        for (Value v : graph.inputs()) {
            MilTensor t = inputs.get(v.name());
            if (t == null) throw new MilEvalException("missing input '" + v.name() + "'");
            env.tensors.put(v, asDeclared(v, t));
        }
        Set<Value> kept = new HashSet<>(graph.outputs());
        kept.addAll(captured);
        List<Node> nodes = graph.nodes();
        List<List<Value>> dying = lastUses(nodes, kept);
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!(MilConstexprEvaluator.isConstexpr(n.op()) && constexprResults.containsKey(n.result(0)))) execute(n, env);
            // a large net holds gigabytes of activations: drop each one once its last consumer ran
            for (Value v : dying.get(i)) env.tensors.remove(v);
        }
        Map<String, MilTensor> out = new LinkedHashMap<>();
        for (Value v : graph.outputs()) out.put(v.name(), env.tensor(v));
        for (Value v : captured) out.putIfAbsent(v.name(), env.tensor(v));
        return out;
    }

    /**
     * For each top-level node, the computed values (graph inputs and results) that no later node
     * reads, nested blocks included: they can be dropped once it has run. Results nobody reads die
     * at their producer. Graph outputs and captured values are never dropped.
     */
    static List<List<Value>> lastUses(List<Node> nodes, Set<Value> kept) {
        Map<Value, Integer> last = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (Value r : n.results()) last.put(r, i);
            markUses(n, i, last);
        }
        List<List<Value>> dying = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) dying.add(new ArrayList<>());
        for (Map.Entry<Value, Integer> e : last.entrySet()) {
            Value v = e.getKey();
            if (!kept.contains(v) && !v.isConstant()) dying.get(e.getValue()).add(v);
        }
        return dying;
    }

    private static void markUses(Node n, int index, Map<Value, Integer> last) {
        for (Value v : n.operands()) if (v != null) last.put(v, index);
        for (Graph block : n.subgraphs()) {
            for (Node m : block.nodes()) markUses(m, index, last);
            for (Value v : block.outputs()) last.put(v, index);
        }
    }

    /** A float input given as fp32 for an fp16 input (or the reverse) is converted, as Core ML does. */
    private static MilTensor asDeclared(Value input, MilTensor t) {
        DType declared = input.tensorType().dtype();
        if (t.isFloat() && (declared == DType.FLOAT16 || declared == DType.FLOAT32) && declared != t.dtype()) {
            return MilTensor.floats(declared, t.shapeRef(), t.toFloats());
        }
        return t;
    }

    private static void execute(Node n, Env env) {
        if (!n.op().startsWith("mil.")) throw new MilEvalException(n, "is not a mil op");
        try {
            if (MilConstexprEvaluator.isConstexpr(n.op())) {
                List<TensorData> results;
                try {
                    results = MilConstexprEvaluator.evaluate(n, env::data);
                } catch (IllegalArgumentException e) {
                    throw new MilEvalException(n, e.getMessage(), false); // already names the op and node
                }
                for (int r = 0; r < results.size() && r < n.results().size(); r++) env.constexprs.put(n.result(r), results.get(r));
                return;
            }
            List<MilTensor> results = n.subgraphs().isEmpty() ? MilOps.apply(n.opType(), new Args(n, env))
                    : controlFlow(n, env);
            if (results.size() != n.results().size()) {
                throw new MilEvalException(n, "computed " + results.size() + " results for " + n.results().size() + " result values");
            }
            for (int r = 0; r < results.size(); r++) env.tensors.put(n.result(r), results.get(r));
        } catch (MilEvalException e) {
            throw e.node() == null ? new MilEvalException(n, e.getMessage()) : e;
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException e) {
            throw new MilEvalException(n, e.getMessage());
        }
    }

    /** Loops that run longer than this are taken to be endless. */
    static final int MAX_LOOP_ITERATIONS = 1_000_000;

    /**
     * {@code cond} (blocks: taken when pred is true, else) and {@code while_loop} (blocks: the
     * condition and the body, both taking the loop variables; the results are the final variables).
     * Block nodes see the values of enclosing blocks through the shared environment.
     */
    private static List<MilTensor> controlFlow(Node n, Env env) {
        Args a = new Args(n, env);
        List<Graph> blocks = n.subgraphs();
        switch (n.opType()) {
            case "cond": {
                if (blocks.size() != 2) throw a.fail("has " + blocks.size() + " blocks; cond has 2");
                return runBlock(blocks.get(a.get("pred").get(0) != 0 ? 0 : 1), List.of(), env, n);
            }
            case "while_loop": {
                if (blocks.size() != 2) throw a.fail("has " + blocks.size() + " blocks; while_loop has 2 (cond, body)");
                List<MilTensor> vars = a.all("loop_vars");
                for (int i = 0; i < MAX_LOOP_ITERATIONS; i++) {
                    if (runBlock(blocks.get(0), vars, env, n).get(0).get(0) == 0) return vars;
                    vars = runBlock(blocks.get(1), vars, env, n);
                }
                throw a.fail("did not stop after " + MAX_LOOP_ITERATIONS + " iterations");
            }
            default:
                throw a.fail("has nested blocks, which the interpreter runs only for cond and while_loop");
        }
    }

    private static List<MilTensor> runBlock(Graph block, List<MilTensor> inputs, Env env, Node owner) {
        if (inputs.size() != block.inputs().size()) {
            throw new MilEvalException(owner, "block '" + block.name() + "' takes " + block.inputs().size()
                    + " inputs, given " + inputs.size());
        }
        for (int i = 0; i < inputs.size(); i++) env.tensors.put(block.inputs().get(i), inputs.get(i));
        for (Node m : block.nodes()) execute(m, env);
        List<MilTensor> out = new ArrayList<>();
        for (Value v : block.outputs()) out.add(env.tensor(v));
        return out;
    }

    /**
     * Values of one run: computed tensors, plus the interpreter-wide caches of decoded constants and
     * of constexpr results (kept as IR data so that constexpr chains see their exact types).
     */
    private static final class Env {
        final Map<Value, MilTensor> tensors = new HashMap<>();
        final Map<Value, MilTensor> constants;
        final Map<Value, TensorData> constexprs;

        Env(Map<Value, MilTensor> constants, Map<Value, TensorData> constexprs) {
            this.constants = constants;
            this.constexprs = constexprs;
        }

        MilTensor tensor(Value v) {
            MilTensor t = tensors.get(v);
            if (t != null) return t;
            t = constants.get(v);
            if (t != null) return t;
            TensorData d = data(v);
            if (d == null) throw new MilEvalException("value %" + v.name() + " has not been computed");
            t = MilTensor.of(d);
            constants.put(v, t);
            return t;
        }

        TensorData data(Value v) {
            if (v.isConstant()) return v.data();
            TensorData d = constexprs.get(v);
            if (d == null && tensors.containsKey(v)) d = tensors.get(v).toData();
            return d;
        }
    }

    /** The named operands of one node, with MIL's defaults for the optional ones. */
    static final class Args {
        private final Node node;
        private final Env env;
        private final List<String> names;

        Args(Node node, Env env) {
            this.node = node;
            this.env = env;
            this.names = MilParams.names(node);
        }

        Node node() { return node; }

        boolean has(String param) { return names.contains(param); }

        MilTensor get(String param) {
            int i = names.indexOf(param);
            if (i < 0) throw new MilEvalException(node, "missing parameter '" + param + "'");
            return env.tensor(node.operand(i));
        }

        MilTensor opt(String param) { return has(param) ? get(param) : null; }

        List<MilTensor> all(String param) {
            List<MilTensor> out = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) if (names.get(i).equals(param)) out.add(env.tensor(node.operand(i)));
            return out;
        }

        int intValue(String param, int fallback) {
            MilTensor t = opt(param);
            if (t == null) return fallback;
            if (t.size() != 1) throw new MilEvalException(node, "parameter '" + param + "' must be a scalar, got " + t.describe());
            return (int) t.get(0);
        }

        int intValue(String param) {
            if (!has(param)) throw new MilEvalException(node, "missing parameter '" + param + "'");
            return intValue(param, 0);
        }

        float floatValue(String param, float fallback) {
            MilTensor t = opt(param);
            if (t == null) return fallback;
            if (t.size() != 1) throw new MilEvalException(node, "parameter '" + param + "' must be a scalar, got " + t.describe());
            return (float) t.get(0);
        }

        boolean bool(String param, boolean fallback) {
            MilTensor t = opt(param);
            return t == null ? fallback : t.get(0) != 0;
        }

        int[] ints(String param, int[] fallback) {
            MilTensor t = opt(param);
            return t == null ? fallback : t.toInts();
        }

        String string(String param, String fallback) {
            MilTensor t = opt(param);
            return t == null ? fallback : t.stringValue();
        }

        MilEvalException fail(String message) { return new MilEvalException(node, message); }

        /** The declared dtype of result {@code r} (for ops whose dtype is not the input's). */
        DType resultType(int r) { return node.result(r).tensorType().dtype(); }
    }

    /** Exception with a node-naming message. */
    public static final class MilEvalException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Node node;

        MilEvalException(String message) {
            super(message);
            this.node = null;
        }

        MilEvalException(Node node, String message) {
            this(node, message, true);
        }

        MilEvalException(Node node, String message, boolean prefix) {
            super(prefix ? node.op() + " '" + node.name() + "': " + message : message);
            this.node = node;
        }

        Node node() { return node; }
    }
}
