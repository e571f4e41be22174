package dev.pare.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Random graphs (seeded, so failures reproduce) print, parse and print to the same text. */
class RoundTripPropertyTest {

    private static final String[] NAMES = {"x", "input.1", "/model/Conv_output_0", "onnx::Add_5", "a b", "q\"uote",
            "trail:", "ünï", "tab\there", "_", "0", "-1"};
    private static final DType[] DTYPES = {DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16, DType.FLOAT64, DType.INT8,
            DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.UINT32, DType.INT64, DType.UINT64, DType.BOOL,
            DType.INT4, DType.UINT4, DType.INT2};

    private int counter;

    @Test
    void randomGraphsRoundTrip() {
        for (long seed = 0; seed < 300; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            counter = 0;
            Graph g = graph(r, null, 0);
            String text = IrPrinter.print(g);
            Graph parsed = IrParser.parse(text, "seed" + seed);
            assertEquals(text, IrPrinter.print(parsed), "seed " + seed);
        }
    }

    private String fresh(SplittableRandom r) {
        return counter++ + NAMES[r.nextInt(NAMES.length)];
    }

    private Graph graph(SplittableRandom r, Graph parent, int depth) {
        Graph g = new Graph(r.nextBoolean() ? "g" + counter++ : fresh(r), parent);
        Rewriter rw = g.rewriter();
        List<Value> values = new ArrayList<>();
        int inputs = r.nextInt(3);
        for (int i = 0; i < inputs; i++) values.add(rw.addInput(fresh(r), type(r)));
        int constants = r.nextInt(3);
        for (int i = 0; i < constants; i++) values.add(rw.addConstant(fresh(r), tensor(r)));
        if (parent != null) values.addAll(parent.inputs());
        int nodes = r.nextInt(4);
        for (int i = 0; i < nodes; i++) {
            List<Value> operands = new ArrayList<>();
            int k = r.nextInt(3);
            for (int j = 0; j < k; j++) operands.add(values.isEmpty() || r.nextInt(5) == 0 ? Value.ABSENT : values.get(r.nextInt(values.size())));
            int results = r.nextInt(3);
            List<String> names = new ArrayList<>();
            List<Type> types = new ArrayList<>();
            for (int j = 0; j < results; j++) {
                names.add(r.nextInt(6) == 0 ? "" : fresh(r));
                types.add(r.nextBoolean() ? TensorType.unknown() : type(r));
            }
            Attributes.Builder attrs = Attributes.builder();
            int a = r.nextInt(4);
            for (int j = 0; j < a; j++) attrs.put(r.nextBoolean() ? "attr" + j : fresh(r), attribute(r, g, depth));
            String op = r.nextBoolean() ? "onnx.Op" + i : "onnx.com.microsoft.Op" + i;
            var node = rw.createNode(r.nextInt(8) == 0 ? "" + counter++ : fresh(r), op, operands, names, types, attrs.build(), Location.UNKNOWN);
            for (Value v : node.results()) if (!v.isAbsent()) values.add(v);
        }
        int outputs = r.nextInt(3);
        for (int i = 0; i < outputs; i++) rw.addOutput(values.isEmpty() || r.nextInt(6) == 0 ? Value.ABSENT : values.get(r.nextInt(values.size())));
        return g;
    }

    private Type type(SplittableRandom r) {
        DType d = DTYPES[r.nextInt(DTYPES.length)];
        if (r.nextInt(5) == 0) return TensorType.unranked(d);
        List<Dim> dims = new ArrayList<>();
        int rank = r.nextInt(4);
        for (int i = 0; i < rank; i++) {
            int kind = r.nextInt(4);
            dims.add(kind == 0 ? Dim.UNKNOWN : kind == 1 ? Dim.of(r.nextBoolean() ? "N" : "batch size") : Dim.of(r.nextInt(5)));
        }
        return new TensorType(d, dims);
    }

    private TensorData tensor(SplittableRandom r) {
        DType d = DTYPES[r.nextInt(DTYPES.length)];
        long[] shape = r.nextBoolean() ? new long[] {r.nextInt(5)} : new long[] {r.nextInt(3), r.nextInt(3)};
        int n = (int) TensorType.of(d, shape).elementCount();
        if (d.isSubByte()) {
            long[] values = new long[n];
            int bits = d.bits();
            for (int i = 0; i < n; i++) values[i] = d.isSigned() ? r.nextInt(1 << bits) - (1 << (bits - 1)) : r.nextInt(1 << bits);
            return TensorData.of(TensorType.of(d, shape), SubByte.pack(d, values));
        }
        byte[] bytes = new byte[(int) d.byteSize(n)];
        r.nextBytes(bytes);
        if (d == DType.BOOL) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
        if (d.isFloatingPoint()) {
            // NaN payloads are not part of the text form; keep floats finite and non-NaN
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) r.nextInt(0, 0x3f);
        }
        return TensorData.of(TensorType.of(d, shape), bytes);
    }

    private Attribute attribute(SplittableRandom r, Graph owner, int depth) {
        int kind = r.nextInt(depth < 2 ? 14 : 12);
        return switch (kind) {
            case 0 -> new Attribute.FloatAttr(Float.intBitsToFloat(r.nextInt(0, 0x7f000000)) * (r.nextBoolean() ? 1 : -1));
            case 1 -> new Attribute.IntAttr(r.nextLong());
            case 2 -> new Attribute.StringAttr(fresh(r) + "\n\\");
            case 3 -> new Attribute.TensorAttr(tensor(r));
            case 4 -> new Attribute.FloatsAttr(r.nextBoolean() ? List.of() : List.of(1.5f, -0f, Float.NaN));
            case 5 -> new Attribute.IntsAttr(r.nextBoolean() ? List.of() : List.of(r.nextLong(), 0L));
            case 6 -> new Attribute.StringsAttr(r.nextBoolean() ? List.of() : List.of("", fresh(r)));
            case 7 -> new Attribute.TensorsAttr(r.nextBoolean() ? List.of() : List.of(tensor(r), tensor(r)));
            case 8 -> new Attribute.TypeAttr(type(r));
            case 9 -> new Attribute.TypesAttr(r.nextBoolean() ? List.of() : List.of(type(r)));
            case 10 -> new Attribute.RefAttr(fresh(r), 1 + r.nextInt(14));
            case 11 -> new Attribute.GraphsAttr(List.of());
            case 12 -> new Attribute.GraphAttr(graph(r, owner, depth + 1));
            default -> new Attribute.GraphsAttr(List.of(graph(r, owner, depth + 1), graph(r, owner, depth + 1)));
        };
    }
}
