package dev.pare.compiler.onnx.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.passes.compression.math.WeightTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mnist_dwnet with every Conv/Gemm weight compressed by hand (int8 per output channel, or 4-bit
 * k-means LUT), written as ONNX: ONNX Runtime's outputs equal, bit for bit, those of the same
 * model whose weights were replaced by their decompressed dense values, and the file is smaller.
 */
class MnistCompressionTest {

    static final Path MNIST = Path.of("src/test/resources/models/mnist_dwnet/model.onnx");
    static final Path TEST_X = Path.of("src/test/resources/models/mnist_dwnet/test_x.f32");

    @TempDir Path tmp;

    /** The compressed weight's pare ops and its decompressed values. */
    record Compressed(Function<Rewriter, Value> build, float[] dense) {}

    /** Replaces every Conv/Gemm weight by {@code compress}'s pare ops (or by its dense values). */
    private static Model rewrite(Function<WeightTensor, Compressed> compress, boolean denseOnly) throws Exception {
        Model m = new OnnxFormat().read(MNIST);
        Rewriter rw = m.graph().rewriter();
        int done = 0;
        for (Node n : new ArrayList<>(m.graph().nodes())) {
            if (!n.op().equals("onnx.Conv") && !n.op().equals("onnx.Gemm")) continue;
            Value w = n.operand(1);
            if (!w.isConstant() || w.data().dtype() != DType.FLOAT32) continue;
            long[] shape = w.data().type().shape();
            float[] v = new float[(int) w.data().elementCount()];
            w.data().bytes().asFloatBuffer().get(v);
            Compressed c = compress.apply(WeightTensor.of(v, shape, Precision.FLOAT32));
            if (denseOnly) {
                rw.setConstantData(w, TensorData.ofFloats(shape, c.dense()));
            } else {
                rw.setInsertionPointBefore(firstUser(m, w));
                Value dense = c.build().apply(rw);
                rw.replaceAllUsesWith(w, dense);
                rw.eraseConstant(w);
            }
            done++;
        }
        assertEquals(18, done, "17 convolutions and the classifier");
        return m;
    }

    private static Node firstUser(Model m, Value w) {
        for (Node n : m.graph().nodes()) for (Value o : n.operands()) if (o == w) return n;
        throw new IllegalStateException("unused " + w);
    }

    private static Compressed int8(WeightTensor w) {
        LinearQuantization q = LinearQuantizer.quantize(w, new LinearQuantizerOptions(
                LinearQuantizerOptions.Mode.LINEAR_SYMMETRIC, DType.INT8, new QuantGranularity.PerChannel(0)));
        String name = "w" + Integer.toHexString(System.identityHashCode(q));
        return new Compressed(rw -> PareWeights.affine(rw, rw.uniqueValueName(name), q), q.decompress());
    }

    private static Compressed lut4(WeightTensor w) {
        Palettization p = new Palettizer(null).palettize(w, PalettizerOptions.kmeans(4), new SplittableRandom(1));
        String name = "w" + Integer.toHexString(System.identityHashCode(p));
        return new Compressed(rw -> PareWeights.lut(rw, rw.uniqueValueName(name), p), p.decompress());
    }

    /** 2-bit k-means, one LUT per 2 output channels: groups along axis 0, decoded by GatherElements. */
    private static Compressed lut2Grouped(WeightTensor w) {
        Palettization p = new Palettizer(null).palettize(w, PalettizerOptions.kmeans(2).withGroups(2, 0), new SplittableRandom(1));
        String name = "w" + Integer.toHexString(System.identityHashCode(p));
        return new Compressed(rw -> PareWeights.lut(rw, rw.uniqueValueName(name), p), p.decompress());
    }

    private static Map<String, Tensor> images() throws Exception {
        byte[] raw = Files.readAllBytes(TEST_X);
        int images = raw.length / (28 * 28 * 4);
        float[] x = new float[images * 28 * 28];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(x);
        return Map.of("input", Tensor.ofFloats(new long[] {images, 1, 28, 28}, x));
    }

    private long compare(Function<WeightTensor, Compressed> compress, String name, long expectedOpset) throws Exception {
        Path compressed = tmp.resolve(name + ".onnx");
        Path dense = tmp.resolve(name + "-dense.onnx");
        new OnnxFormat().write(OnnxLowering.lower(rewrite(compress, false)), compressed);
        new OnnxFormat().write(OnnxLowering.lower(rewrite(compress, true)), dense);
        Model back = LoweringHarness.readBack(compressed);
        assertEquals(expectedOpset, back.opsetVersion(""));
        Map<String, Tensor> in = images();
        float[] expected = OrtRunner.run(dense, in).get("logits").floats();
        // With QDQ handling off, ORT folds the constant DequantizeLinear into a float initializer, so
        // Conv sees exactly the dense weights: bit for bit.
        float[] folded = OrtRunner.run(compressed, in, Map.of("session.disable_quant_qdq", "1")).get("logits").floats();
        LoweringHarness.assertBits(expected, folded);
        float[] actual = OrtRunner.run(compressed, in, OrtRunner.EXACT_MATMUL_NBITS).get("logits").floats();
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
        }
        System.out.println(name + ": largest relative logit difference with default ORT options " + worst);
        // By default ORT keeps DequantizeLinear (for QDQ fusions) and runs Conv on a weight that is
        // not an initializer, which cannot be pre-packed: another summation order, a few ulp.
        assertTrue(worst < 1e-5, name + ": " + worst);
        long size = Files.size(compressed);
        System.out.println("mnist " + name + ": " + size + " bytes (dense " + Files.size(MNIST) + ")");
        assertTrue(size < Files.size(dense), size + " vs " + Files.size(dense));
        return size;
    }

    @Test
    void int8PerChannel() throws Exception {
        long size = compare(MnistCompressionTest::int8, "int8", 13);
        long original = Files.size(MNIST);
        assertTrue(size < original * 0.3, "int8 file " + size + " vs " + original);
    }

    @Test
    void palettized4Bit() throws Exception {
        long size = compare(MnistCompressionTest::lut4, "lut4", 21);
        long original = Files.size(MNIST);
        assertTrue(size < original * 0.16, "4-bit LUT file " + size + " vs " + original);
    }

    /**
     * LUTs grouped along the output channels (2-bit codes, unpacked arithmetically) decode through
     * GatherElements from a [groups, 4] table: no int64 offset per group is stored, and ORT's logits
     * equal those of the dense model bit for bit, as with the Gather-and-offsets form this replaced.
     */
    @Test
    void palettized2BitGroupedAlongOutputChannels() throws Exception {
        compare(MnistCompressionTest::lut2Grouped, "lut2g", 13);
        Model back = LoweringHarness.readBack(tmp.resolve("lut2g.onnx"));
        assertEquals(18, LoweringHarness.ops(back).get("onnx.GatherElements"));
        assertEquals(null, LoweringHarness.ops(back).get("onnx.Gather"));
        for (Value c : back.graph().constants()) assertTrue(!c.name().contains("lut_offsets"), c.name());
    }
}
