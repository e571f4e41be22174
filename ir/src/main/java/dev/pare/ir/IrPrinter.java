package dev.pare.ir;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Stable text form of a graph: the golden format for tests and {@code --print-ir-*}, and what
 * {@code dev.pare.ir.text.IrParser} reads back. Small constants print their values; large ones
 * print size and a digest prefix, never addresses or anything that varies between runs.
 *
 * <pre>
 * graph main(%x: f32[1,N], %ids: i64[*]) {
 *   default %ids = dense&lt;i64[2]: [0, 1]&gt;
 *   %w: f32[2] = const dense&lt;f32[2]: [0.5, -1]&gt;
 *   %y: f32[1,N] = onnx.Mul(%x, %w) {alpha=1.0, axes=[0, 1], mode="a"} @mul_0
 *   return %y
 * }
 * </pre>
 *
 * Names that are not plain ({@code [A-Za-z0-9_.$/-]} and inner {@code :}) print quoted, e.g.
 * {@code %"my value"}. Float attributes always carry a {@code .} or exponent so they read back
 * as floats; empty lists carry their kind ({@code ints[]}).
 */
public final class IrPrinter {

    /** Constants with at most this many elements print their values. */
    public static final int INLINE_LIMIT = 16;

    private static final Pattern PLAIN_DIM = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private IrPrinter() {}

    public static String print(Graph g) {
        StringBuilder sb = new StringBuilder();
        printGraph(g, sb, "");
        return sb.toString();
    }

    /** Prints a list of graphs, used for multi-graph dumps. */
    public static String print(List<Graph> graphs) {
        return graphs.stream().map(IrPrinter::print).collect(Collectors.joining("\n"));
    }

    private static void printGraph(Graph g, StringBuilder sb, String indent) {
        sb.append("graph ").append(name(g.name())).append('(');
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
                    sb.append(name(e.getKey())).append('=');
                    attr(e.getValue(), sb, in);
                }
                sb.append('}');
            }
            sb.append(" @").append(name(n.name())).append('\n');
        }
        sb.append(in).append("return ")
          .append(g.outputs().stream().map(IrPrinter::ref).collect(Collectors.joining(", "))).append('\n');
        sb.append(indent).append("}");
        if (indent.isEmpty()) sb.append('\n');
    }

    private static String ref(Value v) { return v.isAbsent() ? "_" : "%" + name(v.name()); }

    private static String typed(Value v) {
        if (v.isAbsent()) return "_";
        Type t = v.type();
        if (t instanceof TensorType tt && tt.dtype() == DType.UNDEFINED && !tt.hasRank()) return ref(v);
        return ref(v) + ": " + type(t);
    }

    /** A type as the parser reads it: {@code f32[1,N,?]}, {@code i64[*]}, {@code opaque<"onnx", "seq", hex:0a>}. */
    public static String type(Type t) {
        if (t instanceof OpaqueType o) {
            return "opaque<" + quote(o.format()) + ", " + quote(o.summary()) + ", hex:" + HexFormat.of().formatHex(o.encoded()) + ">";
        }
        TensorType tt = (TensorType) t;
        if (!tt.hasRank()) return tt.dtype().shortName() + "[*]";
        StringBuilder sb = new StringBuilder(tt.dtype().shortName()).append('[');
        for (int i = 0; i < tt.dims().size(); i++) {
            if (i > 0) sb.append(',');
            Dim d = tt.dims().get(i);
            if (d instanceof Dim.Symbolic s && !PLAIN_DIM.matcher(s.name()).matches()) sb.append(quote(s.name()));
            else sb.append(d);
        }
        return sb.append(']').toString();
    }

    private static void attr(Attribute a, StringBuilder sb, String indent) {
        if (a instanceof Attribute.FloatAttr f) sb.append(floatAttr(f.value()));
        else if (a instanceof Attribute.IntAttr i) sb.append(i.value());
        else if (a instanceof Attribute.StringAttr s) sb.append(quote(s.value()));
        else if (a instanceof Attribute.TensorAttr t) sb.append(data(t.value()));
        else if (a instanceof Attribute.GraphAttr g) printGraph(g.value(), sb, indent);
        else if (a instanceof Attribute.FloatsAttr fs) list(sb, "floats", fs.values().stream().map(IrPrinter::floatAttr).collect(Collectors.toList()));
        else if (a instanceof Attribute.IntsAttr is) list(sb, "ints", is.values().stream().map(String::valueOf).collect(Collectors.toList()));
        else if (a instanceof Attribute.StringsAttr ss) list(sb, "strings", ss.values().stream().map(IrPrinter::quote).collect(Collectors.toList()));
        else if (a instanceof Attribute.TensorsAttr ts) list(sb, "tensors", ts.values().stream().map(IrPrinter::data).collect(Collectors.toList()));
        else if (a instanceof Attribute.GraphsAttr gs) {
            if (gs.values().isEmpty()) {
                sb.append("graphs[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < gs.values().size(); i++) {
                if (i > 0) sb.append(", ");
                printGraph(gs.values().get(i), sb, indent);
            }
            sb.append(']');
        }
        else if (a instanceof Attribute.SparseTensorAttr s) sb.append(data(s.value()));
        else if (a instanceof Attribute.SparseTensorsAttr ss) list(sb, "sparse_tensors", ss.values().stream().map(IrPrinter::data).collect(Collectors.toList()));
        else if (a instanceof Attribute.TypeAttr t) sb.append("type<").append(type(t.value())).append('>');
        else if (a instanceof Attribute.TypesAttr ts) list(sb, "types", ts.values().stream().map(t -> "type<" + type(t) + ">").collect(Collectors.toList()));
        else if (a instanceof Attribute.RefAttr r) sb.append("@ref(").append(name(r.refName())).append(": ").append(kindName(r.refKindCode())).append(')');
    }

    private static void list(StringBuilder sb, String kind, List<String> items) {
        if (items.isEmpty()) sb.append(kind).append("[]");
        else sb.append('[').append(String.join(", ", items)).append(']');
    }

    private static final List<String> KIND_NAMES = List.of("undefined", "float", "int", "string", "tensor", "graph",
            "floats", "ints", "strings", "tensors", "graphs", "sparse_tensor", "sparse_tensors", "type", "types");

    /** The attribute kind name for an ONNX {@code AttributeType} code, as {@code @ref(name: kind)} prints it. */
    public static String kindName(int code) {
        return code >= 0 && code < KIND_NAMES.size() ? KIND_NAMES.get(code) : Integer.toString(code);
    }

    /** The ONNX {@code AttributeType} code for a kind name, or -1. */
    public static int kindCode(String name) {
        int i = KIND_NAMES.indexOf(name);
        if (i >= 0) return i;
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * {@code dense<f32[2]: [1, 2]>} for small tensors, {@code dense<f32[64,3], 768 B, sha256:0a1b2c3d4e5f>}
     * otherwise; {@code strings<str[1]: ["a"]>}; sparse tensors show their parts:
     * {@code sparse<f32[2,2]: values=dense<f32[1]: [5]>, indices=dense<i64[1]: [3]>>}.
     */
    public static String data(TensorData d) {
        if (d instanceof SparseData s) {
            if (s.values().elementCount() <= INLINE_LIMIT && s.indices().elementCount() <= INLINE_LIMIT) {
                String v = values(s.values());
                String i = values(s.indices());
                if (v != null && i != null) {
                    return "sparse<" + type(d.type()) + ": values=" + data(s.values()) + ", indices=" + data(s.indices()) + ">";
                }
            }
            return "sparse(nnz=" + s.nonZeroCount() + ")<" + type(d.type()) + ", " + d.byteSize() + " B, sha256:" + d.sha256().substring(0, 12) + ">";
        }
        String kind = d instanceof StringData ? "strings" : "dense";
        if (d.elementCount() <= INLINE_LIMIT) {
            String values = values(d);
            if (values != null) return kind + "<" + type(d.type()) + ": " + values + ">";
        }
        return kind + "<" + type(d.type()) + ", " + d.byteSize() + " B, sha256:" + d.sha256().substring(0, 12) + ">";
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

    /** Tensor element form: integral values without a fraction ({@code 2}, {@code -0}), others as Java prints them. */
    static String formatFloat(float f) {
        if (f == 0 && Float.floatToRawIntBits(f) != 0) return "-0";
        if (f == Math.rint(f) && !Float.isInfinite(f) && Math.abs(f) < 1e7) return Long.toString((long) f);
        return Float.toString(f);
    }

    /** Attribute form: always reads back as a float ({@code 1.0}, {@code 1.0E-5}, {@code NaN}). */
    private static String floatAttr(float f) { return Float.toString(f); }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '.' || c == '$' || c == '/' || c == '-' || c == ':';
    }

    /** Whether {@code c} may appear in an unquoted name (a {@code :} only before another name character). */
    public static boolean isPlainNameChar(char c) { return isNameChar(c); }

    /** A value, node, graph or attribute name: plain, or quoted when it holds other characters. */
    public static String name(String s) {
        boolean plain = !s.isEmpty() && s.charAt(s.length() - 1) != ':';
        for (int i = 0; plain && i < s.length(); i++) plain = isNameChar(s.charAt(i));
        return plain ? s : quote(s);
    }

    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
