package dev.pare.compiler.inspect;

import java.util.List;

/** Another function of a multi-function Core ML model: its name, inputs and outputs. */
public record FunctionPorts(String name, List<GraphPort> inputs, List<GraphPort> outputs) {
    public FunctionPorts {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
