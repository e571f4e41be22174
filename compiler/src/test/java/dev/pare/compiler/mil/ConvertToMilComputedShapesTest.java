package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pad, Reshape, Slice, Expand, Range, Tile and ConstantOfShape whose operands exporters compute
 * from the input's shape (Shape, Gather, Mod, Sub, Mul, Concat): with {@code input_shapes} they
 * fold to constants before lowering, so no shape op is left and every type is static; without, the
 * ops are lowered to MIL's forms that take computed operands. Both against ONNX Runtime.
 */
class ConvertToMilComputedShapesTest {

    @TempDir Path tmp;

    private static final Set<String> SHAPE_OPS = Set.of("mil.shape", "mil.fill", "mil.range_1d", "mil.gather", "mil.concat", "mil.mod");

    private static AttributeProto constantValue(float v) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v);
        return AttributeProto.newBuilder().setName("value").setType(AttributeType.TENSOR).setT(TensorProto.newBuilder()
                .setDataType(FLOAT).addDims(1).setRawData(ByteString.copyFrom(b.array()))).build();
    }

    /** x: f32[n,c,h,w]; seven outputs, each shaped by arithmetic on Shape(x). */
    private static GraphProto model() {
        OnnxGraphBuilder b = new OnnxGraphBuilder("computed").input("x", FLOAT, "n", "c", "h", "w")
                .longs("i0", new long[0], 0).longs("i1", new long[0], 1).longs("i2", new long[0], 2).longs("i3", new long[0], 3)
                .longs("four", new long[0], 4).longs("one", new long[0], 1).longs("zero", new long[0], 0)
                .longs("zeros6", new long[] {6}, 0, 0, 0, 0, 0, 0).longs("ax0", new long[] {1}, 0)
                .longs("ones2", new long[] {2}, 1, 1).longs("start1", new long[] {1}, 1).longs("axis2", new long[] {1}, 2)
                .floats("bias", new long[] {1, 1, 1, 1}, 0.25f)
                .node("Shape", "s", "x")
                .node("Gather", "n", "s", "i0").node("Gather", "c", "s", "i1")
                .node("Gather", "h", "s", "i2").node("Gather", "w", "s", "i3");
        // Pad H and W at the end up to multiples of 4: (4 - h % 4) % 4
        b.node("Mod", "hm", "h", "four").node("Sub", "hr", "four", "hm").node("Mod", "ph", "hr", "four")
                .node("Mod", "wm", "w", "four").node("Sub", "wr", "four", "wm").node("Mod", "pw", "wr", "four")
                .node("Unsqueeze", "ph1", "ph", "ax0").node("Unsqueeze", "pw1", "pw", "ax0")
                .node("Concat", new String[] {"zeros6", "ph1", "pw1"}, new String[] {"pads"}, intAttr("axis", 0))
                .node("Pad", new String[] {"x", "pads"}, new String[] {"padded"}, OnnxGraphBuilder.str("mode", "constant"));
        // Reshape to [n, c*h*w]
        b.node("Mul", "ch", "c", "h").node("Mul", "chw", "ch", "w")
                .node("Unsqueeze", "n1", "n", "ax0").node("Unsqueeze", "chw1", "chw", "ax0")
                .node("Concat", new String[] {"n1", "chw1"}, new String[] {"flat_shape"}, intAttr("axis", 0))
                .node("Reshape", "flat", "x", "flat_shape");
        // x[:, :, 1:h-1, :]
        b.node("Sub", "hend", "h", "one").node("Unsqueeze", "hend1", "hend", "ax0")
                .node("Slice", "inner", "x", "start1", "hend1", "axis2");
        // bias expanded to x's shape
        b.node("Expand", "spread", "bias", "s");
        // x + float(range(0, w))
        b.node("Range", "r", "zero", "w", "one")
                .node("Cast", new String[] {"r"}, new String[] {"rf"}, intAttr("to", FLOAT))
                .node("Add", "ramp", "x", "rf");
        // tile by [1, 1, 2, n]
        b.node("Concat", new String[] {"ones2", "axis2", "n1"}, new String[] {"reps"}, intAttr("axis", 0))
                .node("Tile", "tiled", "x", "reps");
        // x + 3 of x's shape
        b.node("ConstantOfShape", new String[] {"s"}, new String[] {"threes"}, constantValue(3f))
                .node("Add", "plus3", "x", "threes");
        for (String o : List.of("padded", "flat", "inner", "spread", "ramp", "tiled", "plus3")) b.outputAnyShape(o, FLOAT);
        return b.build();
    }

    private static float[] random(long[] shape, long seed) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    private static Set<String> ops(Model m) {
        Set<String> out = new TreeSet<>();
        for (Node n : m.graph().allNodes()) out.add(n.op());
        return out;
    }

    @Test
    void withInputShapesTheShapeArithmeticFoldsAndEveryTypeIsStatic() throws Exception {
        Path onnx = OnnxGraphBuilder.write(model(), tmp.resolve("computed.onnx"));
        long[] shape = {2, 2, 5, 6};
        Model m = ConvertedVsOrt.convert(onnx, List.of("x:2,2,5,6"), tmp.resolve("static.mlpackage"));
        Set<String> ops = ops(m);
        for (String op : SHAPE_OPS) assertTrue(!ops.contains(op), op + " left in " + ops);
        for (Node n : m.graph().nodes()) {
            for (Value r : n.results()) assertTrue(((TensorType) r.type()).isStatic(), r + " of " + n + " is not static");
        }
        assertEquals("f32[2,2,8,8]", m.graph().outputs().get(0).type().toString());
        ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(shape, random(shape, 1))), 1e-6);
    }

    @Test
    void withoutThemTheOpsTakeComputedOperands() throws Exception {
        Path onnx = OnnxGraphBuilder.write(model(), tmp.resolve("computed.onnx"));
        Model m = ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve("dynamic.mlpackage"));
        Set<String> ops = ops(m);
        for (String op : List.of("mil.shape", "mil.pad", "mil.reshape", "mil.slice_by_index", "mil.fill", "mil.range_1d", "mil.tile", "mil.mod")) {
            assertTrue(ops.contains(op), op + " missing from " + ops);
        }
        for (long[] shape : new long[][] {{2, 2, 5, 6}, {1, 3, 7, 4}, {1, 1, 8, 3}}) {
            ConvertedVsOrt.assertMatches(onnx, m, inputs("x", floats(shape, random(shape, shape[2]))), 1e-6);
        }
    }
}
