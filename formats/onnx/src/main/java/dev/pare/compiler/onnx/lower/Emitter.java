package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Node;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;
import java.util.Set;

/**
 * Emits the ONNX nodes and constants that replace one {@code pare.*} node. Names are derived from
 * the pare node and never clash with a name of the original model (which is copied around them).
 * The last op of a lowering passes {@code resultName}, so the dense weight keeps the name the pare
 * op's result had.
 */
final class Emitter {

    final Rewriter rw;
    final Requirements req;
    final Node source;
    private final Set<String> reserved;

    Emitter(Graph graph, Set<String> reserved, Requirements req, Node source) {
        this.rw = graph.rewriter();
        this.reserved = reserved;
        this.req = req;
        this.source = source;
    }

    /** A one-line error about the pare node being lowered. */
    LoweringException error(String what) {
        return new LoweringException("node '" + source.name() + "' (" + source.op() + "): " + what);
    }

    String fresh(String suffix) {
        String base = source.name() + "_" + suffix;
        String n = base;
        for (int i = 1; reserved.contains(n) || rw.graph().isNameTaken(n); i++) n = base + "_" + i;
        reserved.add(n);
        return n;
    }

    private String freshNode(String opType) {
        String base = source.name() + "/" + opType;
        String n = base;
        for (int i = 1; reserved.contains(n) || rw.graph().node(n).isPresent(); i++) n = base + "_" + i;
        reserved.add(n);
        return n;
    }

    Value constant(String suffix, TensorData data) {
        return rw.addConstant(fresh(suffix), data);
    }

    /** A constant that is the final result (e.g. a sparse initializer). */
    Value namedConstant(String name, TensorData data) {
        return rw.addConstant(name, data);
    }

    /** A default-domain ONNX node; {@code resultName} null means a fresh name. */
    Value op(String opType, List<Value> inputs, TensorType resultType, Attributes attributes, String resultName) {
        String node = freshNode(opType);
        String result = resultName != null ? resultName : fresh(opType.toLowerCase(java.util.Locale.ROOT));
        return rw.createNode(node, "onnx." + opType, inputs, List.of(result), List.of(resultType), attributes,
                Location.created("onnx-lowering")).result(0);
    }

    Value op(String opType, List<Value> inputs, TensorType resultType) {
        return op(opType, inputs, resultType, Attributes.empty(), null);
    }

    Value cast(Value in, DType to, long[] shape) {
        return op("Cast", List.of(in), TensorType.of(to, shape),
                Attributes.builder().put("to", Attribute.of(to.onnxCode())).build(), null);
    }

    Value reshape(Value in, long[] shape, String resultName) {
        Value s = constant("shape", Tensors.longs(new long[] {shape.length}, shape));
        return op("Reshape", List.of(in, s), TensorType.of(in.tensorType().dtype(), shape), Attributes.empty(), resultName);
    }

    static Attributes attrs(Object... kv) {
        Attributes.Builder b = Attributes.builder();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            Attribute a = v instanceof Attribute x ? x : Attribute.of(((Number) v).longValue());
            b.put((String) kv[i], a);
        }
        return b.build();
    }
}
