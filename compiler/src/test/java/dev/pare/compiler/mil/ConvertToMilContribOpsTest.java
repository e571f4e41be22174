package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniform;
import static dev.pare.compiler.mil.ConvertedVsOrt.uniformBytes;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.UINT8;
import static dev.pare.compiler.mil.OnnxGraphBuilder.floatAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's own ops (what a model saved after its graph optimizations holds, e.g. the corpus's
 * Swin2SR): com.microsoft FusedMatMul, Gelu, DynamicQuantizeMatMul, MatMulIntegerToFloat and
 * SimplifiedLayerNormalization, converted, written as an .mlpackage, read back and run in the MIL
 * interpreter against ONNX Runtime (which implements them on CPU) on the same inputs.
 */
class ConvertToMilContribOpsTest {

    @TempDir Path tmp;

    private static List<String> ops(Model m) {
        return m.graph().allNodes().stream().map(Node::op).filter(o -> o.startsWith("mil.") && !o.equals("mil.const")).toList();
    }

    private Model convert(GraphProto g, String name) throws Exception {
        Path onnx = OnnxGraphBuilder.write(g, tmp.resolve(name + ".onnx"));
        return ConvertedVsOrt.convert(onnx, List.of(), tmp.resolve(name + ".mlpackage"));
    }

    @Test
    void fusedMatMulWithTransposesAndAlphaIsMatmulThenMul() throws Exception {
        GraphProto g = new OnnxGraphBuilder("fmm").input("a", FLOAT, 2, 4, 3).input("b", FLOAT, 2, 5, 4)
                .msNode("FusedMatMul", new String[] {"a", "b"}, new String[] {"y"},
                        intAttr("transA", 1), intAttr("transB", 1), floatAttr("alpha", 0.125f))
                .output("y", FLOAT, 2, 3, 5).build();
        Model m = convert(g, "fmm");
        assertEquals(List.of("mil.matmul", "mil.mul"), ops(m));
        for (long seed = 1; seed <= 2; seed++) {
            double worst = ConvertedVsOrt.assertMatches(tmp.resolve("fmm.onnx"), m, inputs(
                    "a", floats(new long[] {2, 4, 3}, uniform(24, seed, -2, 2)), "b", floats(new long[] {2, 5, 4}, uniform(40, seed + 7, -2, 2))), 1e-6);
            assertTrue(worst < 1e-6, "4-term float32 dot products: at most the summation order differs, got " + worst);
        }
    }

    @Test
    void fusedMatMulAsSwin2srWritesItIsOneMatmul() throws Exception {
        GraphProto g = new OnnxGraphBuilder("fmm_t").input("q", FLOAT, 1, 2, 6, 8).input("k", FLOAT, 1, 2, 6, 8)
                .msNode("FusedMatMul", new String[] {"q", "k"}, new String[] {"scores"},
                        intAttr("transA", 0), intAttr("transB", 1), intAttr("transBatchA", 0), intAttr("transBatchB", 0), floatAttr("alpha", 1f))
                .output("scores", FLOAT, 1, 2, 6, 6).build();
        Model m = convert(g, "fmm_t");
        assertEquals(List.of("mil.matmul"), ops(m));
        ConvertedVsOrt.assertMatches(tmp.resolve("fmm_t.onnx"), m, inputs(
                "q", floats(new long[] {1, 2, 6, 8}, uniform(96, 3, -1, 1)), "k", floats(new long[] {1, 2, 6, 8}, uniform(96, 4, -1, 1))), 1e-6);
    }

    /**
     * Operand dims as FusedMatMul reads them: the matrices [rows, cols] (swapped when transposed)
     * behind the batch dims, or with transBatch the first matrix axis in front of them.
     */
    private static long[] operandDims(long[] batch, long rows, long cols, boolean trans, boolean transBatch) {
        long first = trans ? cols : rows;
        long second = trans ? rows : cols;
        long[] d = new long[batch.length + 2];
        if (transBatch) {
            d[0] = first;
            System.arraycopy(batch, 0, d, 1, batch.length);
        } else {
            System.arraycopy(batch, 0, d, 0, batch.length);
            d[batch.length] = first;
        }
        d[batch.length + 1] = second;
        return d;
    }

    private static Object[] boxed(long[] dims) { return java.util.Arrays.stream(dims).boxed().toArray(); }

    @Test
    void fusedMatMulWithTransBatchMatchesOnnxRuntimeFor3dAnd4dOperands() throws Exception {
        long m = 4;
        long k = 5;
        long n = 3;
        int cases = 0;
        for (long[] batch : new long[][] {{2}, {2, 3}}) {
            for (int flags = 0; flags < 16; flags++) {
                boolean batchA = (flags & 1) != 0;
                boolean batchB = (flags & 2) != 0;
                boolean transA = (flags & 4) != 0;
                boolean transB = (flags & 8) != 0;
                long[] a = operandDims(batch, m, k, transA, batchA);
                long[] b = operandDims(batch, k, n, transB, batchB);
                long[] y = new long[batch.length + 2];
                System.arraycopy(batch, 0, y, 0, batch.length);
                y[batch.length] = m;
                y[batch.length + 1] = n;
                String name = "fmm_tb" + batch.length + "_" + flags;
                GraphProto g = new OnnxGraphBuilder(name).input("a", FLOAT, boxed(a)).input("b", FLOAT, boxed(b))
                        .msNode("FusedMatMul", new String[] {"a", "b"}, new String[] {"y"}, intAttr("transA", transA ? 1 : 0),
                                intAttr("transB", transB ? 1 : 0), intAttr("transBatchA", batchA ? 1 : 0), intAttr("transBatchB", batchB ? 1 : 0),
                                floatAttr("alpha", 0.5f))
                        .output("y", FLOAT, boxed(y)).build();
                Model converted = convert(g, name);
                long transposes = ops(converted).stream().filter(o -> o.equals("mil.transpose")).count();
                assertEquals((batchA ? 1 : 0) + (batchB ? 1 : 0), transposes, name + ": one transpose per transBatch operand");
                int sizeA = (int) java.util.Arrays.stream(a).reduce(1, (p, q) -> p * q);
                int sizeB = (int) java.util.Arrays.stream(b).reduce(1, (p, q) -> p * q);
                double worst = ConvertedVsOrt.assertMatches(tmp.resolve(name + ".onnx"), converted, inputs(
                        "a", floats(a, uniform(sizeA, flags + 1, -2, 2)), "b", floats(b, uniform(sizeB, flags + 40, -2, 2))), 1e-6);
                assertTrue(worst < 1e-6, name + ": 5-term float32 dot products, at most the summation order differs: " + worst);
                cases++;
            }
        }
        assertEquals(32, cases);
    }

    @Test
    void fusedMatMulTransBatchWithOperandsOfOtherRanksIsRefusedNamingTheAttribute() {
        GraphProto g = new OnnxGraphBuilder("fmm_b").input("a", FLOAT, 2, 3, 4).input("b", FLOAT, 4, 5)
                .msNode("FusedMatMul", new String[] {"a", "b"}, new String[] {"y"}, intAttr("transBatchA", 1))
                .outputAnyShape("y", FLOAT).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "fmm_b"));
        assertTrue(e.getMessage().contains("FusedMatMul 'FusedMatMul_0': transBatchA=1 needs A and B of the same rank >= 3, got ranks 3 and 2"),
                e.getMessage());
    }

    @Test
    void geluIsMilGeluExact() throws Exception {
        GraphProto g = new OnnxGraphBuilder("gelu").input("x", FLOAT, 4, 50)
                .msNode("Gelu", new String[] {"x"}, new String[] {"y"}).output("y", FLOAT, 4, 50).build();
        Model m = convert(g, "gelu");
        assertEquals(List.of("mil.gelu"), ops(m));
        float[] x = new float[200];
        for (int i = 0; i < x.length; i++) x[i] = -7f + i * 0.07f;
        double worst = ConvertedVsOrt.assertMatches(tmp.resolve("gelu.onnx"), m, inputs("x", floats(new long[] {4, 50}, x)), 2e-6);
        assertTrue(worst < 1e-5, "erf form, not the tanh approximation (3e-4 away near |x| = 2): " + worst);
    }

    @Test
    void biasGeluAndFastGeluAreMilGeluAfterTheBias() throws Exception {
        float[] x = new float[200];
        for (int i = 0; i < x.length; i++) x[i] = -7f + i * 0.07f;
        for (String op : new String[] {"BiasGelu", "FastGelu"}) {
            for (boolean bias : op.equals("BiasGelu") ? new boolean[] {true} : new boolean[] {false, true}) {
                String name = op + "_" + bias;
                GraphProto g = new OnnxGraphBuilder(name).input("x", FLOAT, 4, 50).floats("b", new long[] {50}, uniform(50, 3, -0.5, 0.5))
                        .msNode(op, bias ? new String[] {"x", "b"} : new String[] {"x"}, new String[] {"y"}).output("y", FLOAT, 4, 50).build();
                Model m = convert(g, name);
                assertEquals(bias ? List.of("mil.add", "mil.gelu") : List.of("mil.gelu"), ops(m));
                double worst = ConvertedVsOrt.assertMatches(tmp.resolve(name + ".onnx"), m, inputs("x", floats(new long[] {4, 50}, x)), 2e-6);
                System.out.println(name + ": worst |ort - mil| " + worst + " on x in [-7, 7)");
            }
        }
    }

    @Test
    void simplifiedLayerNormalizationIsRmsNormInOnnxRuntimesOrder() throws Exception {
        GraphProto g = new OnnxGraphBuilder("rms").input("x", FLOAT, 2, 3, 16)
                .floats("scale", new long[] {16}, uniform(16, 5, -2, 2))
                .node("SimplifiedLayerNormalization", new String[] {"x", "scale"}, new String[] {"y"},
                        intAttr("axis", -1), floatAttr("epsilon", 1e-5f), intAttr("stash_type", 1))
                .output("y", FLOAT, 2, 3, 16).build();
        Model m = convert(g, "rms");
        assertEquals(List.of("mil.mul", "mil.reduce_mean", "mil.add", "mil.sqrt", "mil.real_div", "mil.mul"), ops(m));
        for (long seed = 1; seed <= 2; seed++) {
            ConvertedVsOrt.assertMatches(tmp.resolve("rms.onnx"), m, inputs("x", floats(new long[] {2, 3, 16}, uniform(96, seed, -3, 4))), 1e-6);
        }
    }

    @Test
    void simplifiedLayerNormalizationWithAUsedInvStdVarIsRefused() {
        GraphProto g = new OnnxGraphBuilder("rms_out").input("x", FLOAT, 2, 8)
                .floats("scale", new long[] {8}, uniform(8, 5, -2, 2))
                .node("SimplifiedLayerNormalization", new String[] {"x", "scale"}, new String[] {"y", "inv"}, intAttr("axis", -1))
                .output("y", FLOAT, 2, 8).output("inv", FLOAT, 2, 1).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "rms_out"));
        assertTrue(e.getMessage().contains("SimplifiedLayerNormalization 'SimplifiedLayerNormalization_0': the inv_std_var output has no MIL form"),
                e.getMessage());
    }

    @Test
    void skipLayerNormalizationsMatchOnnxRuntimeWithAndWithoutBiasAndTheSumOutput() throws Exception {
        int h = 32;
        for (boolean simplified : new boolean[] {true, false}) {
            for (boolean bias : new boolean[] {false, true}) {
                String op = simplified ? "SkipSimplifiedLayerNormalization" : "SkipLayerNormalization";
                String name = "skip_" + simplified + "_" + bias;
                OnnxGraphBuilder b = new OnnxGraphBuilder(name).input("x", FLOAT, 2, 3, h).input("skip", FLOAT, 2, 3, h)
                        .floats("gamma", new long[] {h}, uniform(h, 5, -2, 2)).floats("beta", new long[] {h}, uniform(h, 6, -1, 1))
                        .floats("bias", new long[] {h}, uniform(h, 7, -1, 1));
                List<String> in = new java.util.ArrayList<>(List.of("x", "skip", "gamma"));
                if (!simplified) in.add("beta");
                if (bias) in.add("bias");
                GraphProto g = b.msNode(op, in.toArray(String[]::new), new String[] {"y", "", "", "sum"}, floatAttr("epsilon", 1e-5f))
                        .output("y", FLOAT, 2, 3, h).output("sum", FLOAT, 2, 3, h).build();
                Model m = convert(g, name);
                for (long seed = 1; seed <= 2; seed++) {
                    ConvertedVsOrt.assertMatches(tmp.resolve(name + ".onnx"), m, inputs("x", floats(new long[] {2, 3, h}, uniform(6 * h, seed, -3, 3)),
                            "skip", floats(new long[] {2, 3, h}, uniform(6 * h, seed + 9, -3, 3))), 1e-5);
                }
            }
        }
    }

    @Test
    void skipLayerNormalizationWithAUsedInvStdVarIsRefused() {
        GraphProto g = new OnnxGraphBuilder("skip_inv").input("x", FLOAT, 2, 8).input("skip", FLOAT, 2, 8)
                .floats("gamma", new long[] {8}, uniform(8, 5, -2, 2))
                .msNode("SkipSimplifiedLayerNormalization", new String[] {"x", "skip", "gamma"}, new String[] {"y", "", "inv"})
                .output("y", FLOAT, 2, 8).output("inv", FLOAT, 2, 1).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "skip_inv"));
        assertTrue(e.getMessage().contains("SkipSimplifiedLayerNormalization 'SkipSimplifiedLayerNormalization_0': the mean and inv_std_var "
                + "outputs have no MIL form"), e.getMessage());
    }

    /**
     * RotaryEmbedding on [B=2, S=3, N·h] (num_heads 2, h 8) or [2, N=2, S=3, h=8], interleaved or
     * halves, position_ids [2, 3] or one offset [1], the whole head rotated or its first 4 values.
     */
    @Test
    void rotaryEmbeddingMatchesOnnxRuntime() throws Exception {
        int cases = 0;
        for (boolean transposed : new boolean[] {false, true}) {
            for (boolean interleaved : new boolean[] {false, true}) {
                for (boolean offset : new boolean[] {false, true}) {
                    for (int rotary : new int[] {8, 4}) {
                        String name = "rope_" + transposed + "_" + interleaved + "_" + offset + "_" + rotary;
                        long[] shape = transposed ? new long[] {2, 2, 3, 8} : new long[] {2, 3, 16};
                        long[] ids = offset ? new long[] {1} : new long[] {2, 3};
                        Object[] dims = java.util.Arrays.stream(shape).boxed().toArray();
                        Object[] idDims = java.util.Arrays.stream(ids).boxed().toArray();
                        int maxPositions = 12;
                        float[] cos = new float[maxPositions * rotary / 2];
                        float[] sin = new float[cos.length];
                        for (int p = 0; p < maxPositions; p++) {
                            for (int k = 0; k < rotary / 2; k++) {
                                double angle = p * Math.pow(10000, -2.0 * k / rotary);
                                cos[p * rotary / 2 + k] = (float) Math.cos(angle);
                                sin[p * rotary / 2 + k] = (float) Math.sin(angle);
                            }
                        }
                        GraphProto g = new OnnxGraphBuilder(name).input("x", FLOAT, dims).input("pos", OnnxGraphBuilder.INT64, idDims)
                                .floats("cos", new long[] {maxPositions, rotary / 2}, cos).floats("sin", new long[] {maxPositions, rotary / 2}, sin)
                                .msNode("RotaryEmbedding", new String[] {"x", "pos", "cos", "sin"}, new String[] {"y"},
                                        intAttr("interleaved", interleaved ? 1 : 0), intAttr("num_heads", 2),
                                        intAttr("rotary_embedding_dim", rotary == 8 ? 0 : rotary))
                                .output("y", FLOAT, dims).build();
                        Model m = convert(g, name);
                        int n = (int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                        var positions = offset ? ConvertedVsOrt.longs(ids, 5) : ConvertedVsOrt.longs(ids, 0, 1, 2, 7, 3, 11);
                        ConvertedVsOrt.assertMatches(tmp.resolve(name + ".onnx"), m, inputs("x", floats(shape, uniform(n, cases + 1, -2, 2)),
                                "pos", positions), 1e-6);
                        cases++;
                    }
                }
            }
        }
        assertEquals(16, cases);
    }

    @Test
    void rotaryEmbeddingOfASymbolicSequenceLengthIsRefusedWithTheShapeToGive() {
        GraphProto g = new OnnxGraphBuilder("rope_s").input("x", FLOAT, 1, "S", 16).input("pos", OnnxGraphBuilder.INT64, 1, "S")
                .floats("cos", new long[] {4, 4}, uniform(16, 1, -1, 1)).floats("sin", new long[] {4, 4}, uniform(16, 2, -1, 1))
                .msNode("RotaryEmbedding", new String[] {"x", "pos", "cos", "sin"}, new String[] {"y"}, intAttr("num_heads", 2))
                .outputAnyShape("y", FLOAT).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "rope_s"));
        assertTrue(e.getMessage().contains("RotaryEmbedding 'RotaryEmbedding_0': input needs a static shape; give --input-shape x=1,"),
                e.getMessage());
    }

    /** x [2, 3, k] times a uint8 weight [k, n] with scale and zero point per tensor or per column, and a bias. */
    private static GraphProto dynamicQuantizeMatMul(int k, int n, boolean perColumn, boolean bias) {
        int params = perColumn ? n : 1;
        long[] pshape = perColumn ? new long[] {n} : new long[0];
        byte[] zp = new byte[params];
        for (int j = 0; j < params; j++) zp[j] = (byte) (120 + 3 * j);
        OnnxGraphBuilder b = new OnnxGraphBuilder("dqmm").input("x", FLOAT, 2, 3, k)
                .bytes("w", UINT8, new long[] {k, n}, uniformBytes(k * n, 11, 0, 255))
                .floats("ws", pshape, uniform(params, 12, 0.01, 0.03)).bytes("wzp", UINT8, pshape, zp)
                .floats("bias", new long[] {n}, uniform(n, 13, -1, 1));
        String[] in = bias ? new String[] {"x", "w", "ws", "wzp", "bias"} : new String[] {"x", "w", "ws", "wzp"};
        return b.msNode("DynamicQuantizeMatMul", in, new String[] {"y"}).output("y", FLOAT, 2, 3, n).build();
    }

    @Test
    void dynamicQuantizeMatMulMatchesOnnxRuntimeBitForBit() throws Exception {
        int k = 24;
        int n = 7;
        for (boolean perColumn : new boolean[] {false, true}) {
            for (boolean bias : new boolean[] {false, true}) {
                String name = "dqmm_" + perColumn + "_" + bias;
                Model m = convert(dynamicQuantizeMatMul(k, n, perColumn, bias), name);
                // uint8 B: ONNX Runtime's u8u8 kernel sums exactly, its output step is float(sum) * (a_scale * b_scale) + bias
                for (long seed = 1; seed <= 2; seed++) {
                    assertEquals(0.0, ConvertedVsOrt.assertMatches(tmp.resolve(name + ".onnx"), m,
                            inputs("x", floats(new long[] {2, 3, k}, uniform(2 * 3 * k, seed, -2, 3))), 0), name);
                }
            }
        }
    }

    @Test
    void dynamicQuantizeMatMulWithInt8WeightsGivesTheExactProducts() throws Exception {
        // hand-computed (ONNX Runtime's u8s8 kernels may saturate int16 pair sums on CPUs without VNNI)
        int k = 3;
        int n = 2;
        byte[] w = {-128, 127, 5, -7, 100, 0};
        GraphProto g = new OnnxGraphBuilder("dqmm_i8").input("x", FLOAT, 2, k)
                .bytes("w", OnnxGraphBuilder.INT8, new long[] {k, n}, w)
                .floats("ws", new long[] {n}, 0.5f, 0.25f).bytes("wzp", OnnxGraphBuilder.INT8, new long[] {n}, (byte) -3, (byte) 2)
                .floats("bias", new long[] {n}, 1f, -2f)
                .msNode("DynamicQuantizeMatMul", new String[] {"x", "w", "ws", "wzp", "bias"}, new String[] {"y"})
                .output("y", FLOAT, 2, n).build();
        Model m = convert(g, "dqmm_i8");
        // x in [-1, 2]: scale 3/255, zp 85, codes [0, 85, 255] and [170, 85, 0]
        float[] x = {-1f, 0f, 2f, 1f, 0f, -1f};
        var out = new dev.pare.compiler.coreml.eval.MilInterpreter(m.graph())
                .run(java.util.Map.of("x", dev.pare.ir.TensorData.ofFloats(new long[] {2, k}, x)));
        float[] y = dev.pare.compiler.coreml.eval.MilTensor.of(out.get("y")).toFloats();
        long[][] q = {{0 - 85, 0, 255 - 85}, {170 - 85, 0, 0 - 85}};
        float[] scales = {0.5f, 0.25f};
        int[] zps = {-3, 2};
        float[] bias = {1f, -2f};
        float aScale = 3f / 255f;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int t = 0; t < k; t++) s += q[i][t] * (w[t * n + j] - zps[j]);
                assertEquals((float) s * (aScale * scales[j]) + bias[j], y[i * n + j], "y[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void matMulIntegerToFloatAfterDynamicQuantizeLinearMatchesOnnxRuntimeBitForBit() throws Exception {
        // the Swin2SR pattern: one DynamicQuantizeLinear feeding the query/key/value products
        int k = 16;
        int n = 5;
        GraphProto g = new OnnxGraphBuilder("mitf").input("x", FLOAT, 1, 4, k)
                .bytes("w", UINT8, new long[] {k, n}, uniformBytes(k * n, 21, 0, 255))
                .floats("ws", new long[] {}, 0.02f).bytes("wzp", UINT8, new long[] {}, (byte) 131)
                .floats("ws_col", new long[] {n}, uniform(n, 22, 0.01, 0.03))
                .floats("bias", new long[] {n}, uniform(n, 23, -1, 1))
                .node("DynamicQuantizeLinear", new String[] {"x"}, new String[] {"q", "qs", "qzp"})
                .msNode("MatMulIntegerToFloat", new String[] {"q", "w", "qs", "ws", "qzp", "wzp", "bias"}, new String[] {"y"})
                .msNode("MatMulIntegerToFloat", new String[] {"q", "w", "qs", "ws_col", "qzp", "wzp"}, new String[] {"z"})
                .output("y", FLOAT, 1, 4, n).output("z", FLOAT, 1, 4, n).build();
        Model m = convert(g, "mitf");
        assertTrue(ops(m).stream().noneMatch(o -> o.equals("mil.cast")), "the codes stay float32-carried: " + ops(m));
        for (long seed = 1; seed <= 3; seed++) {
            assertEquals(0.0, ConvertedVsOrt.assertMatches(tmp.resolve("mitf.onnx"), m,
                    inputs("x", floats(new long[] {1, 4, k}, uniform(4 * k, seed, -1.5, 2.5))), 0));
        }
    }

    @Test
    void matMulIntegerToFloatWithAPerRowAScaleIsRefused() {
        GraphProto g = new OnnxGraphBuilder("mitf_bad").input("x", FLOAT, 2, 4)
                .bytes("w", UINT8, new long[] {4, 3}, uniformBytes(12, 31, 0, 255))
                .floats("as", new long[] {2, 1}, 0.1f, 0.2f).floats("ws", new long[] {}, 0.02f)
                .node("DynamicQuantizeLinear", new String[] {"x"}, new String[] {"q", "qs", "qzp"})
                .msNode("MatMulIntegerToFloat", new String[] {"q", "w", "as", "ws"}, new String[] {"y"})
                .output("y", FLOAT, 2, 3).build();
        Exception e = assertThrows(Exception.class, () -> convert(g, "mitf_bad"));
        assertTrue(e.getMessage().contains("MatMulIntegerToFloat 'MatMulIntegerToFloat_1': a_scale must be one value (per tensor), got"),
                e.getMessage());
    }
}
