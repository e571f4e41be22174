package dev.pare.compiler.onnx.lower;

import static dev.pare.compiler.onnx.lower.LoweringHarness.assertBits;
import static dev.pare.compiler.onnx.lower.LoweringHarness.evaluate;
import static dev.pare.compiler.onnx.lower.LoweringHarness.weightModel;
import static dev.pare.compiler.onnx.lower.LoweringHarness.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.compression.math.LinearQuantization;
import dev.pare.passes.compression.math.LinearQuantizer;
import dev.pare.passes.compression.math.LinearQuantizerOptions;
import dev.pare.passes.compression.math.LinearQuantizerOptions.Mode;
import dev.pare.passes.compression.math.MagnitudePrunerOptions;
import dev.pare.passes.compression.math.Palettization;
import dev.pare.passes.compression.math.Palettizer;
import dev.pare.passes.compression.math.PalettizerOptions;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.Pruner;
import dev.pare.passes.compression.math.PruningResult;
import dev.pare.passes.compression.math.QuantGranularity;
import dev.pare.passes.compression.math.WeightTensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lower_to_onnx keeps the bytes of large compressed constants where the passes stored them (the
 * tensor store's file): a sparsity mask, packed LUT indices and blocked scales become ONNX
 * constants that share those bytes instead of heap copies (at 7B, PRUNE_50's masks alone are
 * 0.8 GB). The lowered model still decodes bit for bit in ONNX Runtime.
 */
class LoweringSharesStoredBytesTest {

    @TempDir Path tmp;

    private static WeightTensor weight(long[] shape, long seed) {
        int n = (int) (shape[0] * shape[1]);
        return WeightTensor.of(weights(n, seed, Precision.FLOAT32), shape, Precision.FLOAT32);
    }

    /** {@code data} put in {@code store}: mapped from its file when read, origin {@code store@offset}. */
    private static DenseData stored(FileTensorStore store, TensorData data) {
        DenseData d = store.put(data.type(), data.bytes());
        assertTrue(d.origin().startsWith("store@"), "large enough for the file: " + d.origin());
        return d;
    }

    /** The constants of the lowered graph whose bytes are {@code data}'s, i.e. come from the same place. */
    private static List<DenseData> sharing(Model m, DenseData data) {
        return m.graph().allNodes().stream().flatMap(n -> n.operands().stream()).filter(Value::isConstant).distinct()
                .map(Value::data).filter(d -> d instanceof DenseData dd && dd.origin().equals(data.origin()))
                .map(d -> (DenseData) d).toList();
    }

    private void assertDecodes(Model lowered, float[] expected, String file) throws Exception {
        Path out = tmp.resolve(file);
        new OnnxFormat().write(lowered, out);
        assertBits(expected, evaluate(out));
    }

    @Test
    void aStoredMaskIsUnpackedFromTheStoreNotCopied() throws Exception {
        PruningResult r = Pruner.magnitude(weight(new long[] {256, 160}, 31), MagnitudePrunerOptions.sparsity(0.5));
        try (FileTensorStore store = FileTensorStore.in(tmp)) {
            DenseData mask = stored(store, PareWeights.mask(r.shape(), r.keep()));
            DenseData values = stored(store, PareWeights.floats(Precision.FLOAT32, new long[] {r.keptCount()}, r.keptValues()));
            Model m = weightModel(rw -> rw.createNode("w", "pare.sparse_to_dense",
                    List.of(rw.addConstant("w_mask", mask), rw.addConstant("w_nz", values)), List.of("w"),
                    List.of(TensorType.of(DType.FLOAT32, r.shape())), Attributes.empty(), Location.created("test")).result(0));
            Model lowered = OnnxLowering.lower(m);
            List<DenseData> packed = sharing(lowered, mask);
            assertEquals(1, packed.size(), "the mask's bytes, as uint8 for the unpacking");
            assertEquals(TensorType.of(DType.UINT8, new long[] {256 * 160 / 8, 1}), packed.get(0).type());
            assertTrue(packed.get(0).bytes().isDirect(), "mapped from the store, not a heap copy");
            assertDecodes(lowered, r.decompress(), "sparse.onnx");
        }
    }

    @Test
    void storedThreeBitIndicesAreUnpackedFromTheStore() throws Exception {
        Palettization p = new Palettizer(null).palettize(weight(new long[] {128, 96}, 32), PalettizerOptions.kmeans(3), new java.util.SplittableRandom(11));
        try (FileTensorStore store = FileTensorStore.in(tmp)) {
            DenseData idx = stored(store, PareWeights.ints(p.indexType(), p.indicesShape(), p.indices()));
            TensorData lut = PareWeights.floats(p.precision(), p.lutShape(), p.luts());
            Model m = weightModel(rw -> rw.createNode("w", "pare.lut_to_dense",
                    List.of(rw.addConstant("w_idx", idx), rw.addConstant("w_lut", lut)), List.of("w"),
                    List.of(TensorType.of(DType.FLOAT32, p.shape())), Attributes.empty(), Location.created("test")).result(0));
            Model lowered = OnnxLowering.lower(m);
            List<DenseData> packed = sharing(lowered, idx);
            assertEquals(1, packed.size());
            assertEquals(TensorType.of(DType.UINT8, new long[] {128 * 96 / 8, 3}), packed.get(0).type(), "3 bytes hold 8 codes");
            assertTrue(packed.get(0).bytes().isDirect());
            assertDecodes(lowered, p.decompress(), "lut3.onnx");
        }
    }

    @Test
    void blockScalesAlongOneAxisAreUsedAsStored() throws Exception {
        // INT4_BLOCK32's form: one scale per output channel (axis 0 here) and block of 8 inputs (axis 1)
        LinearQuantization q = LinearQuantizer.quantize(weight(new long[] {64, 256}, 33),
                new LinearQuantizerOptions(Mode.LINEAR_SYMMETRIC, DType.INT4, new QuantGranularity.PerBlock(0, 1, 8)));
        try (FileTensorStore store = FileTensorStore.in(tmp)) {
            DenseData scale = stored(store, PareWeights.floats(q.precision(), q.scaleShape(), q.scales()));
            Model m = weightModel(rw -> rw.createNode("w", "pare.affine_dequantize",
                    List.of(rw.addConstant("w_q", PareWeights.ints(q.dtype(), q.shape(), q.quantized())), rw.addConstant("w_scale", scale)),
                    List.of("w"), List.of(TensorType.of(DType.FLOAT32, q.shape())), Attributes.empty(), Location.created("test")).result(0));
            Model lowered = OnnxLowering.lower(m);
            Node dq = lowered.graph().nodes().stream().filter(n -> n.op().equals("onnx.DequantizeLinear")).findFirst().orElseThrow();
            DenseData used = assertInstanceOf(DenseData.class, dq.operand(1).data());
            assertEquals(scale.origin(), used.origin(), "the stored scales, not a heap copy");
            assertEquals(TensorType.of(DType.FLOAT32, new long[] {64, 32}), used.type());
            assertEquals(8, dq.attributes().getInt("block_size", -1));
            assertDecodes(lowered, q.decompress(), "int4.onnx");
        }
    }
}
