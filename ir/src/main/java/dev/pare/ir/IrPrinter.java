package dev.pare.ir;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Stable text form of a graph: the golden format for tests and {@code --print-ir-*}. Small
 * constants print their values; large ones print size and a digest prefix, never addresses or
 * anything that varies between runs.
 */
public final class IrPrinter {

    /** Constants with at most this many elements print their values. */
    public static final int INLINE_LIMIT = 16;

    private IrPrinter() {}

    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        printGraph(g, sb, "");
        return sb.toString();
    }

    private static void printGraph(Graph g, StringBuilder sb, String indent) {
        sb.append("graph ").append(g.name()).append('(');
        sb.append(g.inputs().stream().map(IrPrinter::typed).collect(Collectors.joining(", ")));
        sb.append(") {\n");
        String in = indent + "  ";
        for (Value v : g.inputs()) {
            if (v.data() != null) sb.append(in).append("default ").append(ref(v)).append(" = ").append(data(v.data())).append('\n');
        }
        for (Value c : g.constants()) {
            sb.append(in).append(typed(c)).append(" = const ").append(data(c.data())).append('\n');
        }
        for (Node n : g.nodes()) {
            sb.append(in);
            if (!n.results().isEmpty()) {
                sb.append(n.results().stream().map(IrPrinter::typed).collect(Collectors.joining(", "))).append(" = ");
            }
            sb.append(n.op()).append('(');
            sb.append(n.operands().stream().map(IrPrinter::ref).collect(Collectors.joining(", ")));
            sb.append(')');
            if (!n.attributes().isEmpty()) {
                sb.append(" {");
                boolean first = true;
                for (Map.Entry<String, Attribute> e : n.attributes().asMap().entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    sb.append(e.getKey()).append('=');
                    attr(e.getValue(), sb, in);
                }
                sb.append('}');
            }
            sb.append(" @").append(n.name()).append('\n');
        }
        sb.append(in).append("return ")
          .append(g.outputs().stream().map(IrPrinter::ref).collect(Collectors.joining(", "))).append('\n');
        sb.append(indent).append("}");
        if (indent.isEmpty()) sb.append('\n');
    }

    private static String ref(Value v) { return v.isAbsent() ? "_" : "%" + v.name(); }

    private static String typed(Value v) {
        if (v.isAbsent()) return "_";
        Type t = v.type();
        if (t instanceof TensorType tt && tt.dtype() == DType.UNDEFINED && !tt.hasRank()) return ref(v);
        return ref(v) + ": " + t;
    }

    private static void attr(Attribute a, StringBuilder sb, String indent) {
        if (a instanceof Attribute.FloatAttr f) sb.append(formatFloat(f.value()));
        else if (a instanceof Attribute.IntAttr i) sb.append(i.value());
        else if (a instanceof Attribute.StringAttr s) sb.append(quote(s.value()));
        else if (a instanceof Attribute.TensorAttr t) sb.append(data(t.value()));
        else if (a instanceof Attribute.GraphAttr g) printGraph(g.value(), sb, indent);
        else if (a instanceof Attribute.FloatsAttr fs) sb.append(fs.values().stream().map(IrPrinter::formatFloat).collect(Collectors.joining(", ", "[", "]")));
        else if (a instanceof Attribute.IntsAttr is) sb.append(is.values());
        else if (a instanceof Attribute.StringsAttr ss) sb.append(ss.values().stream().map(IrPrinter::quote).collect(Collectors.joining(", ", "[", "]")));
        else if (a instanceof Attribute.TensorsAttr ts) sb.append(ts.values().stream().map(IrPrinter::data).collect(Collectors.joining(", ", "[", "]")));
        else if (a instanceof Attribute.GraphsAttr gs) {
            sb.append('[');
            for (int i = 0; i < gs.values().size(); i++) {
                if (i > 0) sb.append(", ");
                printGraph(gs.values().get(i), sb, indent);
            }
            sb.append(']');
        }
        else if (a instanceof Attribute.SparseTensorAttr s) sb.append(data(s.value()));
        else if (a instanceof Attribute.SparseTensorsAttr ss) sb.append(ss.values().stream().map(IrPrinter::data).collect(Collectors.joining(", ", "[", "]")));
        else if (a instanceof Attribute.TypeAttr t) sb.append("type<").append(t.value()).append('>');
        else if (a instanceof Attribute.TypesAttr ts) sb.append(ts.values().stream().map(t -> "type<" + t + ">").collect(Collectors.joining(", ", "[", "]")));
        else if (a instanceof Attribute.RefAttr r) sb.append("@ref(").append(r.refName()).append(')');
    }

    /** {@code dense<f32[2]: [1, 2]>} for small tensors, {@code dense<f32[64,3], 768 B, sha256:0a1b2c3d4e5f>} otherwise. */
    public static String data(TensorData d) {
        String kind = d instanceof SparseData s ? "sparse(nnz=" + s.nonZeroCount() + ")" : d instanceof StringData ? "strings" : "dense";
        if (d.elementCount() <= INLINE_LIMIT) {
            String values = values(d);
            if (values != null) return kind + "<" + d.type() + ": " + values + ">";
        }
        return kind + "<" + d.type() + ", " + d.byteSize() + " B, sha256:" + d.sha256().substring(0, 12) + ">";
    }

    private static String values(TensorData d) {
        if (d instanceof StringData s) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < s.size(); i++) {
                if (i > 0) sb.append(", ");
                sb.append(quote(new String(s.element(i), java.nio.charset.StandardCharsets.UTF_8)));
            }
            return sb.append(']').toString();
        }
        ByteBuffer b = d.bytes();
        int n = (int) d.elementCount();
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            String v = switch (d.dtype()) {
                case FLOAT32 -> formatFloat(b.getFloat(i * 4));
                case FLOAT64 -> Double.toString(b.getDouble(i * 8));
                case FLOAT16 -> formatFloat(Float16.toFloat(b.getShort(i * 2)));
                case BFLOAT16 -> formatFloat(Float.intBitsToFloat((b.getShort(i * 2) & 0xFFFF) << 16));
                case INT8 -> Byte.toString(b.get(i));
                case UINT8 -> Integer.toString(b.get(i) & 0xFF);
                case BOOL -> b.get(i) != 0 ? "true" : "false";
                case INT16 -> Short.toString(b.getShort(i * 2));
                case UINT16 -> Integer.toString(b.getShort(i * 2) & 0xFFFF);
                case INT32 -> Integer.toString(b.getInt(i * 4));
                case UINT32 -> Integer.toUnsignedString(b.getInt(i * 4));
                case INT64 -> Long.toString(b.getLong(i * 8));
                case UINT64 -> Long.toUnsignedString(b.getLong(i * 8));
                default -> {
                    if (d.dtype().isSubByte() && d.dtype().isInteger()) {
                        yield Long.toString(SubByte.get(b, d.dtype(), i));
                    }
                    yield null;
                }
            };
            if (v == null) return null;
            sb.append(v);
        }
        return sb.append(']').toString();
    }

    static String formatFloat(float f) {
        if (f == Math.rint(f) && !Float.isInfinite(f) && Math.abs(f) < 1e7) return Long.toString((long) f);
        return Float.toString(f);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }

    /** Prints a list of graphs, used for multi-graph dumps. */
    public static String print(List<Graph> graphs) {
        return graphs.stream().map(IrPrinter::print).collect(Collectors.joining("\n"));
    }
}
