package dev.pare.compiler.coreml;

import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;

/** An operand of a MIL op being written: a constant tensor, or a variable by its MIL name. */
sealed interface MilArg {

    TensorType type();

    /** A constant: inlined into constexpr ops, a {@code const} op for other ops. */
    record Const(TensorData data) implements MilArg {
        @Override public TensorType type() { return data.type(); }
    }

    /** The output of an op already written (or a function input). */
    record Var(String name, TensorType type) implements MilArg {}

    /** The constant, or null for a variable. */
    default TensorData constant() { return this instanceof Const c ? c.data() : null; }
}
