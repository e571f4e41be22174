package dev.pare.compiler.compare;

import dev.pare.compiler.coreml.CoreMlKeys;
import dev.pare.ir.DType;
import dev.pare.ir.FeatureTypes;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * The names {@code pare compare} knows a model's inputs and outputs by: the name the user gave
 * them. A Core ML package written from an ONNX model has MIL identifiers ({@code input_0} for
 * {@code input:0}) and keeps the original names in its metadata (ir/MIL_DIALECT.md,
 * {@code com.github.pare.originalNames}); the reader puts them on the values as
 * {@link CoreMlKeys#ORIGINAL_NAME}.
 */
final class FeatureNames {

    private FeatureNames() {}

    /** The original name of an input or output, else its IR name. */
    static String of(Value v) {
        return v.metadata().getOrDefault(CoreMlKeys.ORIGINAL_NAME, v.name());
    }

    /**
     * The element type an input or output had in the model it was converted from (a Core ML
     * feature made int32 from an ONNX bool records {@code bool}: {@link FeatureTypes#ORIGINAL_DTYPE}),
     * else its own.
     */
    static DType dtype(Value v) {
        String was = v.metadata().get(FeatureTypes.ORIGINAL_DTYPE);
        return was == null ? v.tensorType().dtype() : DType.fromShortName(was).orElse(v.tensorType().dtype());
    }

    /**
     * The model's inputs as the data readers and the input generator should see them: the graph's
     * own inputs when every input has its original name and dtype, else stand-ins named by
     * {@link #of} with the original dtype ({@link #dtype}) and the same shapes (inputs with a
     * default value are left out: they need no data).
     */
    static List<Value> inputs(Model m) {
        List<Value> inputs = m.graph().inputs();
        if (inputs.stream().allMatch(v -> of(v).equals(v.name()) && dtype(v) == v.tensorType().dtype())) return inputs;
        Graph view = new Graph(m.graph().name() + "_inputs");
        List<Value> out = new ArrayList<>();
        for (Value v : inputs) {
            if (v.data() == null) out.add(view.rewriter().addInput(of(v), v.tensorType().withDType(dtype(v))));
        }
        return out;
    }
}
