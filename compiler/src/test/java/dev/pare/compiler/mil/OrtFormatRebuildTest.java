package dev.pare.compiler.mil;

import static dev.pare.compiler.mil.ConvertedVsOrt.floats;
import static dev.pare.compiler.mil.ConvertedVsOrt.inputs;
import static dev.pare.compiler.mil.ConvertedVsOrt.scalar;
import static dev.pare.compiler.mil.OnnxGraphBuilder.BOOL;
import static dev.pare.compiler.mil.OnnxGraphBuilder.FLOAT;
import static dev.pare.compiler.mil.OnnxGraphBuilder.INT64;
import static dev.pare.compiler.mil.OnnxGraphBuilder.graph;
import static dev.pare.compiler.mil.OnnxGraphBuilder.intAttr;
import static dev.pare.compiler.mil.OnnxGraphBuilder.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.testing.OrtRunner;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/corpus/ort-to-onnx.py}, which rebuilds an ONNX file from a model that a package
 * ships only in ONNX Runtime's ORT format (the corpus's super-resolution models): ONNX Runtime
 * writes a model with attributes of every kind and a Loop body as ORT format; the rebuilt ONNX file
 * has the same nodes and attributes, computes bit for bit what the ORT file computes, and converts
 * to MIL like the original.
 */
class OrtFormatRebuildTest {

    @TempDir Path tmp;

    private static final float[] X = {0.5f, -1f, -0.25f, 2f, 0.75f, -3f};

    /** LeakyRelu (float attribute), Transpose (ints), then a counted Loop (graph) whose body casts (int). */
    private static GraphProto model() {
        GraphProto body = new OnnxGraphBuilder("body")
                .input("i", INT64).input("c_in", BOOL).input("v", FLOAT, 3, 2)
                .node("Cast", new String[] {"i"}, new String[] {"fi"}, intAttr("to", FLOAT))
                .node("Mul", "step", "t", "fi").node("Add", "v_out", "v", "step")
                .node("Identity", "c_out", "c_in")
                .output("c_out", BOOL).output("v_out", FLOAT, 3, 2).build();
        return new OnnxGraphBuilder("rebuild_model").input("x", FLOAT, 2, 3).input("m", INT64)
                .floats("v0", new long[] {3, 2}, 1, 2, 3, 4, 5, 6)
                .node("LeakyRelu", new String[] {"x"}, new String[] {"l"},
                        AttributeProto.newBuilder().setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setF(0.2f).build())
                .node("Transpose", new String[] {"l"}, new String[] {"t"}, ints("perm", 1, 0))
                .node("Loop", new String[] {"m", "", "v0"}, new String[] {"v_final"}, graph("body", body))
                .output("v_final", FLOAT, 3, 2).build();
    }

    /** ONNX Runtime writes the model in ORT format (no graph optimizations, so the graph is as built). */
    private Path saveAsOrt(Path onnx) throws Exception {
        Path ort = tmp.resolve("model.ort");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            opts.addConfigEntry("session.save_model_format", "ORT");
            opts.setOptimizedModelFilePath(ort.toString());
            try (OrtSession session = env.createSession(onnx.toString(), opts)) {
                assertEquals(2, session.getNumInputs());
            }
        }
        return ort;
    }

    private record Run(int exit, String output) {}

    private static Run rebuild(Path ort, Path out) throws Exception {
        Process p = new ProcessBuilder("python3", "../scripts/corpus/ort-to-onnx.py", ort.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(p.waitFor(), log);
    }

    @Test
    void rebuiltOnnxHasTheSameNodesAndComputesWhatTheOrtFileComputes() throws Exception {
        Path onnx = OnnxGraphBuilder.write(model(), tmp.resolve("model.onnx"));
        Path ort = saveAsOrt(onnx);
        assertEquals("ORTM", new String(Files.readAllBytes(ort), 4, 4, StandardCharsets.US_ASCII));
        Path rebuilt = tmp.resolve("rebuilt.onnx");
        Run run = rebuild(ort, rebuilt);
        assertEquals(0, run.exit(), run.output());

        GraphProto original = ModelProto.parseFrom(Files.readAllBytes(onnx)).getGraph();
        GraphProto back = ModelProto.parseFrom(Files.readAllBytes(rebuilt)).getGraph();
        assertEquals(nodes(original), nodes(back));
        assertEquals(List.of("x", "m"), back.getInputList().stream().map(v -> v.getName()).toList());
        assertEquals(original.getOutput(0).getType(), back.getOutput(0).getType());
        assertEquals(original.getInitializer(0), back.getInitializer(0));

        for (long trips : new long[] {0, 1, 4}) {
            Map<String, Tensor> in = inputs("x", floats(new long[] {2, 3}, X), "m", scalar(trips));
            float[] fromOrt = OrtRunner.runUnoptimized(ort, in).get("v_final").floats();
            float[] fromRebuilt = OrtRunner.runUnoptimized(rebuilt, in).get("v_final").floats();
            assertArrayEquals(fromOrt, fromRebuilt, 0f, "trip count " + trips);
        }
        // v0 + t * (0 + 1 + 2) for 3 trips, t = transpose(leaky_relu(x))
        float[] three = OrtRunner.runUnoptimized(rebuilt, inputs("x", floats(new long[] {2, 3}, X), "m", scalar(3)))
                .get("v_final").floats();
        assertArrayEquals(new float[] {1 + 3 * 0.5f, 2 + 3 * 2f, 3 + 3 * -0.2f, 4 + 3 * 0.75f, 5 + 3 * -0.05f, 6 + 3 * -0.6f},
                three, 1e-6f);

        var converted = ConvertedVsOrt.convert(rebuilt, List.of(), tmp.resolve("rebuilt.mlpackage"));
        ConvertedVsOrt.assertMatches(rebuilt, converted, inputs("x", floats(new long[] {2, 3}, X), "m", scalar(3)), 1e-6);
    }

    @Test
    void aFileThatIsNotOrtFormatIsRefusedInOneLineAndNothingIsWritten() throws Exception {
        Path onnx = OnnxGraphBuilder.write(model(), tmp.resolve("model.onnx"));
        Path out = tmp.resolve("out.onnx");
        Run run = rebuild(onnx, out);
        assertEquals(1, run.exit());
        assertEquals("ort-to-onnx: " + onnx + ": not an ORT format model (no 'ORTM' file identifier)\n", run.output());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(tmp.resolve("out.onnx.part")));
    }

    /** Op type, inputs, outputs and attributes of each node, subgraphs included (names may differ). */
    private static List<String> nodes(GraphProto g) {
        return g.getNodeList().stream().map(OrtFormatRebuildTest::describe).toList();
    }

    private static String describe(NodeProto n) {
        StringBuilder s = new StringBuilder(n.getOpType()).append(n.getInputList()).append("->").append(n.getOutputList());
        for (AttributeProto a : n.getAttributeList()) {
            s.append(' ').append(a.getName()).append('=');
            if (a.hasG()) s.append(nodes(a.getG())).append(a.getG().getInputList().stream().map(v -> v.getName()).toList());
            else s.append(a.toBuilder().clearDocString().build().toString().replace('\n', ' '));
        }
        return s.toString();
    }
}
