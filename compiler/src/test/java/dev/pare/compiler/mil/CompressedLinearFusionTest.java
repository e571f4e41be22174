package dev.pare.compiler.mil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.PareDialectEvaluator;
import dev.pare.compiler.coreml.eval.MilModelExecutor;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.ir.text.IrParser;
import dev.pare.spi.ModelExecutor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * convert_to_mil fuses MatMul + Add into mil.linear whatever the weight's encoding: the compressed
 * weight's encoded parts are transposed ([in,out] → [out,in]) so that it decodes to exactly the
 * transpose of the weight the matmul had, and the linear computes what the matmul + add did.
 */
class CompressedLinearFusionTest {

    private static final int K = 128;
    private static final int N = 32;

    private static Model model() {
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < K * N; i++) w.append(i == 0 ? "" : ", ").append(Math.sin(i * 0.37) * (1 + (i % N) * 0.1));
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < N; i++) b.append(i == 0 ? "" : ", ").append(0.01 * i - 0.1);
        Graph g = IrParser.parse("graph g(%x: f32[1,3," + K + "]) {\n"
                + "  %w: f32[" + K + "," + N + "] = const dense<f32[" + K + "," + N + "]: [" + w + "]>\n"
                + "  %b: f32[" + N + "] = const dense<f32[" + N + "]: [" + b + "]>\n"
                + "  %m: f32[1,3," + N + "] = onnx.MatMul(%x, %w) @mm\n"
                + "  %y: f32[1,3," + N + "] = onnx.Add(%m, %b) @bias\n"
                + "  return %y\n}\n", "fusion.ir");
        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13)));
        return m;
    }

    private static void run(Model m, String pipeline) throws Exception {
        PassRegistry registry = PassRegistry.discover(CompressedLinearFusionTest.class.getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), m);
    }

    /** The dense value of a constant or of a chain of pare.* ops on constants. */
    private static TensorData decode(Value v) {
        if (v.isConstant()) return v.data();
        Node n = v.producer();
        List<TensorData> operands = new ArrayList<>();
        for (Value o : n.operands()) operands.add(o.isAbsent() ? null : decode(o));
        while (!operands.isEmpty() && operands.get(operands.size() - 1) == null) operands.remove(operands.size() - 1);
        return PareDialectEvaluator.evaluate(n.op(), operands, n.attributes());
    }

    private static float[] floats(TensorData d) {
        ByteBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[Math.toIntExact(d.elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = b.getFloat(i * 4);
        return out;
    }

    private static Node only(Graph g, String op) {
        List<Node> found = g.nodes().stream().filter(n -> n.op().equals(op)).toList();
        assertEquals(1, found.size(), op + " in " + g.nodes());
        return found.get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "palettize{mode=kmeans, nbits=4}",
            "palettize{mode=kmeans, nbits=3, granularity=per_grouped_channel, group_size=8}",
            "palettize{mode=kmeans, nbits=4, enable_per_channel_scale=true}",
            "quantize_weights{mode=linear_symmetric, dtype=int8, granularity=per_channel}",
            "quantize_weights{mode=linear, dtype=uint8, granularity=per_channel}",
            "quantize_weights{mode=linear_symmetric, dtype=int4, granularity=per_block, block_size=32}",
            "quantize_weights{mode=linear_symmetric, dtype=int4, granularity=per_block, block_size=48}",
            "prune{mode=magnitude, target_sparsity=0.5}",
            "prune{mode=magnitude, target_sparsity=0.5}, palettize{mode=kmeans, nbits=4}",
            "prune{mode=magnitude, target_sparsity=0.5}, quantize_weights{mode=linear_symmetric, dtype=int8, granularity=per_channel}"})
    void compressedWeightsAreTransposedExactlyIntoALinear(String pipeline) throws Exception {
        Model m = model();
        run(m, pipeline);
        Node mm = only(m.graph(), "onnx.MatMul");
        Value w = mm.operand(1);
        assertTrue(w.producer() != null && w.producer().op().startsWith("pare."), "the weight is compressed: " + w.producer());
        float[] before = floats(decode(w));

        run(m, "convert_to_mil");
        Graph g = m.graph();
        assertTrue(g.nodes().stream().noneMatch(n -> n.op().equals("mil.matmul")), g.nodes().toString());
        Node linear = only(g, "mil.linear");
        Value weight = MilParams.get(linear, "weight").orElseThrow();
        assertTrue(weight.producer() != null && weight.producer().op().startsWith("pare."), "still compressed: " + weight);
        assertEquals("w", weight.name(), "the transposed weight keeps the name");
        float[] after = floats(decode(weight));
        for (int k = 0; k < K; k++) {
            for (int n = 0; n < N; n++) {
                assertEquals(Float.floatToRawIntBits(before[k * N + n]), Float.floatToRawIntBits(after[n * K + k]), "W[" + k + "," + n + "]");
            }
        }

        // The linear computes x·W + b (the interpreter decodes the pare.* weight).
        float[] x = new float[3 * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.cos(i * 0.11);
        float[] bias = floats(MilParams.get(linear, "bias").orElseThrow().data());
        TensorData y;
        try (ModelExecutor.Session s = new MilModelExecutor().open(g, List.of())) {
            y = s.run(Map.of("x", TensorData.ofFloats(new long[]{1, 3, K}, x))).get("y");
        }
        float[] got = floats(y);
        for (int r = 0; r < 3; r++) {
            for (int n = 0; n < N; n++) {
                double sum = bias[n];
                for (int k = 0; k < K; k++) sum += (double) x[r * K + k] * before[k * N + n];
                assertEquals(sum, got[r * N + n], 1e-4 * (1 + Math.abs(sum)), "y[" + r + "," + n + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"palettize{mode=kmeans, nbits=2, cluster_dim=2}"})
    void aVectorLutKeepsTheMatmul(String pipeline) throws Exception {
        Model m = model();
        run(m, pipeline + ", convert_to_mil");
        only(m.graph(), "mil.matmul");
        only(m.graph(), "mil.add");
    }
}
