package dev.pare.compiler.pipeline;

/**
 * The bounds the pipeline language enforces on its input (README.md, "Confined pipeline
 * includes and bounded readers"). They are fixed: a real pipeline is far below each of them.
 */
public final class PipelineLimits {

    private PipelineLimits() {}

    /** Largest pipeline file (given with {@code --pipeline @FILE} or included). */
    public static final long MAX_FILE_BYTES = 1 << 20;

    /** Deepest nesting of brackets ({@code fixpoint {…}}, option blocks, {@code where {…}}) in one text. */
    public static final int MAX_NESTING = 64;

    /** Longest chain of includes, and of pipelines referring to pipelines. */
    public static final int MAX_REFERENCE_DEPTH = 64;
}
