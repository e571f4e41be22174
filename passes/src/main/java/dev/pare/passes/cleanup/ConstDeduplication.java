package dev.pare.passes.cleanup;

import dev.pare.ir.Attribute;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.DenseData;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code const_deduplication}: constants with the same content (dtype, shape and bytes: the
 * SHA-256, only among constants of one type, then a byte comparison; sparse constants compare their non-zero entries, never
 * expanding them) are merged into the first one; {@code onnx.Constant}
 * nodes with equal values likewise. Each graph and subgraph is deduplicated on its own. A
 * duplicate that is an output of its graph keeps its name and stays; graph inputs with a default
 * value are never merged, since a caller may override them.
 */
public final class ConstDeduplication implements PassProvider<ConstDeduplication.Options> {

    /** @param minBytes constants smaller than this are left alone (0 merges everything) */
    public record Options(
            @Option(help = "Only merge constants of at least this many bytes.", min = 0) long minBytes) {
        public Options {
            if (minBytes < 0) throw new IllegalArgumentException("min_bytes must be >= 0, got " + minBytes);
        }
    }

    @Override public PassInfo info() {
        return PassInfo.optional("const_deduplication", "Merges constants and Constant nodes with identical contents.");
    }

    @Override public Options defaults() { return new Options(0); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> PassResult.of(dedupe(graph, options, context));
    }

    private static boolean dedupe(Graph g, ScopedOptions<Options> options, PassContext context) {
        Rewriter rw = g.rewriter();
        boolean changed = false;
        long minBytes = options.base().minBytes();
        // Grouped by kind and type first: a constant's SHA-256 is computed only when an earlier one
        // has its type (hashing a lone 64 MiB weight cost more than the rest of the cleanup).
        Map<List<Object>, List<Value>> constantsByType = new HashMap<>();
        for (Value c : List.copyOf(g.constants())) {
            TensorData data = c.data();
            if (data.byteSize() < minBytes) continue;
            List<Value> same = constantsByType.computeIfAbsent(List.of(data.getClass(), data.type()), k -> new ArrayList<>());
            Value keeper = same.stream()
                    .filter(k -> k.data().sha256().equals(data.sha256()) && sameContent(k.data(), data))
                    .findFirst().orElse(null);
            if (keeper == null || g.isOutput(c)) {
                same.add(c);
                continue;
            }
            GraphEdits.replaceAllUses(g, c, keeper);
            rw.eraseConstant(c);
            context.statistics().increment("constants_merged");
            context.statistics().add("bytes_saved", data.byteSize());
            changed = true;
        }

        Map<String, List<Node>> constantNodes = new HashMap<>();
        for (Node n : List.copyOf(g.nodes())) {
            if (GraphEdits.isOnnx(n, "Constant") && n.attributes().size() == 1 && n.results().size() == 1
                    && options.forNode(n).isPresent()) {
                Map.Entry<String, Attribute> value = n.attributes().asMap().entrySet().iterator().next();
                if (byteSize(value.getValue()) >= minBytes) {
                    List<Node> same = constantNodes.computeIfAbsent(value.getKey() + "/" + digest(value.getValue()), k -> new ArrayList<>());
                    Node keeper = same.stream().filter(k -> sameValue(k, value.getValue())).findFirst().orElse(null);
                    if (keeper == null || g.isOutput(n.result(0))) {
                        same.add(n);
                    } else {
                        GraphEdits.replaceAllUses(g, n.result(0), keeper.result(0));
                        GraphEdits.eraseWithSubgraphs(rw, n);
                        context.statistics().increment("constant_nodes_merged");
                        changed = true;
                        continue;
                    }
                }
            }
            for (Graph sub : n.subgraphs()) changed |= dedupe(sub, options, context);
        }
        return changed;
    }

    private static final int COMPARE_CHUNK = 1 << 30;

    private static boolean sameContent(TensorData a, TensorData b) {
        // Sparse constants compare their sparse forms: a pruned weight may declare more elements than one buffer holds.
        if (a instanceof SparseData sa && b instanceof SparseData sb) return sa.sameValue(sb);
        if (a.getClass() != b.getClass() || !a.type().equals(b.type())) return false;
        if (!(a instanceof DenseData)) return a.bytes().equals(b.bytes());
        // Piece by piece: a dense tensor may be larger than the 2 GiB one buffer holds.
        long size = a.byteSize();
        for (long at = 0; at < size; at += COMPARE_CHUNK) {
            int n = (int) Math.min(COMPARE_CHUNK, size - at);
            if (!a.slice(at, n).equals(b.slice(at, n))) return false;
        }
        return true;
    }

    private static boolean sameValue(Node keeper, Attribute value) {
        Attribute k = keeper.attributes().asMap().values().iterator().next();
        if (k instanceof Attribute.TensorAttr kt && value instanceof Attribute.TensorAttr vt) return sameContent(kt.value(), vt.value());
        if (k instanceof Attribute.SparseTensorAttr ks && value instanceof Attribute.SparseTensorAttr vs) {
            return sameContent(ks.value(), vs.value());
        }
        return k.equals(value);
    }

    private static String digest(Attribute a) {
        if (a instanceof Attribute.TensorAttr t) return t.value().sha256();
        if (a instanceof Attribute.SparseTensorAttr s) return s.value().sha256();
        return a.toString();
    }

    /** The size of a Constant node's value, as {@code min_bytes} measures it. */
    private static long byteSize(Attribute a) {
        if (a instanceof Attribute.TensorAttr t) return t.value().byteSize();
        if (a instanceof Attribute.SparseTensorAttr s) return s.value().byteSize();
        if (a instanceof Attribute.FloatAttr) return 4;
        if (a instanceof Attribute.IntAttr) return 8;
        if (a instanceof Attribute.FloatsAttr fs) return 4L * fs.values().size();
        if (a instanceof Attribute.IntsAttr is) return 8L * is.values().size();
        if (a instanceof Attribute.StringAttr s) return s.value().getBytes(StandardCharsets.UTF_8).length;
        if (a instanceof Attribute.StringsAttr ss) {
            return ss.values().stream().mapToLong(s -> s.getBytes(StandardCharsets.UTF_8).length).sum();
        }
        return 0;
    }
}
