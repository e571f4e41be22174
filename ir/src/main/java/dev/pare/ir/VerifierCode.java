package dev.pare.ir;

/**
 * The codes of {@link Verifier}'s problems. The ir module sits below spi, so these carry no
 * severity (every one is an error); spi's {@code IrDiagnostics} puts them in the diagnostics
 * catalogue.
 */
public enum VerifierCode {
    V001("an operand is used before it is defined, or is not defined in this graph or an enclosing one",
            "Operands must be graph inputs, constants or results of an earlier node (of this graph or an "
            + "enclosing one). A node reading a value produced later means the graph is not in topological "
            + "order or has a cycle. After a pass this is a bug in the pass (reported as M002); in an input "
            + "model (M008) run topological_reorder first, or fix the exporter."),
    V002("a value name is defined more than once",
            "Every value name is defined once per scope (SSA). Two inputs, constants or results with one "
            + "name make references ambiguous; rename one of them in the model, or report the pass that "
            + "created the second definition."),
    V003("a use list and its producer or consumer disagree",
            "The IR keeps, for each value, the list of (node, operand) pairs reading it, and each result points "
            + "back at its producer. A mismatch means a pass edited operands or results without going through "
            + "the Rewriter; it is a bug in that pass."),
    V004("a constant has no data",
            "A constant value must carry its tensor payload. An external-data file that was not found or a "
            + "pass that dropped the payload leaves it empty."),
    V005("a constant's declared type differs from the type of its data",
            "The declared tensor type (element type and shape) of a constant must match its payload. A "
            + "pass that replaced the data without updating the type, or a model whose initializer dims "
            + "disagree with its raw data, produces this."),
    V006("a graph output is not defined",
            "Each graph output must be defined in the graph (an input, a constant or a node result). A pass "
            + "that removed the producer of an output without rewiring the output causes it."),
    V007("a pare.* op breaks the dialect's rules (operands, attributes, result type) or is not a pare op",
            "The pare dialect's ops (ir/PARE_DIALECT.md, defined in ir PareOp) carry compressed weights "
            + "between passes. The message names the rule broken, e.g. a LUT whose size is not 2^nbits or "
            + "a result type that differs from what the operands decode to. After a pass it is a bug in "
            + "that pass (M002); in an input model the file was not written by Pare.");

    private final String summary;
    private final String explanation;

    VerifierCode(String summary, String explanation) {
        this.summary = summary;
        this.explanation = explanation;
    }

    public String code() { return name(); }

    public String summary() { return summary; }

    public String explanation() { return explanation; }
}
