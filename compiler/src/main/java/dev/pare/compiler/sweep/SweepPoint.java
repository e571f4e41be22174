package dev.pare.compiler.sweep;

import java.util.Objects;

/**
 * One pipeline of a sweep.
 *
 * @param name     what the report calls it: a pipeline name, or the grid's chosen values
 *                 (e.g. {@code nbits=4 mode=kmeans})
 * @param pipeline the pipeline in canonical text ({@code PipelineSpec.canonicalText()}), which is
 *                 what runs and what the point's key hashes
 * @param format   the output's format as its file extension without the dot ({@code onnx},
 *                 {@code mlpackage}); also part of the key
 */
public record SweepPoint(String name, String pipeline, String format) {

    public SweepPoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(format, "format");
    }

    /** The compiled model's file name: {@code stem.format}. */
    public String outputName(String stem) { return stem + "." + format; }
}
