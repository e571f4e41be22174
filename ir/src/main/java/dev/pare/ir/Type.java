package dev.pare.ir;

/** The type of a value: a tensor type, or an opaque type a format keeps but Pare does not model. */
public sealed interface Type permits TensorType, OpaqueType {
}
