package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.registry.OptionSpec;
import dev.pare.compiler.registry.OptionsSchema;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.registry.RegistryException;
import dev.pare.spi.Option;
import dev.pare.spi.OptionValueException;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code Optional<T>} option components: absent = empty, a value given = {@code Optional.of}, range
 * checks on the contained value, left out of the canonical text when empty, and no default.
 */
class OptionalOptionsTest {

    public enum Shape { ROUND, SQUARE }

    /** Every kind of optional beside a plain option with a default. */
    public record Options(
            @Option(help = "plain, with a default", min = 0) int level,
            @Option(help = "an optional count", min = 1, max = 8) Optional<Integer> count,
            @Option(help = "an optional fraction", min = 0, max = 1) Optional<Double> fraction,
            @Option(help = "an optional label") Optional<String> label,
            @Option(help = "an optional shape") Optional<Shape> shape,
            @Option(help = "optional weights", min = 0) Optional<List<Float>> weights) {

        public Options {
            if (count.isPresent() && count.get() == 5) throw new OptionValueException("count", "must not be 5");
            if (label.isPresent() && fraction.isEmpty()) throw new IllegalArgumentException("label needs fraction");
        }
    }

    /** Registered as {@code opt}; does nothing. */
    static final class OptPass implements PassProvider<Options> {
        @Override public PassInfo info() { return PassInfo.optional("opt", "optional options"); }

        @Override public Options defaults() {
            return new Options(3, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }

        @Override public Pass create(ScopedOptions<Options> options) { return (graph, context) -> PassResult.UNCHANGED; }
    }

    private final PipelineCompiler compiler;

    OptionalOptionsTest() throws Exception { compiler = new PipelineCompiler(PassRegistry.of(List.of(new OptPass()))); }

    private Options options(String pipeline) throws PipelineException {
        return (Options) compiler.parseInline(pipeline).passSteps().get(0).options();
    }

    private String error(String pipeline) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(pipeline)).getMessage().lines().findFirst().orElseThrow();
    }

    @Test
    void absentIsEmptyAndIsLeftOutOfTheCanonicalText() throws Exception {
        Options o = options("opt");
        assertEquals(new OptPass().defaults(), o);
        assertEquals("opt{level=3}\n", compiler.parseInline("opt").canonicalText());
        assertEquals("opt{level=3}\n", compiler.parseInline("opt{level=3}").canonicalText());
    }

    @Test
    void givenValuesArePresentAndPrintedLikePlainOnes() throws Exception {
        String text = "opt{weights=[0.5, 2], shape=square, label=\"a b\", fraction=0.25, count=8}";
        Options o = options(text);
        assertEquals(Optional.of(8), o.count());
        assertEquals(Optional.of(0.25), o.fraction());
        assertEquals(Optional.of("a b"), o.label());
        assertEquals(Optional.of(Shape.SQUARE), o.shape());
        assertEquals(Optional.of(List.of(0.5f, 2.0f)), o.weights());
        String canonical = "opt{count=8, fraction=0.25, label=\"a b\", level=3, shape=square, weights=[0.5, 2.0]}\n";
        assertEquals(canonical, compiler.parseInline(text).canonicalText());
        assertEquals(canonical, compiler.parseInline(canonical).canonicalText());
    }

    @Test
    void aWhereArmPrintsOnlyTheOptionalItSets() throws Exception {
        String text = "opt{count=2} where { op_name(\"a\") -> {shape=round}; op_type(\"Conv\") -> {count=4} }";
        assertEquals("opt{count=2, level=3} where { op_name(\"a\") -> {shape=round}; op_type(conv) -> {count=4} }\n",
                compiler.parseInline(text).canonicalText());
    }

    @Test
    void briefFormListsOnlyTheSetOptionals() throws Exception {
        PassStep step = compiler.parseInline("opt{count=2, level=3}").passSteps().get(0);
        assertEquals("opt{count=2}", PipelinePrinter.brief(step, new OptPass().defaults()));
    }

    @Test
    void rangeAndTypeApplyToTheContainedValueWithTheUsualCodes() {
        assertEquals("<pipeline>:1:11: error[P006]: option 'count' of pass 'opt' must be in [1, 8], got 9", error("opt{count=9}"));
        assertEquals("<pipeline>:1:11: error[P006]: option 'count' of pass 'opt' must be in [1, 8], got 0", error("opt{count=0}"));
        assertEquals("<pipeline>:1:14: error[P006]: option 'fraction' of pass 'opt' must be in [0.0, 1.0], got 1.5", error("opt{fraction=1.5}"));
        assertEquals("<pipeline>:1:11: error[P005]: option 'count' of pass 'opt' expects an int in [1, 8], got 2.5", error("opt{count=2.5}"));
        assertEquals("<pipeline>:1:11: error[P006]: option 'shape' of pass 'opt' must be one of round, square, got oval",
                error("opt{shape=oval}"));
        assertEquals("<pipeline>:1:17: error[P006]: option 'weights' of pass 'opt' must be >= 0.0, got -1", error("opt{weights=[1, -1]}"));
    }

    @Test
    void theRecordSeesTheOptionalAndItsErrorsKeepTheirCodes() {
        assertEquals("<pipeline>:1:11: error[P006]: option 'count' of pass 'opt' must not be 5", error("opt{count=5}"));
        assertEquals("<pipeline>:1:4: error[P007]: invalid options for pass 'opt': label needs fraction", error("opt{label=\"x\"}"));
    }

    @Test
    void theSchemaMarksOptionalsWithoutADefault() {
        OptionsSchema<Options> schema = OptionsSchema.of(new OptPass().defaults());
        OptionSpec count = schema.option("count").orElseThrow();
        assertTrue(count.optional());
        assertNull(count.defaultValue());
        assertEquals("int", count.type().describe());
        assertEquals("[1, 8]", count.describeRange());
        assertEquals("list of float", schema.option("weights").orElseThrow().type().describe());
        OptionSpec level = schema.option("level").orElseThrow();
        assertFalse(level.optional());
        assertEquals(3, level.defaultValue());
    }

    /** An Optional that defaults to a value is a plain option in disguise: the registry refuses it. */
    public record PresentDefault(@Option(help = "x") Optional<Integer> count) {}

    @Test
    void anOptionalWithAPresentDefaultIsRefused() {
        PassProvider<PresentDefault> provider = new PassProvider<>() {
            @Override public PassInfo info() { return PassInfo.optional("present", "x"); }

            @Override public PresentDefault defaults() { return new PresentDefault(Optional.of(2)); }

            @Override public Pass create(ScopedOptions<PresentDefault> options) { return (graph, context) -> PassResult.UNCHANGED; }
        };
        RegistryException e = assertThrows(RegistryException.class, () -> PassRegistry.of(List.of(provider)));
        assertTrue(e.problems().get(0).endsWith("option 'count' of " + PresentDefault.class.getName()
                + " is an Optional with a default (2); make it a plain component"), e.problems().get(0));
    }
}
