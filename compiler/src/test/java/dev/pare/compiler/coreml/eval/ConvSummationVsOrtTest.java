package dev.pare.compiler.coreml.eval;

import static dev.pare.compiler.coreml.eval.MilGraphs.i32;
import static dev.pare.compiler.coreml.eval.MilGraphs.ints;
import static dev.pare.compiler.coreml.eval.MilGraphs.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
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
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interpreter's float32 {@code conv} against ONNX Runtime's CPU Conv (no graph optimizations, one
 * intra-op thread, as {@code pare compare} runs it) bit for bit: one single-Conv model per kind of
 * convolution that MLAS sums differently (README "Conversion coverage"; the order is described in
 * formats/mil-interpreter/src/main/java/dev/pare/compiler/coreml/eval/ConvKernel.java). With more
 * intra-op threads MLAS splits the output pixels between threads and picks K blocks per share, so
 * ONNX Runtime's own bits change for some of these shapes; the interpreter follows one thread.
 */
class ConvSummationVsOrtTest {

    @TempDir Path dir;

    /** One Conv: input [n, c, h, w] (or [n, c, w] when h < 0), weight [cout, c / groups, kh, kw], pads (top, left, bottom, right). */
    record Case(String what, int n, int c, int h, int w, int cout, int groups, int kh, int kw, int sh, int sw,
                int dh, int dw, int padTop, int padLeft, int padBottom, int padRight, boolean bias) {}

    static Case conv(String what, int c, int hw, int cout, int groups, int k, int stride, int pad) {
        return new Case(what, 1, c, hw, hw, cout, groups, k, k, stride, stride, 1, 1, pad, pad, pad, pad, true);
    }

    static final List<Case> CASES = List.of(
            conv("3x3 over 3 channels (K 27)", 3, 32, 16, 1, 3, 1, 1),
            conv("3x3 stride 2, 4 -> 32 (an M-LSD stem)", 4, 40, 32, 1, 3, 2, 1),
            conv("3x3, K 576 > 128 in blocks of 128", 64, 20, 48, 1, 3, 1, 1),
            conv("3x3, K 1152 over 36 outputs: blocks of 256", 128, 6, 32, 1, 3, 1, 1),
            conv("3x3, more channels than outputs: one SGEMM over K 576", 64, 4, 96, 1, 3, 1, 1),
            conv("3x3, no padding", 16, 12, 24, 1, 3, 1, 0),
            conv("depthwise 3x3", 16, 24, 16, 16, 3, 1, 1),
            conv("depthwise 3x3 stride 2", 24, 25, 24, 24, 3, 2, 1),
            conv("depthwise 5x5 (K 25 in groups of 4 and 1)", 8, 17, 8, 8, 5, 1, 2),
            conv("grouped 3x3, 4 groups of 2 -> 3", 8, 14, 12, 4, 3, 1, 1),
            conv("grouped 3x3, one output channel per group, K 360 over 16 outputs", 80, 4, 2, 2, 3, 1, 1),
            conv("1x1, K 32", 32, 16, 64, 1, 1, 1, 0),
            conv("1x1, K 512 over 64 outputs: blocks of 256", 512, 8, 16, 1, 1, 1, 0),
            conv("1x1, K 300 over 900 outputs", 300, 30, 8, 1, 1, 1, 0),
            conv("1x1 to one channel", 40, 12, 1, 1, 1, 1, 0),
            conv("1x1 over a 1x1 map (squeeze-excitation), 8 rows of 4", 24, 1, 8, 1, 1, 1, 0),
            conv("1x1 over a 1x1 map, 7 rows: 4, 2, 1; K 13", 13, 1, 7, 1, 1, 1, 0),
            conv("3x3 padded over a 1x1 map", 20, 1, 6, 1, 3, 1, 1),
            conv("1x1 stride 2", 16, 15, 12, 1, 1, 2, 0),
            new Case("3x3 without bias", 1, 24, 13, 13, 10, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false),
            new Case("dilated 3x3", 1, 6, 19, 19, 5, 1, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, true),
            new Case("asymmetric padding, 3x5, strides 2x1", 1, 5, 15, 17, 7, 1, 3, 5, 2, 1, 1, 1, 0, 2, 1, 1, true),
            new Case("two images", 2, 12, 9, 9, 20, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, true),
            new Case("1-D, kernel 7", 1, 6, -1, 50, 9, 1, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, true),
            new Case("one channel, kernel as wide as the input, one output channel", 1, 1, 11, 5, 1, 1, 3, 5, 1, 1, 1, 1, 0, 0, 0, 0, true),
            new Case("one channel, kernel as wide as the input, 3 output channels", 1, 1, 11, 5, 3, 1, 3, 5, 1, 1, 1, 1, 0, 0, 0, 0, true),
            new Case("one channel, kernel as tall as the input, one column", 1, 1, 6, 9, 1, 1, 6, 1, 1, 1, 1, 1, 0, 0, 0, 0, true));

    @Test
    void float32ConvolutionsMatchOnnxRuntimeBitForBit() throws Exception {
        assumeTrue(fmaCpu(), "ONNX Runtime takes other kernels without FMA");
        List<String> failures = new ArrayList<>();
        long values = 0;
        for (Case c : CASES) {
            SplittableRandom r = new SplittableRandom(c.what().hashCode());
            Inputs in = inputs(c, r);
            float[] expected = ort(c, in, 1);
            float[] actual = mil(c, in);
            assertEquals(expected.length, actual.length, c.what());
            String diff = firstDifference(expected, actual);
            if (diff != null) failures.add(c.what() + ": " + diff);
            values += expected.length;
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + CASES.size() + " kinds differ:\n" + String.join("\n", failures));
        assertTrue(values > 50_000, "compared " + values + " values");
    }

    @Test
    void thePlainOrderMissesOnnxRuntimeOnEveryKind() throws Exception {
        // what the interpreter summed before (bias, then one term at a time): the test above can fail
        assumeTrue(fmaCpu(), "ONNX Runtime takes other kernels without FMA");
        List<String> same = new ArrayList<>();
        for (Case c : CASES) {
            Inputs in = inputs(c, new SplittableRandom(c.what().hashCode()));
            float[] plain = ConvKernel.run(shape(c), in.x(), in.w(), in.b(), ConvKernel.Summation.PLAIN);
            if (firstDifference(ort(c, in, 1), plain) == null) same.add(c.what());
        }
        assertTrue(same.isEmpty(), "the plain order matches ONNX Runtime on " + same);
    }

    /** MLAS picks its SGEMM kernels by CPU: the AVX-512F and FMA3 ones sum alike, older ones do not fuse. */
    static boolean fmaCpu() {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return false;
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .anyMatch(l -> l.startsWith("flags") && List.of(l.split("\\s+")).contains("fma"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static ConvKernel.Shape shape(Case c) {
        int h = c.h() < 0 ? 1 : c.h();
        int oh = (h + c.padTop() + c.padBottom() - ((c.kh() - 1) * c.dh() + 1)) / c.sh() + 1;
        int ow = (c.w() + c.padLeft() + c.padRight() - ((c.kw() - 1) * c.dw() + 1)) / c.sw() + 1;
        if (c.h() < 0) return new ConvKernel.Shape(c.n(), c.c(), 1, c.w(), c.cout(), c.groups(), 1, c.kw(), 1, c.sw(), 1, c.dw(), 0, c.padLeft(), 1, ow);
        return new ConvKernel.Shape(c.n(), c.c(), h, c.w(), c.cout(), c.groups(), c.kh(), c.kw(), c.sh(), c.sw(), c.dh(), c.dw(),
                c.padTop(), c.padLeft(), oh, ow);
    }

    // ---- inputs ----------------------------------------------------------------------------------

    record Inputs(long[] xShape, float[] x, long[] wShape, float[] w, float[] b) {}

    /** Activations in [-1, 1) and weights whose magnitudes span four binades, so that any change of order shows in the last bits. */
    static Inputs inputs(Case c, SplittableRandom r) {
        long[] xs = c.h() < 0 ? new long[] {c.n(), c.c(), c.w()} : new long[] {c.n(), c.c(), c.h(), c.w()};
        long[] ws = c.h() < 0 ? new long[] {c.cout(), c.c() / c.groups(), c.kw()} : new long[] {c.cout(), c.c() / c.groups(), c.kh(), c.kw()};
        float[] x = new float[(int) numel(xs)];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        float[] w = new float[(int) numel(ws)];
        for (int i = 0; i < w.length; i++) w[i] = (float) ((r.nextDouble() * 2 - 1) * Math.pow(2, -r.nextInt(4)));
        float[] b = new float[c.cout()];
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
        return new Inputs(xs, x, ws, w, c.bias() ? b : null);
    }

    private static long numel(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }

    static String firstDifference(float[] expected, float[] actual) {
        int count = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            // +0 and -0 count as equal: MLAS multiplies padding by 0 where the interpreter skips it
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i]) && expected[i] != actual[i]) {
                if (count++ == 0) first = i;
            }
        }
        if (count == 0) return null;
        return count + " of " + expected.length + " differ, first [" + first + "] ort " + expected[first] + " ("
                + Integer.toHexString(Float.floatToIntBits(expected[first])) + ") mil " + actual[first] + " ("
                + Integer.toHexString(Float.floatToIntBits(actual[first])) + ")";
    }

    // ---- ONNX Runtime ----------------------------------------------------------------------------

    float[] ort(Case c, Inputs in, int threads) throws Exception {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType("Conv").setName("conv").addInput("x").addInput("w").addOutput("y");
        if (in.b() != null) n.addInput("b");
        boolean oneD = c.h() < 0;
        n.addAttribute(intsAttr("strides", oneD ? new long[] {c.sw()} : new long[] {c.sh(), c.sw()}));
        n.addAttribute(intsAttr("dilations", oneD ? new long[] {c.dw()} : new long[] {c.dh(), c.dw()}));
        n.addAttribute(intsAttr("pads", oneD ? new long[] {c.padLeft(), c.padRight()} : new long[] {c.padTop(), c.padLeft(), c.padBottom(), c.padRight()}));
        n.addAttribute(AttributeProto.newBuilder().setName("group").setType(AttributeType.INT).setI(c.groups()));
        GraphProto.Builder g = GraphProto.newBuilder().setName("g").addNode(n).addInput(MilLayersVsOrtTest.info("x", in.xShape()))
                .addOutput(ValueInfoProto.newBuilder().setName("y").setType(TypeProto.newBuilder().setTensorType(
                        TypeProto.Tensor.newBuilder().setElemType(1))))
                .addInitializer(MilLayersVsOrtTest.initializer("w", in.wShape(), in.w()));
        if (in.b() != null) g.addInitializer(MilLayersVsOrtTest.initializer("b", new long[] {c.cout()}, in.b()));
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("pare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
        Path file = dir.resolve("conv" + System.nanoTime() + ".onnx");
        Files.write(file, m.toByteArray());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(file.toString(), opts);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(in.x()), in.xShape());
                 OrtSession.Result result = session.run(Map.of("x", x))) {
                FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
                float[] y = new float[fb.remaining()];
                fb.get(y);
                return y;
            }
        }
    }

    private static AttributeProto intsAttr(String name, long[] v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    // ---- the interpreter -------------------------------------------------------------------------

    static float[] mil(Case c, Inputs in) {
        MilGraphs g = new MilGraphs();
        Value x = g.input("x", DType.FLOAT32, in.xShape());
        boolean oneD = c.h() < 0;
        List<Object> params = new ArrayList<>(List.of("x", x, "weight", TensorData.ofFloats(in.wShape(), in.w()),
                "strides", oneD ? ints(c.sw()) : ints(c.sh(), c.sw()),
                "dilations", oneD ? ints(c.dw()) : ints(c.dh(), c.dw()),
                "pad_type", str("custom"),
                "pad", oneD ? ints(c.padLeft(), c.padRight()) : ints(c.padTop(), c.padBottom(), c.padLeft(), c.padRight()),
                "groups", i32(c.groups())));
        if (in.b() != null) {
            params.add("bias");
            params.add(TensorData.ofFloats(new long[] {c.cout()}, in.b()));
        }
        Value y = g.node("conv", params.toArray());
        g.output(y);
        return new MilInterpreter(g.graph()).runTensors(Map.of("x", MilTensor.of(TensorData.ofFloats(in.xShape(), in.x()))))
                .get(y.name()).toFloats();
    }
}
