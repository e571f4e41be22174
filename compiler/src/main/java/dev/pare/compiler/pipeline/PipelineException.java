package dev.pare.compiler.pipeline;

import java.util.List;
import java.util.stream.Collectors;

/** Pipeline text has errors: every one found, in file and position order. */
public class PipelineException extends Exception {

    private final List<PipelineError> errors;

    public PipelineException(List<PipelineError> errors) {
        super(errors.stream().map(PipelineError::render).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) throw new IllegalArgumentException("no errors");
        this.errors = List.copyOf(errors);
    }

    public List<PipelineError> errors() { return errors; }
}
