package dev.pare.compiler.registry;

import java.util.List;

/**
 * Pass or pipeline discovery failed. Every problem found is listed, one line each, as
 * {@code error[Rnnn]: message}; see {@link PassRegistry} for the codes.
 */
public class RegistryException extends Exception {

    private final List<String> problems;

    public RegistryException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() { return problems; }
}
