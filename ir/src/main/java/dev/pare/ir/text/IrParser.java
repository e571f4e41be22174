package dev.pare.ir.text;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Dim;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Node;
import dev.pare.ir.OpaqueType;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SparseData;
import dev.pare.ir.StringData;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import dev.pare.ir.text.IrLexer.Kind;
import dev.pare.ir.text.IrLexer.Token;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the text {@link IrPrinter} writes back into graphs, so tests can be written as text:
 * parse, run a pass, print, compare.
 *
 * <pre>
 * file      := graph+
 * graph     := 'graph' NAME '(' [param (',' param)*] ')' '{' stmt* 'return' [ref (',' ref)*] '}'
 * param     := %NAME [':' type]
 * stmt      := 'default' %NAME '=' tensor
 *            | %NAME ':' type '=' 'const' tensor
 *            | [result (',' result)* '='] OP '(' [ref (',' ref)*] ')' ['{' attr (',' attr)* '}'] '@' NAME
 * result    := '_' | %NAME [':' type]
 * ref       := '_' | %NAME
 * type      := DTYPE '[' ('*' | [dim (',' dim)*]) ']' | 'opaque' '<' STRING ',' STRING ',' 'hex:'HEX '>'
 * dim       := INT | NAME | STRING | '?'
 * tensor    := 'dense' '<' type ':' ('[' values ']' | 'splat' value) '>'
 *            | 'strings' '<' type ':' '[' STRING* ']' '>'
 *            | 'sparse' '<' type ':' 'values' '=' tensor ',' 'indices' '=' tensor '>'
 * attr      := NAME '=' (INT | FLOAT | STRING | tensor | graph | 'type' '<' type '>'
 *            | '[' item (',' item)* ']' | KIND '[' ']' | '@ref' '(' NAME ':' KIND ')')
 * </pre>
 *
 * Names are plain or quoted ({@code %"a b"}); {@code //} starts a comment. Nodes may use values
 * defined further down (so tests can feed unordered graphs to a reordering pass); the verifier,
 * not the parser, rejects those. {@code splat} fills a large constant with one value, for tests
 * that need more elements than the printer shows inline. Constants printed only as a digest
 * cannot be read back.
 */
public final class IrParser {

    /** Deepest nesting of graphs, attribute lists and tensors inside tensors; deeper text is an error, not a stack overflow. */
    public static final int MAX_NESTING = 64;

    /** Largest dense constant (after {@code splat}) the text may build, in bytes. */
    public static final long MAX_CONSTANT_BYTES = 64L << 20;

    private final String text;
    private final String source;
    private final List<Token> tokens;
    private int index;
    private final List<Runnable> deferred = new ArrayList<>();
    private int depth;

    private IrParser(String text, String source) {
        this.text = text;
        this.source = source;
        this.tokens = new IrLexer(text, source).tokenize();
    }

    /** Parses text holding exactly one graph. */
    public static Graph parse(String text) { return parse(text, "<ir>"); }

    /** Parses text holding exactly one graph; {@code source} names it in error messages. */
    public static Graph parse(String text, String source) {
        List<Graph> graphs = parseAll(text, source);
        if (graphs.size() != 1) {
            throw new IrSyntaxException(source, 1, 1, "expected exactly one graph, found " + graphs.size());
        }
        return graphs.get(0);
    }

    /** Parses one or more top-level graphs. */
    public static List<Graph> parseAll(String text, String source) {
        IrParser p = new IrParser(text, source);
        List<Graph> out = new ArrayList<>();
        do {
            out.add(p.topLevelGraph());
        } while (p.peek().kind() != Kind.EOF);
        return out;
    }

    private Graph topLevelGraph() {
        Graph g = graph(null);
        for (Runnable r : deferred) r.run();
        deferred.clear();
        return g;
    }

    // ---- graphs ------------------------------------------------------------------------------

    private Graph graph(Graph parent) {
        enter(peek());
        Graph g = graphBody(parent);
        depth--;
        return g;
    }

    /** Counts one more level of nesting; an error past {@link #MAX_NESTING}. */
    private void enter(Token at) {
        if (++depth > MAX_NESTING) throw error(at, "nesting deeper than the limit of " + MAX_NESTING);
    }

    private Graph graphBody(Graph parent) {
        expectWord("graph");
        String name = name("graph name");
        Graph g = new Graph(name, parent);
        Rewriter rw = g.rewriter();
        expect("(");
        if (!peek().is(")")) {
            do {
                Token t = expectKind(Kind.PERCENT, "graph input");
                Type type = peek().is(":") ? typeAfterColon() : TensorType.unknown();
                define(t, () -> rw.addInput(t.text(), type));
            } while (accept(","));
        }
        expect(")");
        expect("{");
        int nodeIndex = 0;
        while (true) {
            Token t = peek();
            if (t.isWord("return")) {
                next();
                returnStatement(g);
                break;
            } else if (t.isWord("default")) {
                next();
                Token v = expectKind(Kind.PERCENT, "input name");
                expect("=");
                TensorData data = tensor();
                Value input = g.value(v.text()).filter(x -> x.kind() == Value.Kind.INPUT)
                        .orElseThrow(() -> error(v, "%" + v.text() + " is not an input of graph " + g.name()));
                rw.setInputDefault(input, data);
            } else if (t.kind() == Kind.EOF || t.is("}")) {
                throw error(t, "graph " + g.name() + " has no return statement");
            } else {
                statement(g, nodeIndex++);
            }
        }
        expect("}");
        return g;
    }

    private void returnStatement(Graph g) {
        if (peek().is("}")) return;
        Rewriter rw = g.rewriter();
        do {
            Token t = next();
            if (t.kind() == Kind.WORD && t.text().equals("_")) {
                rw.addOutput(Value.ABSENT);
            } else if (t.kind() == Kind.PERCENT) {
                int position = g.outputs().size();
                rw.addOutput(Value.ABSENT);
                deferred.add(() -> rw.setOutput(position, resolve(g, t)));
            } else {
                throw error(t, "expected a value to return, found " + t.describe());
            }
        } while (accept(","));
    }

    private void statement(Graph g, int nodeIndex) {
        Rewriter rw = g.rewriter();
        List<Token> resultTokens = new ArrayList<>();
        List<String> resultNames = new ArrayList<>();
        List<Type> resultTypes = new ArrayList<>();
        if (peek().kind() == Kind.PERCENT || peek().isWord("_")) {
            do {
                Token t = next();
                if (t.kind() == Kind.WORD && t.text().equals("_")) {
                    resultNames.add("");
                    resultTypes.add(TensorType.unknown());
                } else if (t.kind() == Kind.PERCENT) {
                    resultNames.add(t.text());
                    resultTypes.add(peek().is(":") ? typeAfterColon() : TensorType.unknown());
                } else {
                    throw error(t, "expected a result, found " + t.describe());
                }
                resultTokens.add(t);
            } while (accept(","));
            expect("=");
        }
        if (peek().isWord("const")) {
            Token constTok = next();
            if (resultNames.size() != 1 || resultNames.get(0).isEmpty()) {
                throw error(constTok, "a constant defines exactly one named value");
            }
            TensorData data = tensor();
            Type declared = resultTypes.get(0);
            if (declared instanceof TensorType tt && tt.dtype() != DType.UNDEFINED && !tt.equals(data.type())) {
                throw error(resultTokens.get(0), "constant %" + resultNames.get(0) + " is typed "
                        + IrPrinter.type(tt) + " but holds " + IrPrinter.type(data.type()));
            }
            define(resultTokens.get(0), () -> rw.addConstant(resultNames.get(0), data));
            return;
        }
        Token opTok = expectKind(Kind.WORD, "op name");
        String op = opTok.text();
        if (op.indexOf('.') <= 0 || op.endsWith(".")) throw error(opTok, "op must be dialect.name, got '" + op + "'");
        expect("(");
        List<Value> operands = new ArrayList<>();
        List<Token> operandTokens = new ArrayList<>();
        if (!peek().is(")")) {
            do {
                Token t = next();
                if (t.kind() == Kind.WORD && t.text().equals("_")) {
                    operands.add(Value.ABSENT);
                    operandTokens.add(null);
                } else if (t.kind() == Kind.PERCENT) {
                    Optional<Value> v = g.resolve(t.text());
                    operands.add(v.orElse(Value.ABSENT));
                    operandTokens.add(v.isPresent() ? null : t); // defined further down: resolved at the end
                } else {
                    throw error(t, "expected an operand, found " + t.describe());
                }
            } while (accept(","));
        }
        expect(")");
        Attributes attrs = peek().is("{") ? attributes(g) : Attributes.empty();
        Token nameTok = expectKind(Kind.AT, "node name '@name'");
        Node node;
        try {
            node = rw.createNode(nameTok.text(), op, operands, resultNames, resultTypes, attrs,
                    new Location(source, nameTok.text(), nodeIndex));
        } catch (IllegalArgumentException e) {
            throw error(nameTok, e.getMessage());
        }
        for (int i = 0; i < operandTokens.size(); i++) {
            Token pending = operandTokens.get(i);
            if (pending == null) continue;
            int operandIndex = i;
            deferred.add(() -> rw.setOperand(node, operandIndex, resolve(g, pending)));
        }
    }

    private Value resolve(Graph g, Token ref) {
        return g.resolve(ref.text()).orElseThrow(() -> error(ref, "undefined value %" + ref.text()));
    }

    private void define(Token at, Runnable definition) {
        try {
            definition.run();
        } catch (IllegalArgumentException e) {
            throw error(at, e.getMessage());
        }
    }

    // ---- attributes --------------------------------------------------------------------------

    private Attributes attributes(Graph owner) {
        expect("{");
        Attributes.Builder b = Attributes.builder();
        if (!peek().is("}")) {
            do {
                Token nameTok = peek();
                String name = name("attribute name");
                expect("=");
                Attribute a = attribute(owner);
                try {
                    b.put(name, a);
                } catch (IllegalArgumentException e) {
                    throw error(nameTok, e.getMessage());
                }
            } while (accept(","));
        }
        expect("}");
        return b.build();
    }

    private Attribute attribute(Graph owner) {
        Token t = peek();
        if (t.kind() == Kind.STRING) {
            next();
            return new Attribute.StringAttr(t.text());
        }
        if (t.kind() == Kind.AT) {
            next();
            if (!t.text().equals("ref")) throw error(t, "expected an attribute value, found " + t.describe());
            expect("(");
            String refName = name("referenced attribute name");
            expect(":");
            Token kindTok = expectKind(Kind.WORD, "attribute kind");
            int code = IrPrinter.kindCode(kindTok.text());
            if (code < 0) throw error(kindTok, "unknown attribute kind '" + kindTok.text() + "'");
            expect(")");
            return new Attribute.RefAttr(refName, code);
        }
        if (t.is("[")) {
            next();
            enter(t);
            List<Attribute> items = new ArrayList<>();
            do {
                items.add(attribute(owner));
            } while (accept(","));
            expect("]");
            depth--;
            return list(t, items);
        }
        if (t.kind() != Kind.WORD) throw error(t, "expected an attribute value, found " + t.describe());
        if (peekAt(1).is("[") && peekAt(2).is("]") && IrPrinter.kindCode(t.text()) > 0) {
            next();
            next();
            next();
            return emptyList(t);
        }
        switch (t.text()) {
            case "graph" -> { return new Attribute.GraphAttr(graph(owner)); }
            case "dense", "strings" -> { return new Attribute.TensorAttr(tensor()); }
            case "sparse" -> { return new Attribute.SparseTensorAttr((SparseData) tensor()); }
            case "type" -> {
                next();
                expect("<");
                Type type = type();
                expect(">");
                return new Attribute.TypeAttr(type);
            }
            default -> {
                next();
                return number(t);
            }
        }
    }

    private Attribute number(Token t) {
        String s = t.text();
        if (looksLikeInt(s)) {
            try {
                return new Attribute.IntAttr(Long.parseLong(s));
            } catch (NumberFormatException e) {
                throw error(t, "integer out of range: " + s);
            }
        }
        try {
            return new Attribute.FloatAttr(Float.parseFloat(s));
        } catch (NumberFormatException e) {
            throw error(t, "expected an attribute value, found " + t.describe());
        }
    }

    private static boolean looksLikeInt(String s) {
        int i = s.startsWith("-") ? 1 : 0;
        if (i >= s.length()) return false;
        for (; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return false;
        return true;
    }

    private Attribute list(Token at, List<Attribute> items) {
        Attribute first = items.get(0);
        for (Attribute a : items) {
            boolean numeric = (a instanceof Attribute.IntAttr || a instanceof Attribute.FloatAttr)
                    && (first instanceof Attribute.IntAttr || first instanceof Attribute.FloatAttr);
            if (a.getClass() != first.getClass() && !numeric) throw error(at, "list mixes attribute kinds");
        }
        if (items.stream().anyMatch(a -> a instanceof Attribute.FloatAttr)) {
            List<Float> fs = new ArrayList<>();
            for (Attribute a : items) fs.add(a instanceof Attribute.FloatAttr f ? f.value() : (float) ((Attribute.IntAttr) a).value());
            return new Attribute.FloatsAttr(fs);
        }
        if (first instanceof Attribute.IntAttr) return new Attribute.IntsAttr(items.stream().map(a -> ((Attribute.IntAttr) a).value()).toList());
        if (first instanceof Attribute.StringAttr) return new Attribute.StringsAttr(items.stream().map(a -> ((Attribute.StringAttr) a).value()).toList());
        if (first instanceof Attribute.TensorAttr) return new Attribute.TensorsAttr(items.stream().map(a -> ((Attribute.TensorAttr) a).value()).toList());
        if (first instanceof Attribute.SparseTensorAttr) return new Attribute.SparseTensorsAttr(items.stream().map(a -> ((Attribute.SparseTensorAttr) a).value()).toList());
        if (first instanceof Attribute.GraphAttr) return new Attribute.GraphsAttr(items.stream().map(a -> ((Attribute.GraphAttr) a).value()).toList());
        if (first instanceof Attribute.TypeAttr) return new Attribute.TypesAttr(items.stream().map(a -> ((Attribute.TypeAttr) a).value()).toList());
        throw error(at, "a list cannot hold " + first.getClass().getSimpleName());
    }

    private Attribute emptyList(Token kind) {
        return switch (kind.text()) {
            case "floats" -> new Attribute.FloatsAttr(List.of());
            case "ints" -> new Attribute.IntsAttr(List.of());
            case "strings" -> new Attribute.StringsAttr(List.of());
            case "tensors" -> new Attribute.TensorsAttr(List.of());
            case "graphs" -> new Attribute.GraphsAttr(List.of());
            case "sparse_tensors" -> new Attribute.SparseTensorsAttr(List.of());
            case "types" -> new Attribute.TypesAttr(List.of());
            default -> throw error(kind, "'" + kind.text() + "' is not a list kind");
        };
    }

    // ---- types -------------------------------------------------------------------------------

    private Type typeAfterColon() {
        expect(":");
        return type();
    }

    private Type type() {
        Token t = next();
        if (t.isWord("opaque")) {
            expect("<");
            String format = expectKind(Kind.STRING, "opaque type format").text();
            expect(",");
            String summary = expectKind(Kind.STRING, "opaque type summary").text();
            expect(",");
            Token hex = expectKind(Kind.WORD, "hex:BYTES");
            if (!hex.text().startsWith("hex")) throw error(hex, "expected hex:BYTES, found " + hex.describe());
            String digits;
            if (hex.text().equals("hex")) {
                expect(":");
                digits = "";
            } else if (hex.text().startsWith("hex:")) {
                digits = hex.text().substring(4);
            } else {
                throw error(hex, "expected hex:BYTES, found " + hex.describe());
            }
            expect(">");
            try {
                return new OpaqueType(format, summary, HexFormat.of().parseHex(digits));
            } catch (IllegalArgumentException e) {
                throw error(hex, "bad hex bytes in opaque type");
            }
        }
        DType dtype;
        if (t.is("?")) {
            dtype = DType.UNDEFINED;
        } else if (t.kind() == Kind.WORD) {
            dtype = DType.fromShortName(t.text()).orElseThrow(() -> error(t, "unknown element type '" + t.text() + "'"));
        } else {
            throw error(t, "expected a type, found " + t.describe());
        }
        expect("[");
        if (accept("*")) {
            expect("]");
            return TensorType.unranked(dtype);
        }
        List<Dim> dims = new ArrayList<>();
        if (!peek().is("]")) {
            do {
                Token d = next();
                if (d.is("?")) {
                    dims.add(Dim.UNKNOWN);
                } else if (d.kind() == Kind.STRING) {
                    if (d.text().isEmpty()) throw error(d, "empty symbolic dimension name");
                    dims.add(Dim.of(d.text()));
                } else if (d.kind() == Kind.WORD && looksLikeInt(d.text())) {
                    try {
                        dims.add(Dim.of(Long.parseLong(d.text())));
                    } catch (IllegalArgumentException e) {
                        throw error(d, "bad dimension " + d.text());
                    }
                } else if (d.kind() == Kind.WORD) {
                    dims.add(Dim.of(d.text()));
                } else {
                    throw error(d, "expected a dimension, found " + d.describe());
                }
            } while (accept(","));
        }
        expect("]");
        return new TensorType(dtype, dims);
    }

    // ---- tensors -----------------------------------------------------------------------------

    private TensorData tensor() {
        enter(peek());
        TensorData data = tensorBody();
        depth--;
        return data;
    }

    private TensorData tensorBody() {
        Token kind = expectKind(Kind.WORD, "tensor (dense<...>)");
        if (kind.text().startsWith("sparse") && peek().is("(")) {
            throw error(kind, "sparse constant printed as a digest cannot be parsed; write its values and indices");
        }
        if (!kind.text().equals("dense") && !kind.text().equals("strings") && !kind.text().equals("sparse")) {
            throw error(kind, "expected a tensor (dense<...>, strings<...> or sparse<...>), found " + kind.describe());
        }
        expect("<");
        Token typeTok = peek();
        Type parsed = type();
        if (!(parsed instanceof TensorType type) || !type.isStatic()) {
            throw error(typeTok, "constant tensors need a static shape, got " + IrPrinter.type(parsed));
        }
        if (peek().is(",")) {
            throw error(peek(), "constant printed as a digest cannot be parsed; write its values or use 'splat'");
        }
        expect(":");
        TensorData data;
        try {
            data = switch (kind.text()) {
                case "strings" -> strings(kind, type);
                case "sparse" -> sparse(kind, type);
                default -> dense(kind, type);
            };
        } catch (IllegalArgumentException e) {
            if (e instanceof IrSyntaxException s) throw s;
            throw error(kind, e.getMessage());
        }
        expect(">");
        return data;
    }

    private TensorData sparse(Token at, TensorType type) {
        expectWord("values");
        expect("=");
        TensorData values = tensor();
        expect(",");
        expectWord("indices");
        expect("=");
        TensorData indices = tensor();
        if (!(values instanceof DenseData v) || !(indices instanceof DenseData i)) {
            throw error(at, "sparse values and indices must be dense tensors");
        }
        SparseData sparse = new SparseData(type, v, i, Map.of());
        try {
            type.byteSize();
            sparse.checkIndices();
        } catch (ArithmeticException e) {
            throw error(at, "the size of sparse<" + IrPrinter.type(type) + "> overflows 64 bits");
        } catch (IllegalStateException e) {
            throw error(at, e.getMessage());
        }
        return sparse;
    }

    private TensorData strings(Token at, TensorType type) {
        if (type.dtype() != DType.STRING) throw error(at, "strings<...> needs element type str, got " + type.dtype().shortName());
        List<byte[]> elements = new ArrayList<>();
        expect("[");
        if (!peek().is("]")) {
            do {
                elements.add(expectKind(Kind.STRING, "string element").text().getBytes(StandardCharsets.UTF_8));
            } while (accept(","));
        }
        expect("]");
        return new StringData(type, elements, Map.of());
    }

    private TensorData dense(Token at, TensorType type) {
        DType dtype = type.dtype();
        if (dtype.bits() == 0) throw error(at, "dense<...> cannot hold element type " + dtype.shortName());
        long count;
        try {
            count = type.elementCount();
            if (dtype.byteSize(count) > MAX_CONSTANT_BYTES) {
                throw error(at, "dense<" + IrPrinter.type(type) + "> is larger than the limit of " + (MAX_CONSTANT_BYTES >> 20)
                        + " MiB for IR text constants");
            }
        } catch (ArithmeticException e) {
            throw error(at, "the size of dense<" + IrPrinter.type(type) + "> overflows 64 bits");
        }
        List<Token> elements = new ArrayList<>();
        boolean splat = peek().isWord("splat");
        if (splat) {
            next();
            elements.add(expectKind(Kind.WORD, "splat value"));
        } else {
            expect("[");
            if (!peek().is("]")) {
                do {
                    elements.add(expectKind(Kind.WORD, "tensor element"));
                } while (accept(","));
            }
            Token close = expect("]");
            if (elements.size() != count) {
                throw error(close, "dense<" + IrPrinter.type(type) + "> needs " + count + " values, got " + elements.size());
            }
        }
        int n = (int) count;
        if (dtype.isSubByte()) {
            if (!dtype.isInteger()) throw error(at, "cannot write values of element type " + dtype.shortName());
            long[] vs = new long[n];
            for (int i = 0; i < n; i++) vs[i] = integer(elements.get(splat ? 0 : i), dtype);
            return TensorData.of(type, SubByte.pack(dtype, vs));
        }
        int width = dtype.bits() / 8;
        ByteBuffer b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            Token e = elements.get(splat ? 0 : i);
            switch (dtype) {
                case FLOAT32 -> b.putFloat(floating(e));
                case FLOAT64 -> b.putDouble(doubleValue(e));
                case FLOAT16 -> b.putShort(Float16.fromFloat(floating(e)));
                case BFLOAT16 -> b.putShort((short) (Float.floatToRawIntBits(floating(e)) >>> 16));
                case BOOL -> b.put(bool(e));
                case INT8, UINT8 -> b.put((byte) integer(e, dtype));
                case INT16, UINT16 -> b.putShort((short) integer(e, dtype));
                case INT32, UINT32 -> b.putInt((int) integer(e, dtype));
                case INT64, UINT64 -> b.putLong(integer(e, dtype));
                default -> throw error(at, "cannot write values of element type " + dtype.shortName());
            }
        }
        return TensorData.ofBuffer(type, b.flip());
    }

    private float floating(Token t) {
        try {
            return Float.parseFloat(t.text());
        } catch (NumberFormatException e) {
            throw error(t, "expected a number, found " + t.describe());
        }
    }

    private double doubleValue(Token t) {
        try {
            return Double.parseDouble(t.text());
        } catch (NumberFormatException e) {
            throw error(t, "expected a number, found " + t.describe());
        }
    }

    private byte bool(Token t) {
        return switch (t.text()) {
            case "true" -> 1;
            case "false" -> 0;
            default -> throw error(t, "expected true or false, found " + t.describe());
        };
    }

    private long integer(Token t, DType dtype) {
        String s = t.text();
        if (!looksLikeInt(s)) throw error(t, "expected an integer, found " + t.describe());
        long v;
        try {
            v = dtype == DType.UINT64 ? Long.parseUnsignedLong(s) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw error(t, s + " does not fit " + dtype.shortName());
        }
        if (dtype == DType.UINT64 || dtype == DType.INT64) return v;
        int bits = dtype.bits();
        long lo = dtype.isSigned() ? -(1L << (bits - 1)) : 0;
        long hi = dtype.isSigned() ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        if (v < lo || v > hi) throw error(t, s + " does not fit " + dtype.shortName());
        return v;
    }

    // ---- tokens ------------------------------------------------------------------------------

    private String name(String what) {
        Token t = next();
        if (t.kind() == Kind.WORD || t.kind() == Kind.STRING) return t.text();
        throw error(t, "expected " + what + ", found " + t.describe());
    }

    private Token peek() { return tokens.get(index); }

    private Token peekAt(int ahead) { return tokens.get(Math.min(index + ahead, tokens.size() - 1)); }

    private Token next() {
        Token t = tokens.get(index);
        if (t.kind() != Kind.EOF) index++;
        return t;
    }

    private boolean accept(String punct) {
        if (peek().is(punct)) {
            index++;
            return true;
        }
        return false;
    }

    private Token expect(String punct) {
        Token t = next();
        if (!t.is(punct)) throw error(t, "expected '" + punct + "', found " + t.describe());
        return t;
    }

    private void expectWord(String word) {
        Token t = next();
        if (!t.isWord(word)) throw error(t, "expected '" + word + "', found " + t.describe());
    }

    private Token expectKind(Kind kind, String what) {
        Token t = next();
        if (t.kind() != kind) throw error(t, "expected " + what + ", found " + t.describe());
        return t;
    }

    private IrSyntaxException error(Token at, String message) {
        return IrLexer.error(text, source, at.offset(), message);
    }
}
