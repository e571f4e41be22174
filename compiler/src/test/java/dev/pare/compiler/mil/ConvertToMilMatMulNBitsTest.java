package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniformBytes;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * com.microsoft.MatMulNBits (4- and 8-bit block-quantized weights, with and without zero points
 * and bias) converted to a pare.affine_dequantize feeding MIL linear, written as an .mlpackage,
 * read back and run in the MIL interpreter against ONNX Runtime (accuracy_level 0: float A).
 */
class ConvertToMilMatMulNBitsTest {

    @TempDir Path tmp;

    static final int K = 64;
    static final int N = 24;

    private static GraphProto matMulNBits(String name, int bits, int block, boolean zeroPoints, boolean bias, long accuracyLevel) {
        int blocks = K / block;
        int blob = block * bits / 8;
        OnnxGraphBuilder b = new OnnxGraphBuilder(name).input("a", FLOAT, 2, 3, K)
                .bytes("b", UINT8, new long[] {N, blocks, blob}, uniformBytes(N * blocks * blob, bits * 100 + block, 0, 255))
                .floats("scales", new long[] {N * blocks}, uniform(N * blocks, 5, 0.01, 0.05))
                .bytes("zp", UINT8, new long[] {N * ((blocks * bits + 7) / 8)}, uniformBytes(N * ((blocks * bits + 7) / 8), 6, 0, 255))
                .floats("bias", new long[] {N}, uniform(N, 7, -1, 1));
        List<String> in = new ArrayList<>(List.of("a", "b", "scales"));
        if (zeroPoints || bias) in.add(zeroPoints ? "zp" : "");
        if (bias) in.addAll(List.of("", "bias"));
        return b.msNode("MatMulNBits", in.toArray(String[]::new), new String[] {"y"}, intAttr("K", K), intAttr("N", N),
                        intAttr("bits", bits), intAttr("block_size", block), intAttr("accuracy_level", accuracyLevel))
                .output("y", FLOAT, 2, 3, N).build();
    }

    private Model convert(GraphProto g, String name) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
        // blockwise scales (and uint4 codes) are iOS 18's constexpr_blockwise_shift_scale
        return ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"), "ios18");
    }

    @Test
    void matMulNBitsMatchesOnnxRuntimeFor4And8BitBlocksWithAndWithoutZeroPointsAndBias() throws Exception {
        int cases = 0;
        for (int bits : new int[] {4, 8}) {
            for (int block : new int[] {16, 32}) {
                for (boolean zp : new boolean[] {false, true}) {
                    for (boolean bias : new boolean[] {false, true}) {
                        String name = "mnb_" + bits + "_" + block + "_" + zp + "_" + bias;
                        Model m = convert(matMulNBits(name, bits, block, zp, bias, 0), name);
                        List<String> ops = m.graph().allNodes().stream().map(Node::op).filter(o -> !o.equals("mil.const")).toList();
                        assertTrue(ops.contains("mil.linear"), name + ": " + ops);
                        for (long seed = 1; seed <= 2; seed++) {
                            Map<String, Double> errors = ConvertedVsOrt.relativeErrors(tmp.resolve(name + ".onnx"), m,
                                    Map.of("a", Tensor.ofFloats(new long[] {2, 3, K}, uniform(6 * K, seed, -2, 2))));
                            System.out.println(name + " seed " + seed + ": " + errors + " " + ops);
                            assertTrue(errors.get("y") <= 1e-5, name + ": " + errors);
                        }
                        cases++;
                    }
                }
            }
        }
        assertEquals(16, cases);
    }

    @Test
    void matMulNBitsRefusalsNameTheReason() {
        Exception bits = assertThrows(Exception.class, () -> convert(new OnnxGraphBuilder("mnb2").input("a", FLOAT, 1, K)
                .bytes("b", UINT8, new long[] {N, 4, 4}, new byte[N * 16]).floats("scales", new long[] {N * 4}, new float[N * 4])
                .msNode("MatMulNBits", new String[] {"a", "b", "scales"}, new String[] {"y"}, intAttr("K", K), intAttr("N", N),
                        intAttr("bits", 2), intAttr("block_size", 16))
                .output("y", FLOAT, 1, N).build(), "mnb2"));
        assertTrue(bits.getMessage().contains("MatMulNBits 'MatMulNBits_0': bits=2 has no lowering (4 or 8)"), bits.getMessage());
        Exception partial = assertThrows(Exception.class, () -> convert(new OnnxGraphBuilder("mnb_k").input("a", FLOAT, 1, 40)
                .bytes("b", UINT8, new long[] {N, 3, 8}, new byte[N * 24]).floats("scales", new long[] {N * 3}, new float[N * 3])
                .msNode("MatMulNBits", new String[] {"a", "b", "scales"}, new String[] {"y"}, intAttr("K", 40), intAttr("N", N),
                        intAttr("bits", 4), intAttr("block_size", 16))
                .output("y", FLOAT, 1, N).build(), "mnb_k"));
        assertTrue(partial.getMessage().contains("K 40 is not a multiple of block_size 16 (a partial last block has no lowering)"), partial.getMessage());
    }
}
