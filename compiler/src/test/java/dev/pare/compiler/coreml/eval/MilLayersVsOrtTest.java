package dev.pare.compiler.coreml.eval;

import static dev.pare.compiler.coreml.eval.MilGraphs.bool;
import static dev.pare.compiler.coreml.eval.MilGraphs.i32;
import static dev.pare.compiler.coreml.eval.MilGraphs.ints;
import static dev.pare.compiler.coreml.eval.MilGraphs.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorShapeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Conv, conv_transpose and pools of the MIL interpreter against ONNX Runtime on equivalent one-node models. */
class MilLayersVsOrtTest {

    @TempDir Path dir;

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    private static int numel(long[] s) {
        int n = 1;
        for (long d : s) n *= (int) d;
        return n;
    }

    // ---- ONNX side ---------------------------------------------------------------------------

    private static AttributeProto attr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    /** A float32 initializer; also used by {@link ConvSummationVsOrtTest}. */
    static TensorProto initializer(String name, long[] shape, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : shape) t.addDims(d);
        return t.build();
    }

    static ValueInfoProto info(String name, long[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : shape) s.addDimBuilder().setDimValue(d);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    /** Runs one ONNX node {@code op(x, weights...)} in ORT; returns the output. */
    private OrtRunner.Tensor ort(String op, long[] xShape, float[] x, List<TensorProto> weights, AttributeProto... attrs) throws Exception {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName("n").addInput("x").addOutput("y");
        for (TensorProto w : weights) n.addInput(w.getName());
        for (AttributeProto a : attrs) n.addAttribute(a);
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addNode(n).addInput(info("x", xShape))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(1))));
        g.addAllInitializer(weights);
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        Path file = dir.resolve(op + System.nanoTime() + ".onnx");
        Files.write(file, m.toByteArray());
        return OrtRunner.runUnoptimized(file, Map.of("x", OrtRunner.Tensor.ofFloats(xShape, x))).get("y");
    }

    // ---- MIL side ----------------------------------------------------------------------------

    private static MilTensor mil(String op, long[] xShape, float[] x, Object... params) {
        MilGraphs g = new MilGraphs();
        Value in = g.input("x", DType.FLOAT32, xShape);
        Object[] all = new Object[params.length + 2];
        all[0] = "x";
        all[1] = in;
        System.arraycopy(params, 0, all, 2, params.length);
        Value y = g.node(op, all);
        g.output(y);
        return new MilInterpreter(g.graph()).runTensors(Map.of("x", MilTensor.of(TensorData.ofFloats(xShape, x)))).get(y.name());
    }

    private static void assertClose(OrtRunner.Tensor expected, MilTensor actual) {
        int[] shape = new int[expected.shape().length];
        for (int i = 0; i < shape.length; i++) shape[i] = (int) expected.shape()[i];
        assertArrayEquals(shape, actual.shape(), "shape");
        float[] e = expected.floats();
        float[] a = actual.toFloats();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], a[i], 1e-5f * Math.max(1, Math.abs(e[i])), "element " + i);
    }

    @Test
    void groupedDilatedStridedConvWithCustomPadding() throws Exception {
        long[] xs = {2, 4, 7, 9};
        long[] ws = {6, 2, 3, 3};
        float[] x = random(numel(xs), 1);
        float[] w = random(numel(ws), 2);
        float[] b = random(6, 3);
        OrtRunner.Tensor expected = ort("Conv", xs, x, List.of(initializer("w", ws, w), initializer("b", new long[] {6}, b)),
                attr("strides", 2, 1), attr("dilations", 1, 2), attr("pads", 1, 0, 2, 1), intAttr("group", 2));
        MilTensor actual = mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "bias", TensorData.ofFloats(new long[] {6}, b),
                "strides", ints(2, 1), "pad_type", str("custom"), "pad", ints(1, 2, 0, 1), "dilations", ints(1, 2), "groups", i32(2));
        assertClose(expected, actual);
    }

    @Test
    void sigmoidIsExactWhereOnnxRuntimesApproximationIsNot() throws Exception {
        // far below 0 ONNX Runtime's vectorized logistic approximation is 1e-4 relative off and
        // more: a sigmoid output near 0 (a wake-word score, README "Conversion coverage") differs
        // from the interpreter by ONNX Runtime's error, not the conversion's
        long[] xs = {1, 4};
        float[] x = {-2f, -8f, -10f, -12f};
        float[] mine = mil("sigmoid", xs, x).toFloats();
        float[] theirs = ort("Sigmoid", xs, x, List.of()).floats();
        for (int i = 0; i < x.length; i++) {
            float exact = (float) (1 / (1 + Math.exp(-(double) x[i])));
            assertEquals(exact, mine[i], Math.ulp(exact), "interpreter at " + x[i]);
        }
        assertEquals(1 / (1 + Math.exp(2.0)), theirs[0], 1e-6 * theirs[0]);
        for (int i = 1; i < x.length; i++) {
            double exact = 1 / (1 + Math.exp(-(double) x[i]));
            assertTrue(Math.abs(theirs[i] - exact) / exact > 1e-4, "ONNX Runtime at " + x[i] + ": " + theirs[i] + " vs " + exact);
        }
    }

    @Test
    void convOverPlanesOfSeveralCacheBandsMatchesOnnxRuntime() throws Exception {
        // 300 rows of 40: the interpreter sums a band of 8192 / 40 = 204 output rows at a time
        long[] xs = {1, 3, 300, 40};
        float[] x = random(numel(xs), 4);
        long[] ws = {4, 3, 3, 3};
        float[] w = random(numel(ws), 5);
        assertClose(ort("Conv", xs, x, List.of(initializer("w", ws, w)), attr("pads", 1, 1, 1, 1)),
                mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "pad_type", str("custom"), "pad", ints(1, 1, 1, 1)));
        // stride 2 (the strided loop), and 1x1 over a 12,000-element plane (two bands of the pointwise loop)
        assertClose(ort("Conv", xs, x, List.of(initializer("w", ws, w)), attr("strides", 2, 2)),
                mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "strides", ints(2, 2), "pad_type", str("valid")));
        long[] ws1 = {5, 3, 1, 1};
        float[] w1 = random(numel(ws1), 6);
        assertClose(ort("Conv", xs, x, List.of(initializer("w", ws1, w1))),
                mil("conv", xs, x, "weight", TensorData.ofFloats(ws1, w1), "pad_type", str("valid")));
    }

    @Test
    void sameAndValidPaddingAndOneDimensionalConv() throws Exception {
        long[] xs = {1, 3, 8, 11};
        long[] ws = {5, 3, 4, 3};
        float[] x = random(numel(xs), 4);
        float[] w = random(numel(ws), 5);
        OrtRunner.Tensor same = ort("Conv", xs, x, List.of(initializer("w", ws, w)), attr("strides", 2, 2), strAttr("auto_pad", "SAME_UPPER"));
        assertClose(same, mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "strides", ints(2, 2), "pad_type", str("same")));
        OrtRunner.Tensor lower = ort("Conv", xs, x, List.of(initializer("w", ws, w)), strAttr("auto_pad", "SAME_LOWER"));
        assertClose(lower, mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "pad_type", str("same_lower")));
        OrtRunner.Tensor valid = ort("Conv", xs, x, List.of(initializer("w", ws, w)));
        assertClose(valid, mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "pad_type", str("valid")));

        long[] xs1 = {1, 2, 10};
        long[] ws1 = {3, 2, 3};
        float[] x1 = random(numel(xs1), 6);
        float[] w1 = random(numel(ws1), 7);
        OrtRunner.Tensor conv1d = ort("Conv", xs1, x1, List.of(initializer("w", ws1, w1)), attr("pads", 1, 2), attr("strides", 3));
        assertClose(conv1d, mil("conv", xs1, x1, "weight", TensorData.ofFloats(ws1, w1), "pad_type", str("custom"), "pad", ints(1, 2),
                "strides", ints(3)));
    }

    @Test
    void groupedConvTransposeWithCropAndOutputPadding() throws Exception {
        long[] xs = {1, 4, 5, 6};
        long[] ws = {4, 3, 3, 2};
        float[] x = random(numel(xs), 8);
        float[] w = random(numel(ws), 9);
        float[] b = random(6, 10);
        OrtRunner.Tensor expected = ort("ConvTranspose", xs, x, List.of(initializer("w", ws, w), initializer("b", new long[] {6}, b)),
                attr("strides", 2, 3), attr("pads", 1, 0, 1, 1), attr("output_padding", 1, 0), intAttr("group", 2));
        long[] outShape = expected.shape();
        MilTensor actual = mil("conv_transpose", xs, x, "weight", TensorData.ofFloats(ws, w), "bias", TensorData.ofFloats(new long[] {6}, b),
                "pad", ints(1, 1, 0, 1), "output_shape", ints((int) outShape[0], (int) outShape[1], (int) outShape[2], (int) outShape[3]),
                "pad_type", str("custom"), "strides", ints(2, 3), "dilations", ints(1, 1), "groups", i32(2));
        assertClose(expected, actual);
        OrtRunner.Tensor plain = ort("ConvTranspose", xs, x, List.of(initializer("w", ws, w)), attr("dilations", 2, 1));
        assertClose(plain, mil("conv_transpose", xs, x, "weight", TensorData.ofFloats(ws, w), "dilations", ints(2, 1)));
    }

    @Test
    void poolsWithPaddingAndCeilMode() throws Exception {
        long[] xs = {1, 3, 9, 8};
        float[] x = random(numel(xs), 11);
        OrtRunner.Tensor max = ort("MaxPool", xs, x, List.of(), attr("kernel_shape", 3, 3), attr("strides", 2, 2), attr("pads", 1, 0, 1, 1),
                intAttr("ceil_mode", 1));
        assertClose(max, mil("max_pool", xs, x, "kernel_sizes", ints(3, 3), "strides", ints(2, 2), "pad_type", str("custom"),
                "pad", ints(1, 1, 0, 1), "ceil_mode", bool(true)));
        for (int include = 0; include <= 1; include++) {
            OrtRunner.Tensor avg = ort("AveragePool", xs, x, List.of(), attr("kernel_shape", 3, 2), attr("strides", 2, 3),
                    attr("pads", 1, 1, 1, 1), intAttr("count_include_pad", include), intAttr("ceil_mode", 1));
            assertClose(avg, mil("avg_pool", xs, x, "kernel_sizes", ints(3, 2), "strides", ints(2, 3), "pad_type", str("custom"),
                    "pad", ints(1, 1, 1, 1), "exclude_padding_from_average", bool(include == 0), "ceil_mode", bool(true)));
        }
        OrtRunner.Tensor same = ort("AveragePool", xs, x, List.of(), attr("kernel_shape", 3, 3), attr("strides", 2, 2),
                strAttr("auto_pad", "SAME_UPPER"));
        assertClose(same, mil("avg_pool", xs, x, "kernel_sizes", ints(3, 3), "strides", ints(2, 2), "pad_type", str("same"),
                "exclude_padding_from_average", bool(true)));
    }

    @Test
    void detectorSizedConvMatches() throws Exception {
        // the first layer of PP-OCR det on its [1,3,96,128] input: 3 -> 16 channels, 3x3, stride 2
        long[] xs = {1, 3, 96, 128};
        long[] ws = {16, 3, 3, 3};
        float[] x = random(numel(xs), 12);
        float[] w = random(numel(ws), 13);
        OrtRunner.Tensor expected = ort("Conv", xs, x, List.of(initializer("w", ws, w)), attr("strides", 2, 2), attr("pads", 1, 1, 1, 1));
        assertClose(expected, mil("conv", xs, x, "weight", TensorData.ofFloats(ws, w), "strides", ints(2, 2), "pad_type", str("custom"),
                "pad", ints(1, 1, 1, 1)));
    }

    private static AttributeProto strAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }
}
