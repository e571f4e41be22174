package dev.pare.compiler.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * A built-in pipeline file shipped as a class-path resource
 * ({@code META-INF/pare/pipelines/NAME.pipeline}) by the passes module or a plugin jar.
 *
 * @param fileName the file name, e.g. {@code cleanup.pipeline}; {@code include "cleanup.pipeline";}
 *                 finds it when no file of that name is next to the including file or on the
 *                 pipeline path
 * @param url      where to read it
 */
public record PipelineResource(String fileName, URL url) {

    /** How errors name the file: {@code <builtin>/cleanup.pipeline}. */
    public String displayName() { return "<builtin>/" + fileName; }

    public String read() throws IOException {
        try (InputStream in = url.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
