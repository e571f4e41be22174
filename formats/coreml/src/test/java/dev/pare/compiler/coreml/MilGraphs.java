package dev.pare.compiler.coreml;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Float16;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Rewriter;
import dev.pare.ir.SubByte;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Tiny mil-dialect models for writer tests: {@code y = linear(x, W, b)} where the weight W comes
 * from a constant or from {@code pare.*} ops built here.
 */
final class MilGraphs {

    final Graph graph = new Graph("main");
    final Rewriter rw = graph.rewriter();
    final Model model = new Model("coreml", graph);

    /** A model with input {@code x: f32[1, in]}. */
    MilGraphs(long in) {
        this(new long[]{1, in});
    }

    /** A model with input {@code x: f32[shape]}. */
    MilGraphs(long[] shape) {
        rw.addInput("x", TensorType.of(DType.FLOAT32, shape));
    }

    MilGraphs target(String t) {
        model.setProperty(CoreMlTarget.PROPERTY, t);
        return this;
    }

    Value input() { return graph.inputs().get(0); }

    Value constant(String name, TensorData d) { return rw.addConstant(name, d); }

    Value op(String name, String op, List<Value> operands, TensorType type, Attributes a) {
        return rw.createNode(name, op, operands, List.of(name), List.of(type), a, Location.created("test")).result(0);
    }

    /** {@code mil.linear(x, weight, bias)} with output {@code y} as the graph output. */
    Value linear(Value weight, Value bias) {
        long out = weight.tensorType().shape()[0];
        Value y = op("y", "mil.linear", List.of(input(), weight, bias), TensorType.of(DType.FLOAT32, 1, out),
                Attributes.of(java.util.Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight", "bias")))));
        rw.addOutput(y);
        return y;
    }

    /** {@code mil.conv(x, weight)} with output {@code y} (shape [1, C_out, 1, 1]) as the graph output. */
    Value conv(Value weight) {
        long out = weight.tensorType().shape()[0];
        Value y = op("y", "mil.conv", List.of(input(), weight), TensorType.of(DType.FLOAT32, 1, out, 1, 1),
                Attributes.of(java.util.Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight")))));
        rw.addOutput(y);
        return y;
    }

    Value lut(String name, TensorData indices, TensorData lut, DType dense, long[] shape, Integer vectorAxis) {
        Value i = constant(name + "_indices", indices);
        Value l = constant(name + "_lut", lut);
        Attributes a = vectorAxis == null ? Attributes.empty()
                : Attributes.builder().put("vector_axis", Attribute.of((long) vectorAxis)).build();
        return op(name, "pare.lut_to_dense", List.of(i, l), TensorType.of(dense, shape), a);
    }

    Value affine(String name, TensorData data, TensorData scale, TensorData zp) {
        Value d = constant(name + "_q", data);
        Value s = constant(name + "_scale", scale);
        List<Value> ops = zp == null ? List.of(d, s) : List.of(d, s, constant(name + "_zp", zp));
        return op(name, "pare.affine_dequantize", ops, TensorType.of(scale.dtype(), data.type().shape()), Attributes.empty());
    }

    Value sparse(String name, TensorData mask, Value values) {
        Value m = constant(name + "_mask", mask);
        return op(name, "pare.sparse_to_dense", List.of(m, values),
                TensorType.of(values.tensorType().dtype(), mask.type().shape()), Attributes.empty());
    }

    // ---- data ------------------------------------------------------------------------------------

    static TensorData packed(DType t, long[] shape, long[] values) {
        return TensorData.ofBuffer(TensorType.of(t, shape), ByteBuffer.wrap(SubByte.pack(t, values)));
    }

    /** Values 0, 1, 2, ... cycling through {@code mod}. */
    static long[] cycle(long n, long mod) {
        long[] v = new long[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = i % mod;
        return v;
    }

    static TensorData bytes(DType t, long[] shape, long[] values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) values[i];
        return TensorData.of(TensorType.of(t, shape), b);
    }

    static TensorData f32(long[] shape, int count, float start) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = start + i * 0.25f;
        return TensorData.ofFloats(shape, v);
    }

    static TensorData f16(long[] shape, int count, float start) {
        ByteBuffer b = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) b.putShort(Float16.fromFloat(start + i * 0.25f));
        return TensorData.ofBuffer(TensorType.of(DType.FLOAT16, shape), b.flip());
    }

    /** A mask keeping every element whose index is not a multiple of {@code every}. */
    static TensorData mask(long[] shape, int every) {
        long n = 1;
        for (long s : shape) n *= s;
        long[] bits = new long[Math.toIntExact(n)];
        for (int i = 0; i < bits.length; i++) bits[i] = i % every == 0 ? 0 : 1;
        return packed(DType.UINT1, shape, bits);
    }

    static long kept(TensorData mask) { return MilTensors.popcount(mask); }
}
