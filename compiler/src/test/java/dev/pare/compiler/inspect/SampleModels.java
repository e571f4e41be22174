package dev.pare.compiler.inspect;

import dev.pare.compiler.onnx.OnnxKeys;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SparseData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Map;

/** Small IR models with a weight in every kind of storage, built directly in the IR. */
public final class SampleModels {

    private SampleModels() {}

    /**
     * x -> MatMul(w) -> Add(bias) -> Reshape(Constant shape) -> Loop(body: Add step) -> Mul(ext)
     * -> Add(mask) -> Mul(Constant two); plus ConstantOfShape(shape) with a tensor attribute.
     */
    public static Model everyStorage() {
        Graph g = new Graph("main");
        Rewriter r = g.rewriter();
        Value x = r.addInput("x", TensorType.of(DType.FLOAT32, 1, 4));
        Value bias = r.addInput("bias", TensorType.of(DType.FLOAT32, 2));
        r.setInputDefault(bias, TensorData.ofFloats(new long[] {2}, 0.5f, -0.5f));
        Value w = r.addConstant("w", TensorData.ofFloats(new long[] {4, 2}, 1, 2, 3, 4, 5, 6, 7, 8));
        Value mask = r.addConstant("mask", new SparseData(TensorType.of(DType.FLOAT32, 1, 2),
                TensorData.ofFloats(new long[] {1}, 3f), TensorData.ofLongs(new long[] {1}, 1), Map.of()));
        Value ext = r.addConstant("ext", TensorData.ofFloats(new long[] {1, 2}, 9, 10)
                .withAnnotations(Map.of(OnnxKeys.STORAGE, OnnxKeys.EXTERNAL, OnnxKeys.EXTERNAL_LOCATION, "weights.bin")));
        TensorType row = TensorType.of(DType.FLOAT32, 1, 2);
        Attributes none = Attributes.empty();
        Value h = node(r, "MatMul_0", "onnx.MatMul", List.of(x, w), "h", row, none);
        Value y0 = node(r, "Add_1", "onnx.Add", List.of(h, bias), "y0", row, none);
        Value shape = node(r, "Constant_2", "onnx.Constant", List.of(), "shape", TensorType.of(DType.INT64, 2),
                Attributes.builder().put("value", new Attribute.TensorAttr(TensorData.ofLongs(new long[] {2}, 1, 2))).build());
        Value y1 = node(r, "Reshape_3", "onnx.Reshape", List.of(y0, shape), "y1", row, none);

        Graph body = new Graph("body", g);
        Rewriter br = body.rewriter();
        br.addInput("iter", TensorType.of(DType.INT64));
        Value step = br.addConstant("step", TensorData.ofFloats(new long[] {2}, 0.25f, 0.75f));
        Value acc = node(br, "Add_0", "onnx.Add", List.of(y1, step), "acc", row, none);
        br.addOutput(acc);
        Value looped = node(r, "Loop_4", "onnx.Loop", List.of(Value.ABSENT), "looped", row,
                Attributes.builder().put("body", new Attribute.GraphAttr(body)).build());

        Value y2 = node(r, "Mul_5", "onnx.Mul", List.of(looped, ext), "y2", row, none);
        Value y3 = node(r, "Add_6", "onnx.Add", List.of(y2, mask), "y3", row, none);
        Value two = node(r, "Constant_7", "onnx.Constant", List.of(), "two", TensorType.of(DType.FLOAT32),
                Attributes.builder().put("value_float", Attribute.of(2f)).build());
        Value y = node(r, "Mul_8", "onnx.Mul", List.of(y3, two), "y", row, none);
        Value filled = node(r, "ConstantOfShape_9", "onnx.ConstantOfShape", List.of(shape), "filled", row,
                Attributes.builder().put("value", new Attribute.TensorAttr(TensorData.ofFloats(new long[] {1}, 0f))).build());
        r.addOutput(y);
        r.addOutput(filled);

        Model m = new Model("onnx", g);
        m.setOpsets(List.of(new Model.OpsetImport("", 13), new Model.OpsetImport("com.microsoft", 1)));
        m.setProperty("ir_version", "7");
        m.setProperty("producer_name", "pare-test");
        m.setMetadataProp("author", "pare");
        return m;
    }

    private static Value node(Rewriter r, String name, String op, List<Value> operands, String result,
                              TensorType type, Attributes attributes) {
        return r.createNode(name, op, operands, List.of(result), List.of(type), attributes, Location.UNKNOWN).result(0);
    }
}
