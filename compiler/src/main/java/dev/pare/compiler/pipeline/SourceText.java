package dev.pare.compiler.pipeline;

import java.nio.file.Path;
import java.util.List;

/**
 * The text of one pipeline source and how to name it in errors.
 *
 * @param name the display name: a path as given, {@code <builtin>/x.pipeline} or {@code <pipeline>}
 * @param text the contents
 * @param path the file it was read from, or null for resources and inline text
 */
public record SourceText(String name, String text, Path path) {

    public List<String> lines() { return text.lines().toList(); }

    /** Line {@code n} (1-based) without its line break, or {@code ""}. */
    public String line(int n) {
        List<String> lines = lines();
        return n >= 1 && n <= lines.size() ? lines.get(n - 1) : "";
    }
}
