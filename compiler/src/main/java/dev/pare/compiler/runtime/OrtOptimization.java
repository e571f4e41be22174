package dev.pare.compiler.runtime;

import ai.onnxruntime.OrtSession;
import java.util.Locale;

/**
 * How much ONNX Runtime rewrites a graph before running it. {@link #ALL} is ONNX Runtime's own
 * default and what a deployed model gets; {@link #NONE} runs the nodes as written, so its results
 * follow the ONNX operator definitions. The two can differ: with optimizations, ONNX Runtime fuses
 * DynamicQuantizeLinear → MatMulInteger → Cast → Mul into int8 kernels whose results differ from
 * the unfused nodes by up to 1e-1 relative on the int8 sentence encoders of the corpus
 * (README "Conversion coverage").
 */
public enum OrtOptimization {
    /** No graph rewrite: ONNX semantics, node by node. */
    NONE(OrtSession.SessionOptions.OptLevel.NO_OPT),
    /** Semantics-preserving rewrites only (constant folding, redundant node removal). */
    BASIC(OrtSession.SessionOptions.OptLevel.BASIC_OPT),
    /** Also node fusions (e.g. the int8 MatMul fusions). */
    EXTENDED(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT),
    /** Also layout rewrites: ONNX Runtime's default. */
    ALL(OrtSession.SessionOptions.OptLevel.ALL_OPT);

    private final OrtSession.SessionOptions.OptLevel level;

    OrtOptimization(OrtSession.SessionOptions.OptLevel level) {
        this.level = level;
    }

    OrtSession.SessionOptions.OptLevel level() { return level; }

    /** The lower-case name the CLI takes ({@code none}, {@code basic}, {@code extended}, {@code all}). */
    public String cliName() { return name().toLowerCase(Locale.ROOT); }
}
