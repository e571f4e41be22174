package dev.pare.compiler.onnx;

import static dev.pare.compiler.testing.OutputAssertions.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import dev.pare.ir.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression test for the default pipeline writing an invalid Silero VAD v5: {@code const_folding}
 * turns Constant nodes into initializers, and the value tensors' explicit empty name (kept for a
 * lossless round trip) used to overwrite the initializer's name, so ONNX Runtime found no
 * {@code Constant_0_output}. {@link SubgraphModels#vadLike} reduces the real structure.
 */
class CleanupOnSubgraphsTest {

    @TempDir Path tmp;

    @Test
    void cleanupOfAModelWithIfAndLoopWritesAValidModelThatComputesTheSame() throws Exception {
        Path in = Protos.save(SubgraphModels.vadLike(), tmp.resolve("vad_like.onnx"));
        Model m = new OnnxFormat().read(in);
        PassRegistry registry = PassRegistry.discover(getClass().getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline("CLEANUP"), m);
        // Constant nodes that feed a foldable op become initializers (Equal in the main graph, Mul in
        // the loop body); the weights feeding MatMul and the Loop's trip count and condition stay nodes.
        assertEquals(4, m.graph().allNodes().stream().filter(n -> n.op().equals("onnx.Constant")).count());

        Path out = tmp.resolve("vad_like-cleaned.onnx");
        new OnnxFormat().write(m, out);
        ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
        assertEquals(List.of(), OnnxModelChecker.check(written));
        assertEquals(List.of("Constant_0_output"), initializerNames(written.getGraph()));
        assertEquals(List.of("half"), initializerNames(subgraph(written.getGraph(), "loop_body")));

        for (long sr : new long[] {16000, 8000}) {
            Map<String, Tensor> inputs = Map.of(
                    "x", Tensor.ofFloats(new long[] {1, 8}, new float[] {1, -2, 3, -4, 5, -6, 7, -8}),
                    "sr", Tensor.ofLongs(new long[0], new long[] {sr}));
            Map<String, Tensor> expected = OrtRunner.run(in, inputs);
            assertTrue(expected.containsKey("y"));
            assertBitIdentical(expected, OrtRunner.run(out, inputs));
        }
    }

    private static List<String> initializerNames(GraphProto g) {
        return g.getInitializerList().stream().map(TensorProto::getName).toList();
    }

    /** The subgraph named {@code name}, at any depth. */
    private static GraphProto subgraph(GraphProto g, String name) {
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (!a.hasG()) continue;
                if (a.getG().getName().equals(name)) return a.getG();
                GraphProto inner = subgraph(a.getG(), name);
                if (inner != null) return inner;
            }
        }
        return null;
    }
}
