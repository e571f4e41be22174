package dev.pare.passes.mil;

import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Graph;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code mil.matmul(x, W)} whose only use is {@code mil.add} of a constant bias becomes one
 * {@code mil.linear(x, Wᵀ, b)} (Core ML Tools' fuse_matmul_weight_bias): the op Core ML maps to a
 * fully connected layer, with the weight in the [out, in] layout whose output channels are axis 0.
 * Only when W is 2-D and float, a constant or a compressed weight ({@code pare.*} ops on constants)
 * that {@link WeightTranspose} transposes exactly (its encoded data moved, never re-encoded), x has
 * rank 1 to 3 (MIL linear's range) and the bias is [N] or [1, ..., N] for W's N outputs. The
 * transposed weight (and each part of its chain) keeps W's names when nothing else reads W.
 */
final class MatmulBiasFusion {

    private MatmulBiasFusion() {}

    /**
     * Fuses every such pair in {@code g}; returns how many. {@code retyped} are the pass's MIL-typed
     * copies of ONNX constants (renamed to the original names later): left alone.
     */
    static int run(Graph g, java.util.Collection<Value> retyped) {
        Rewriter rw = g.rewriter();
        int fused = 0;
        for (Node mm : List.copyOf(g.nodes())) {
            if (mm.graph() != g || !mm.op().equals("mil.matmul") || mm.results().size() != 1) continue;
            Value x = MilParams.get(mm, "x").orElse(null);
            Value w = MilParams.get(mm, "y").orElse(null);
            Boolean tx = bool(MilParams.get(mm, "transpose_x").orElse(null));
            Boolean ty = bool(MilParams.get(mm, "transpose_y").orElse(null));
            if (x == null || w == null || tx == null || ty == null || tx) continue;
            if (!WeightTranspose.supported(g, w, retyped)) continue;
            DType dt = w.tensorType().dtype();
            if (dt != DType.FLOAT32 && dt != DType.FLOAT16) continue;
            TensorType xt = x.tensorType();
            if (!xt.hasRank() || xt.rank() < 1 || xt.rank() > 3 || xt.dtype() != dt) continue;
            Value product = mm.result(0);
            if (product.uses().size() != 1 || g.isOutput(product)) continue;
            Node add = product.uses().get(0).user();
            if (!add.op().equals("mil.add") || add.results().size() != 1) continue;
            long[] ws = w.tensorType().shape();
            long outputs = ty ? ws[0] : ws[1];
            Value bias = other(add, product);
            if (bias == null || !bias.isConstant() || !(bias.data() instanceof DenseData) || bias.data().dtype() != dt || retyped.contains(bias)
                    || !isVector(bias.data().type().shape(), outputs)) {
                continue;
            }
            if (!add.result(0).type().equals(product.type())) continue; // the bias must not broadcast the product

            rw.setInsertionPointBefore(add);
            Map<Value, Value> built = new LinkedHashMap<>();
            Value weight = ty ? w : WeightTranspose.transpose(rw, w, built);
            Value b = bias.data().type().rank() == 1 ? bias
                    : rw.addConstant(rw.uniqueValueName(bias.name() + "_vector"), reshaped(bias.data(), outputs));
            Value sum = add.result(0);
            String name = sum.name();
            Node linear = rw.createNode(rw.uniqueNodeName(mm.name()), "mil.linear", List.of(x, weight, b),
                    List.of(rw.uniqueValueName(name + "_linear")), List.of(sum.type()),
                    Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight", "bias")))), mm.location());
            rw.replaceAllUsesWith(sum, linear.result(0));
            rw.erase(add);
            rw.erase(mm);
            rw.renameValue(linear.result(0), name);
            if (bias != b) built.put(bias, b);
            // The old weight chain (or constant) and bias go when nothing else reads them; their
            // transposed counterparts take over their names.
            List<Map.Entry<Value, String>> names = new ArrayList<>();
            for (Value old : built.keySet()) names.add(Map.entry(old, old.name()));
            WeightTranspose.eraseUnused(rw, g, w);
            WeightTranspose.eraseUnused(rw, g, bias);
            for (Map.Entry<Value, String> e : names) {
                Value replacement = built.get(e.getKey());
                if (replacement == e.getKey() || g.isNameTaken(e.getValue())) continue;
                rw.renameValue(replacement, e.getValue());
            }
            fused++;
        }
        return fused;
    }

    private static Value other(Node add, Value product) {
        List<String> names = MilParams.names(add);
        if (names.size() != 2 || add.operands().size() != 2) return null;
        if (add.operand(0) == product && add.operand(1) != product) return add.operand(1);
        if (add.operand(1) == product && add.operand(0) != product) return add.operand(0);
        return null;
    }

    private static boolean isVector(long[] shape, long n) {
        if (shape.length == 0 || shape[shape.length - 1] != n) return false;
        for (int i = 0; i < shape.length - 1; i++) if (shape[i] != 1) return false;
        return true;
    }

    private static Boolean bool(Value v) {
        if (v == null || !v.isConstant() || v.data() == null || v.data().dtype() != DType.BOOL || v.data().elementCount() != 1) return null;
        return v.data().bytes().get(0) != 0;
    }

    private static TensorData reshaped(TensorData d, long n) {
        return TensorData.ofBuffer(TensorType.of(d.dtype(), n), d.bytes());
    }
}
