package dev.pare.compiler.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.coreml.eval.MilModelExecutor;
import dev.pare.compiler.runtime.OrtModelExecutor;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.text.IrParser;
import dev.pare.passes.compression.stats.Calibration;
import dev.pare.passes.compression.stats.Layer;
import dev.pare.passes.compression.stats.LayerStatistics;
import dev.pare.passes.compression.stats.StatisticsCollector;
import dev.pare.spi.CalibrationData;
import dev.pare.spi.ModelExecutor;
import dev.pare.testkit.TestCalibrationData;
import dev.pare.testkit.TestPassContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Layer statistics taken through ONNX Runtime and the MIL interpreter equal XᵀX / N, E[x] and E[y]
 * computed here directly from the samples: im2col patches by their definition for convolutions
 * (a transposed one by scattering each input pixel), rows for dense layers.
 */
class LayerStatisticsCollectionTest {

    private static final int SAMPLES = 3;
    private final SplittableRandom random = new SplittableRandom(7);
    private final Map<String, float[]> constants = new LinkedHashMap<>();

    // ---- reference: patches written out by their definitions --------------------------------

    /** A 2-D (transposed) convolution's geometry as the test states it. */
    private record Conv2d(int c, int h, int w, int groups, int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pl,
                          int oh, int ow, boolean transposed) {
        int perGroup() { return c / groups; }

        int d() { return perGroup() * kh * kw; }
    }

    /** Patches of group g of one image [c, h, w] (batch element b of x), one row per output position. */
    private static List<double[]> patches(Conv2d g, float[] x, int b, int group) {
        List<double[]> rows = new ArrayList<>();
        int plane = g.h * g.w;
        if (!g.transposed) {
            for (int oy = 0; oy < g.oh; oy++) {
                for (int ox = 0; ox < g.ow; ox++) {
                    double[] p = new double[g.d()];
                    for (int ci = 0; ci < g.perGroup(); ci++) {
                        for (int ky = 0; ky < g.kh; ky++) {
                            for (int kx = 0; kx < g.kw; kx++) {
                                int iy = oy * g.sh - g.pt + ky * g.dh;
                                int ix = ox * g.sw - g.pl + kx * g.dw;
                                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                                p[(ci * g.kh + ky) * g.kw + kx] = x[((b * g.c) + group * g.perGroup() + ci) * plane + iy * g.w + ix];
                            }
                        }
                    }
                    rows.add(p);
                }
            }
            return rows;
        }
        double[][] out = new double[g.oh * g.ow][g.d()];
        for (int ci = 0; ci < g.perGroup(); ci++) {
            for (int iy = 0; iy < g.h; iy++) {
                for (int ix = 0; ix < g.w; ix++) {
                    for (int ky = 0; ky < g.kh; ky++) {
                        for (int kx = 0; kx < g.kw; kx++) {
                            int oy = iy * g.sh - g.pt + ky * g.dh;
                            int ox = ix * g.sw - g.pl + kx * g.dw;
                            if (oy < 0 || oy >= g.oh || ox < 0 || ox >= g.ow) continue;
                            out[oy * g.ow + ox][(ci * g.kh + ky) * g.kw + kx] = x[((b * g.c) + group * g.perGroup() + ci) * plane + iy * g.w + ix];
                        }
                    }
                }
            }
        }
        for (double[] r : out) rows.add(r);
        return rows;
    }

    /** Rows of [.., k] (or columns of [.., k, r] when transposed). */
    private static List<double[]> denseRows(float[] x, long[] shape, boolean transposed) {
        List<double[]> rows = new ArrayList<>();
        int rank = shape.length;
        if (!transposed) {
            int k = (int) shape[rank - 1];
            for (int r = 0; r < x.length / k; r++) {
                double[] v = new double[k];
                for (int i = 0; i < k; i++) v[i] = x[r * k + i];
                rows.add(v);
            }
        } else {
            int k = (int) shape[rank - 2];
            int n = (int) shape[rank - 1];
            for (int b = 0; b < x.length / (k * n); b++) {
                for (int r = 0; r < n; r++) {
                    double[] v = new double[k];
                    for (int i = 0; i < k; i++) v[i] = x[b * k * n + i * n + r];
                    rows.add(v);
                }
            }
        }
        return rows;
    }

    private static void assertMoments(List<double[]> rows, LayerStatistics s, int group, String what) {
        int d = s.dimension();
        double[] h = new double[d * d];
        double[] mean = new double[d];
        for (double[] r : rows) {
            for (int a = 0; a < d; a++) {
                mean[a] += r[a] / rows.size();
                for (int b = 0; b < d; b++) h[a * d + b] += r[a] * r[b] / rows.size();
            }
        }
        assertEquals(rows.size(), s.vectors(), what + ": vectors");
        double[] got = s.secondMoment(group);
        double[] gotMean = s.inputMean(group);
        for (int i = 0; i < h.length; i++) assertEquals(h[i], got[i], 1e-9 * (1 + Math.abs(h[i])), what + ": H[" + i + "] of group " + group);
        for (int i = 0; i < d; i++) assertEquals(mean[i], gotMean[i], 1e-9, what + ": E[x][" + i + "] of group " + group);
    }

    // ---- building graphs and samples ---------------------------------------------------------

    private String constant(String name, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        float[] v = new float[n];
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * 0.5);
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.6f", v[i]));
        }
        constants.put(name, v);
        String type = "f32" + java.util.Arrays.toString(shape).replace(" ", "");
        return "  %" + name + ": " + type + " = const dense<" + type + ": [" + sb + "]>\n";
    }

    private float[] sampleValues(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (random.nextGaussian() + 0.3);
        return v;
    }

    private static int elements(long[] shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        return n;
    }

    private static Layer layer(Graph g, String node) {
        Node n = g.node(node).orElseThrow();
        return Layer.of(n, 1, n.operand(1).tensorType().shape()).layer().orElseThrow();
    }

    private static Layer milLayer(Graph g, String node, int weightOperand) {
        Node n = g.node(node).orElseThrow();
        Layer.Found f = Layer.of(n, weightOperand, n.operand(weightOperand).tensorType().shape());
        assertTrue(f.layer().isPresent(), f.whyNot());
        return f.layer().get();
    }

    // ---- ONNX through ONNX Runtime -----------------------------------------------------------

    @Test
    void onnxLayersMatchTheDenseMomentsOfTheirInputs() throws Exception {
        Conv2d strided = new Conv2d(3, 9, 8, 1, 3, 2, 2, 1, 2, 1, 1, 0, 4, 8, false); // pads [1,0,2,1], dilation (2,1)
        Conv2d grouped = new Conv2d(4, 7, 7, 2, 3, 3, 1, 1, 1, 1, 0, 0, 5, 5, false);
        Conv2d depthwise = new Conv2d(4, 6, 6, 4, 3, 3, 2, 2, 1, 1, 0, 0, 3, 3, false); // SAME_UPPER, stride 2: total pad 1 -> begin 0
        Conv2d transposed = new Conv2d(4, 5, 5, 2, 3, 3, 2, 2, 1, 1, 1, 1, 11, 11, true); // pads [1,1,0,0], output_padding 1
        String ir = "graph g(%x1: f32[2,3,9,8], %x2: f32[1,4,7,7], %x3: f32[1,4,6,6], %x4: f32[1,4,5,5], %a5: f32[5,6], %a6: f32[6,5], %a7: f32[2,5,6]) {\n"
                + constant("w1", 4, 3, 3, 2) + constant("b1", 4)
                + constant("w2", 6, 2, 3, 3)
                + constant("w3", 4, 1, 3, 3)
                + constant("w4", 4, 3, 3, 3)
                + constant("w5", 3, 6) + constant("w6", 3, 6) + constant("w7", 6, 3)
                + "  %y1: f32[2,4,4,8] = onnx.Conv(%x1, %w1, %b1) {strides=[2, 1], pads=[1, 0, 2, 1], dilations=[2, 1]} @conv\n"
                + "  %y2: f32[1,6,5,5] = onnx.Conv(%x2, %w2) {group=2} @grouped\n"
                + "  %y3: f32[1,4,3,3] = onnx.Conv(%x3, %w3) {group=4, strides=[2, 2], auto_pad=\"SAME_UPPER\"} @depthwise\n"
                + "  %y4: f32[1,6,11,11] = onnx.ConvTranspose(%x4, %w4) {group=2, strides=[2, 2], pads=[1, 1, 0, 0], output_padding=[1, 1]} @convT\n"
                + "  %y5: f32[5,3] = onnx.Gemm(%a5, %w5) {transB=1, alpha=0.5} @gemm\n"
                + "  %y6: f32[5,3] = onnx.Gemm(%a6, %w6) {transA=1, transB=1} @gemmT\n"
                + "  %y7: f32[2,5,3] = onnx.MatMul(%a7, %w7) @matmul\n"
                + "  return %y1, %y2, %y3, %y4, %y5, %y6, %y7\n}\n";
        Graph g = IrParser.parse(ir, "layers.ir");
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        m.setProperty("ir_version", "7");
        Map<String, long[]> inputs = new LinkedHashMap<>();
        for (var v : g.inputs()) inputs.put(v.name(), v.tensorType().shape());
        List<Map<String, float[]>> raw = new ArrayList<>();
        List<Map<String, TensorData>> samples = new ArrayList<>();
        for (int s = 0; s < SAMPLES; s++) {
            Map<String, float[]> r = new LinkedHashMap<>();
            Map<String, TensorData> t = new LinkedHashMap<>();
            inputs.forEach((name, shape) -> {
                float[] v = sampleValues(elements(shape));
                r.put(name, v);
                t.put(name, TensorData.ofFloats(shape, v));
            });
            raw.add(r);
            samples.add(t);
        }
        List<Layer> layers = List.of(layer(g, "conv"), layer(g, "grouped"), layer(g, "depthwise"), layer(g, "convT"),
                layer(g, "gemm"), layer(g, "gemmT"), layer(g, "matmul"));
        TestPassContext context = new TestPassContext(0, Map.of(ModelExecutor.class, new OrtModelExecutor(m, 1),
                CalibrationData.class, TestCalibrationData.of("samples", samples)));
        StatisticsCollector.Collected c = new StatisticsCollector("test", context).collect(g, layers, true, false);
        assertEquals(SAMPLES, c.samples());

        Conv2d[] convs = {strided, grouped, depthwise, transposed};
        String[] inputNames = {"x1", "x2", "x3", "x4"};
        for (int i = 0; i < convs.length; i++) {
            LayerStatistics s = c.statistics(List.of(layers.get(i)), Calibration.ONE_SHOT);
            assertEquals(convs[i].groups, s.layout().groups(), layers.get(i) + ": groups");
            int batch = (int) inputs.get(inputNames[i])[0];
            for (int grp = 0; grp < convs[i].groups; grp++) {
                List<double[]> rows = new ArrayList<>();
                for (Map<String, float[]> r : raw) for (int b = 0; b < batch; b++) rows.addAll(patches(convs[i], r.get(inputNames[i]), b, grp));
                assertMoments(rows, s, grp, layers.get(i).toString());
            }
            assertOutputMean(s, convs[i], rows(raw, inputNames[i], convs[i], batch), i);
        }
        String[] dense = {"a5", "a6", "a7"};
        boolean[] transposedInput = {false, true, false};
        for (int i = 0; i < 3; i++) {
            LayerStatistics s = c.statistics(List.of(layers.get(4 + i)), Calibration.ONE_SHOT);
            List<double[]> rows = new ArrayList<>();
            for (Map<String, float[]> r : raw) rows.addAll(denseRows(r.get(dense[i]), inputs.get(dense[i]), transposedInput[i]));
            assertMoments(rows, s, 0, layers.get(4 + i).toString());
        }
        // Gemm's output mean is alpha * W E[x] (W = w5 as [N, K], transB=1)
        LayerStatistics gemm = c.statistics(List.of(layers.get(4)), Calibration.ONE_SHOT);
        double[] mean = gemm.inputMean(0);
        double[] out = gemm.outputMean().orElseThrow();
        for (int n = 0; n < 3; n++) {
            double e = 0;
            for (int k = 0; k < 6; k++) e += constants.get("w5")[n * 6 + k] * mean[k];
            assertEquals(0.5 * e, out[n], 1e-5, "gemm output mean " + n);
        }
        long expectedBytes = 0; // 8 bytes per entry of H and E[x], per group
        for (Layer l : layers) expectedBytes += 8L * l.layout().groups() * ((long) l.layout().cols() * l.layout().cols() + l.layout().cols());
        assertEquals(expectedBytes, c.bytes());
    }

    private static List<List<double[]>> rows(List<Map<String, float[]>> raw, String input, Conv2d g, int batch) {
        List<List<double[]>> perGroup = new ArrayList<>();
        for (int grp = 0; grp < g.groups; grp++) {
            List<double[]> rows = new ArrayList<>();
            for (Map<String, float[]> r : raw) for (int b = 0; b < batch; b++) rows.addAll(patches(g, r.get(input), b, grp));
            perGroup.add(rows);
        }
        return perGroup;
    }

    /** E[y] per output channel = W_row · E[patch] (+ bias for the first conv), W in the tensor's own layout. */
    private void assertOutputMean(LayerStatistics s, Conv2d g, List<List<double[]>> rows, int which) {
        float[] w = constants.get("w" + (which + 1));
        double[] out = s.outputMean().orElseThrow();
        int rowsPerGroup = s.layout().rows();
        for (int grp = 0; grp < g.groups; grp++) {
            double[] mean = new double[g.d()];
            for (double[] r : rows.get(grp)) for (int a = 0; a < g.d(); a++) mean[a] += r[a] / rows.get(grp).size();
            for (int r = 0; r < rowsPerGroup; r++) {
                double e = 0;
                for (int col = 0; col < g.d(); col++) e += w[s.layout().index(grp, r, col)] * mean[col];
                if (which == 0) e += constants.get("b1")[r];
                assertEquals(e, out[grp * rowsPerGroup + r], 1e-4, "output mean of channel " + (grp * rowsPerGroup + r) + " of conv " + which);
            }
        }
    }

    // ---- MIL through the MIL interpreter -----------------------------------------------------

    @Test
    void milLayersMatchTheDenseMomentsOfTheirInputs() throws Exception {
        Conv2d conv = new Conv2d(4, 7, 6, 2, 3, 2, 2, 1, 1, 2, 1, 0, 4, 5, false); // custom pad [1,1,0,1], dilation (1,2)
        String ir = "graph main(%x: f32[2,4,7,6], %a: f32[3,5], %b: f32[2,5,3]) {\n"
                + constant("w", 6, 2, 3, 2) + constant("lw", 4, 5) + constant("mw", 5, 3)
                + "  %strides: i32[2] = const dense<i32[2]: [2, 1]>\n"
                + "  %dil: i32[2] = const dense<i32[2]: [1, 2]>\n"
                + "  %pad: i32[4] = const dense<i32[4]: [1, 1, 0, 1]>\n"
                + "  %groups: i32[] = const dense<i32[]: [2]>\n"
                + "  %pt: str[] = const strings<str[]: [\"custom\"]>\n"
                + "  %tx: bool[] = const dense<bool[]: [true]>\n"
                + "  %y: f32[2,6,4,5] = mil.conv(%x, %w, %strides, %pt, %pad, %dil, %groups) "
                + "{params=[\"x\", \"weight\", \"strides\", \"pad_type\", \"pad\", \"dilations\", \"groups\"]} @conv\n"
                + "  %z: f32[3,4] = mil.linear(%a, %lw) {params=[\"x\", \"weight\"]} @linear\n"
                + "  %m: f32[2,3,3] = mil.matmul(%b, %mw, %tx) {params=[\"x\", \"y\", \"transpose_x\"]} @matmul\n"
                + "  return %y, %z, %m\n}\n";
        Graph g = IrParser.parse(ir, "mil.ir");
        List<Map<String, float[]>> raw = new ArrayList<>();
        List<Map<String, TensorData>> samples = new ArrayList<>();
        for (int s = 0; s < SAMPLES; s++) {
            Map<String, float[]> r = new LinkedHashMap<>();
            Map<String, TensorData> t = new LinkedHashMap<>();
            for (var v : g.inputs()) {
                long[] shape = v.tensorType().shape();
                float[] vals = sampleValues(elements(shape));
                r.put(v.name(), vals);
                t.put(v.name(), TensorData.ofFloats(shape, vals));
            }
            raw.add(r);
            samples.add(t);
        }
        List<Layer> layers = List.of(milLayer(g, "conv", 1), milLayer(g, "linear", 1), milLayer(g, "matmul", 1));
        TestPassContext context = new TestPassContext(0, Map.of(ModelExecutor.class, new MilModelExecutor(),
                CalibrationData.class, TestCalibrationData.of("samples", samples)));
        StatisticsCollector.Collected c = new StatisticsCollector("test", context).collect(g, layers, true, false);
        LayerStatistics s = c.statistics(List.of(layers.get(0)), Calibration.ONE_SHOT);
        for (int grp = 0; grp < 2; grp++) {
            List<double[]> rows = new ArrayList<>();
            for (Map<String, float[]> r : raw) for (int b = 0; b < 2; b++) rows.addAll(patches(conv, r.get("x"), b, grp));
            assertMoments(rows, s, grp, "mil.conv");
        }
        assertOutputMeanMil(s, conv, raw);
        List<double[]> linear = new ArrayList<>();
        List<double[]> matmul = new ArrayList<>();
        for (Map<String, float[]> r : raw) {
            linear.addAll(denseRows(r.get("a"), new long[] {3, 5}, false));
            matmul.addAll(denseRows(r.get("b"), new long[] {2, 5, 3}, true));
        }
        assertMoments(linear, c.statistics(List.of(layers.get(1)), Calibration.ONE_SHOT), 0, "mil.linear");
        assertMoments(matmul, c.statistics(List.of(layers.get(2)), Calibration.ONE_SHOT), 0, "mil.matmul transpose_x");
    }

    private void assertOutputMeanMil(LayerStatistics s, Conv2d g, List<Map<String, float[]>> raw) {
        float[] w = constants.get("w");
        double[] out = s.outputMean().orElseThrow();
        for (int grp = 0; grp < 2; grp++) {
            List<double[]> rows = new ArrayList<>();
            for (Map<String, float[]> r : raw) for (int b = 0; b < 2; b++) rows.addAll(patches(g, r.get("x"), b, grp));
            for (int row = 0; row < 3; row++) {
                double e = 0;
                for (double[] p : rows) for (int col = 0; col < g.d(); col++) e += w[(grp * 3 + row) * g.d() + col] * p[col] / rows.size();
                assertEquals(e, out[grp * 3 + row], 1e-4, "mil.conv output mean " + (grp * 3 + row));
            }
        }
    }
}
