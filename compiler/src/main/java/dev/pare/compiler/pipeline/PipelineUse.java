package dev.pare.compiler.pipeline;

/** A reference to a named pipeline that a step was expanded from: the name and where it was used. */
public record PipelineUse(String pipeline, SourceSpan span) {
    @Override public String toString() { return pipeline + " at " + span; }
}
