package dev.pare.compiler.coreml;

import dev.pare.ir.Graph;
import dev.pare.ir.Model;

import java.util.Locale;
import java.util.Optional;

/**
 * The deployment targets the Core ML writer can produce, each with its Model.proto specification
 * version and MIL opset (ir/MIL_DIALECT.md, Targets). The target decides which constexpr ops and I/O types a
 * package may use.
 */
public enum CoreMlTarget {
    IOS16("ios16", 7, "CoreML6"),
    IOS17("ios17", 8, "CoreML7"),
    IOS18("ios18", 9, "CoreML8"),
    /** iOS26 / macOS26: adds int8 multi-array inputs and outputs for ML Programs. */
    IOS26("ios26", 10, "CoreML9");

    /** Model property naming the target ({@code ios16|ios17|ios18|ios26}); set by {@code --target}. */
    public static final String PROPERTY = CoreMlKeys.TARGET;
    /** Model property holding the specification version a Core ML reader found. */
    public static final String SPEC_VERSION_PROPERTY = CoreMlKeys.SPECIFICATION_VERSION;
    /** Used for models that did not come from Core ML (e.g. converted from ONNX). */
    public static final CoreMlTarget DEFAULT_FOR_CONVERSIONS = IOS17;

    private final String flag;
    private final int specificationVersion;
    private final String opset;

    CoreMlTarget(String flag, int specificationVersion, String opset) {
        this.flag = flag;
        this.specificationVersion = specificationVersion;
        this.opset = opset;
    }

    /** The {@code --target} spelling, e.g. {@code ios18}. */
    public String flag() { return flag; }

    public int specificationVersion() { return specificationVersion; }

    /** The MIL function opset, e.g. {@code CoreML8}. */
    public String opset() { return opset; }

    public boolean atLeast(CoreMlTarget other) { return compareTo(other) >= 0; }

    /** The target named {@code text} ({@code ios16}, {@code iOS18}, ...). */
    public static Optional<CoreMlTarget> parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (CoreMlTarget c : values()) if (c.flag.equals(t)) return Optional.of(c);
        return Optional.empty();
    }

    /** Every accepted spelling, for messages. */
    public static String choices() { return "ios16, ios17, ios18, ios26"; }

    /**
     * The target to write {@code model} for: the {@code coreml.target} property if set, else the
     * specification version the model was read with (iOS15 packages are written as iOS16, the
     * oldest target with the constexpr ops), else {@link #DEFAULT_FOR_CONVERSIONS}.
     *
     * @throws IllegalArgumentException naming the bad property value
     */
    public static CoreMlTarget of(Model model) {
        String explicit = model.properties().get(PROPERTY);
        if (explicit != null) {
            return parse(explicit).orElseThrow(() -> new IllegalArgumentException(
                    "unknown Core ML target '" + explicit + "' (property " + PROPERTY + "); choose one of " + choices()));
        }
        return readTarget(model);
    }

    /**
     * Whether {@code --target} asks for another target than the one the model was read with (or
     * the model was not read from Core ML).
     */
    public static boolean retargeted(Model model) {
        String explicit = model.properties().get(PROPERTY);
        if (explicit == null) return false;
        try {
            return parse(explicit).orElse(null) != readTarget(model) || model.properties().get(SPEC_VERSION_PROPERTY) == null;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /**
     * The target a function {@code g} of {@code model} is written for, when the model is written for
     * {@code modelTarget}: that target, except that a function read with an older opset keeps it when
     * the model is written for the target it was read with (so a multi-function package whose
     * functions have different opsets round-trips). {@code --target} writes every function for it.
     */
    public static CoreMlTarget forFunction(Model model, Graph g, CoreMlTarget modelTarget) {
        String opset = g.metadata().get(CoreMlKeys.FUNCTION_OPSET);
        if (opset == null || opset.equals(modelTarget.opset()) || retargeted(model)) return modelTarget;
        for (CoreMlTarget c : values()) {
            if (c.opset().equals(opset) && modelTarget.atLeast(c)) return c;
        }
        return modelTarget;
    }

    /** The target of the read specification version, else {@link #DEFAULT_FOR_CONVERSIONS}. */
    private static CoreMlTarget readTarget(Model model) {
        String spec = model.properties().get(SPEC_VERSION_PROPERTY);
        if (spec != null) {
            int v;
            try {
                v = Integer.parseInt(spec.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("property " + SPEC_VERSION_PROPERTY + " is '" + spec + "', not a number");
            }
            if (v <= IOS16.specificationVersion) return IOS16;
            for (CoreMlTarget c : values()) if (c.specificationVersion == v) return c;
            throw new IllegalArgumentException("the model was read with specification version " + v
                    + ", newer than Pare can write; choose a target with --target (" + choices() + ")");
        }
        return DEFAULT_FOR_CONVERSIONS;
    }

    @Override public String toString() { return flag; }
}
