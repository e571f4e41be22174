package dev.pare.compiler.sweep;

import java.util.Objects;

/**
 * One pipeline of a sweep.
 *
 * @param name     what the report calls it: a pipeline name, or the grid's chosen values
 *                 (e.g. {@code nbits=4 mode=kmeans})
 * @param pipeline the pipeline in canonical text ({@code PipelineSpec.canonicalText()}), which is
 *                 what runs and what the point's key hashes
 */
public record SweepPoint(String name, String pipeline) {

    public SweepPoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pipeline, "pipeline");
    }
}
