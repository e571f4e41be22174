package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.model;
import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.tensorInfo;

import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import java.util.List;

/**
 * A small model with the structure that broke {@code const_folding} on Silero VAD v5
 * (scripts/fetch-test-models.sh): the sample rate is compared with a Constant node's value and an
 * If picks a branch; the branches hold their own Constant-node weights (with the explicit empty
 * tensor name the exporter wrote), read values of the main graph, reuse each other's value names,
 * and the then-branch runs a Loop whose body reads the main graph's input two scopes up.
 *
 * <p>Inputs {@code x: f32[1,8]} and {@code sr: i64[]}; output {@code y: f32[1,8]}. For
 * {@code sr == 16000}: h = x·W, three times h = h/2 + x, plus zeros; otherwise -(x·V).
 */
public final class SubgraphModels {

    private SubgraphModels() {}

    /** The model, opset 17. */
    public static ModelProto vadLike() {
        GraphProto body = GraphProto.newBuilder().setName("loop_body")
                .addInput(tensorInfo("i", 7)).addInput(tensorInfo("c_in", 9)).addInput(tensorInfo("acc", 1, 1, 8))
                .addNode(constant("body_half", "half", floats(new long[] {1}, 0.5f)))
                .addNode(node("body_mul", "Mul", List.of("acc", "half"), List.of("m")))
                .addNode(node("body_add", "Add", List.of("m", "x"), List.of("acc_out")))
                .addNode(node("body_cond", "Identity", List.of("c_in"), List.of("c_out")))
                .addOutput(tensorInfo("c_out", 9)).addOutput(tensorInfo("acc_out", 1, 1, 8))
                .build();
        GraphProto then = GraphProto.newBuilder().setName("then_branch")
                .addNode(constant("then_w", "w", floats(new long[] {8, 8}, ramp(64, 0.01f))))
                .addNode(node("then_matmul", "MatMul", List.of("x", "w"), List.of("h")))
                .addNode(constant("then_trip", "trip", longs(new long[0], 3)))
                .addNode(constant("then_cond", "cond", TensorProto.newBuilder().setName("").setDataType(9).addInt32Data(1).build()))
                .addNode(node("then_loop", "Loop", List.of("trip", "cond", "h"), List.of("looped"),
                        graph("body", body)))
                .addNode(node("then_zeros", "ConstantOfShape", List.of("x_shape"), List.of("zeros"),
                        AttributeProto.newBuilder().setName("value").setType(AttributeType.TENSOR)
                                .setT(floats(new long[] {1}, 0f)).build()))
                .addNode(node("then_add", "Add", List.of("looped", "zeros"), List.of("then_out")))
                .addOutput(tensorInfo("then_out", 1, 1, 8))
                .build();
        GraphProto otherwise = GraphProto.newBuilder().setName("else_branch")
                .addNode(constant("else_w", "w", floats(new long[] {8, 8}, ramp(64, -0.02f))))
                .addNode(node("else_matmul", "MatMul", List.of("x", "w"), List.of("h")))
                .addNode(node("else_neg", "Neg", List.of("h"), List.of("else_out")))
                .addOutput(tensorInfo("else_out", 1, 1, 8))
                .build();
        GraphProto main = GraphProto.newBuilder().setName("vad_like")
                .addInput(tensorInfo("x", 1, 1, 8)).addInput(tensorInfo("sr", 7))
                .addNode(constant("Constant_0", "Constant_0_output", longs(new long[0], 16000)))
                .addNode(node("Equal_0", "Equal", List.of("sr", "Constant_0_output"), List.of("is_16k")))
                .addNode(node("Shape_0", "Shape", List.of("x"), List.of("x_shape")))
                .addNode(node("If_0", "If", List.of("is_16k"), List.of("y"),
                        graph("then_branch", then), graph("else_branch", otherwise)))
                .addOutput(tensorInfo("y", 1, 1, 8))
                .build();
        return model(17).setGraph(main).build();
    }

    /** A Constant node whose value tensor carries an explicit empty name, as exporters write it. */
    private static NodeProto constant(String name, String output, TensorProto value) {
        return node(name, "Constant", List.of(), List.of(output), AttributeProto.newBuilder().setName("value")
                .setType(AttributeType.TENSOR).setT(value.toBuilder().setName("")).build());
    }

    private static AttributeProto graph(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
    }

    private static TensorProto floats(long[] dims, float... values) { return Protos.floats("", dims, values); }

    private static TensorProto longs(long[] dims, long... values) { return Protos.longs("", dims, values); }

    private static float[] ramp(int n, float step) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 9 - 4) * step;
        return v;
    }
}
