package dev.pare.compiler.testpasses;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/** Small graphs built with the Rewriter. */
public final class TestGraphs {

    private TestGraphs() {}

    /** x -> conv1 (Conv) -> relu1 (Relu) -> encoder.mm (MatMul) -> out; plus dead nodes dead1 -> dead2 when asked. */
    public static Graph chain(boolean withDeadNodes) {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        TensorType t = TensorType.of(DType.FLOAT32, 1, 4);
        Value x = rw.addInput("x", t);
        Value a = rw.createNode("conv1", "onnx.Conv", List.of(x), List.of("a"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
        Value b = rw.createNode("relu1", "onnx.Relu", List.of(a), List.of("b"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
        Value c = rw.createNode("encoder.mm", "onnx.MatMul", List.of(b, b), List.of("c"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
        if (withDeadNodes) {
            Value d = rw.createNode("dead1", "onnx.Relu", List.of(a), List.of("d"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
            Value e = rw.createNode("dead2", "onnx.Relu", List.of(d), List.of("e"), List.of(t), Attributes.empty(), Location.UNKNOWN).result(0);
            rw.createNode("dead3", "onnx.Relu", List.of(e), List.of("f"), List.of(t), Attributes.empty(), Location.UNKNOWN);
        }
        rw.addOutput(c);
        return g;
    }
}
