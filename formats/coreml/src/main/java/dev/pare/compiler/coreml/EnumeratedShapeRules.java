package dev.pare.compiler.coreml;

import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/**
 * What Core ML allows around inputs with enumerated shapes ({@link CoreMlKeys#ENUMERATED_SHAPES}).
 * Core ML Tools documents that in a multi-input model only one input may have enumerated shapes
 * and the others must have one fixed shape; from specification version 9 (iOS18) several inputs
 * may have them, listed so that their k-th shapes go together. So: the other inputs must be
 * static, and more than one enumerated input needs iOS18.
 */
public final class EnumeratedShapeRules {

    private EnumeratedShapeRules() {}

    /**
     * @throws IllegalArgumentException naming the inputs, when {@code inputs} break a rule for {@code target}
     */
    public static void check(List<Value> inputs, CoreMlTarget target) {
        List<String> enumerated = inputs.stream().filter(EnumeratedShapeRules::isEnumerated).map(Value::name).toList();
        if (enumerated.isEmpty()) return;
        for (Value v : inputs) {
            if (isEnumerated(v) || !(v.type() instanceof TensorType t) || t.isStatic()) continue;
            throw new IllegalArgumentException("input '" + v.name() + "' (" + t + ") would get a shape range next to the enumerated "
                    + "shapes of '" + enumerated.get(0) + "'; Core ML needs the other inputs static: give '" + v.name() + "' a shape");
        }
        if (enumerated.size() > 1 && !target.atLeast(CoreMlTarget.IOS18)) {
            throw new IllegalArgumentException("inputs " + String.join(", ", enumerated) + " get enumerated shapes; Core ML allows "
                    + "enumerated shapes on several inputs from iOS18 (specification version 9), not " + target.flag()
                    + ": use --target ios18 or later");
        }
    }

    static boolean isEnumerated(Value v) {
        return v.metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES);
    }
}
