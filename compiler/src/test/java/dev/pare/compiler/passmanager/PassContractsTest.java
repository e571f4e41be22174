package dev.pare.compiler.passmanager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testpasses.SimplePasses.NoOptions;
import dev.pare.compiler.testpasses.TestGraphs;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.passes.mil.ConvertToMil;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PassContractsTest {

    /** A pass with a contract that counts its runs and changes nothing. */
    private static final class Declared implements PassProvider<NoOptions> {
        private final PassInfo info;
        int runs;

        Declared(String name, Set<String> requires, Set<String> establishes, Set<String> invalidates) {
            info = PassInfo.optional(name, "a test pass with a contract").withContract(requires, establishes, invalidates);
        }

        @Override public PassInfo info() { return info; }
        @Override public NoOptions defaults() { return new NoOptions(); }
        @Override public Pass create(ScopedOptions<NoOptions> options) {
            return (graph, context) -> {
                runs++;
                return PassResult.UNCHANGED;
            };
        }
    }

    private final Declared onnxOnly = new Declared("onnx_only", Set.of("onnx"), Set.of(), Set.of());
    private final Declared milOnly = new Declared("mil_only", Set.of("mil"), Set.of(), Set.of());
    private final Declared fakeLowering = new Declared("fake_lowering", Set.of(), Set.of("mil"), Set.of("onnx"));
    private final Declared makesFused = new Declared("make_fused", Set.of(), Set.of("fused"), Set.of());
    private final Declared needsFused = new Declared("needs_fused", Set.of("fused"), Set.of(), Set.of());

    private RunReport run(String pipeline, Graph g) throws Exception {
        PassRegistry registry = PassRegistry.of(List.of(new ConvertToMil(), onnxOnly, milOnly, fakeLowering, makesFused, needsFused));
        return PassManager.builder(registry).options(PassManagerOptions.DEFAULTS).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), g);
    }

    /** x -> Relu -> y, which convert_to_mil lowers. */
    private static Graph relu() {
        Graph g = new Graph("main");
        TensorType t = TensorType.of(DType.FLOAT32, 1, 4);
        Value x = g.rewriter().addInput("x", t);
        Value y = g.rewriter().createNode("relu", "onnx.Relu", List.of(x), List.of("y"), List.of(t), Attributes.empty(),
                Location.UNKNOWN).result(0);
        g.rewriter().addOutput(y);
        return g;
    }

    @Test void anOnnxOnlyPassAfterConvertToMilFailsBeforeAnyPassRuns() {
        Graph g = relu();
        PassManagerException e = assertThrows(PassManagerException.class, () -> run("onnx_only, convert_to_mil, onnx_only", g));
        assertEquals("M016", e.code());
        assertEquals("error[M016] pass 'onnx_only' at <pipeline>:1:28 requires 'onnx' (the graph's ops are ONNX ops), "
                + "which step 'convert_to_mil' at <pipeline>:1:12 invalidates; run it before that step", e.getMessage());
        assertEquals(0, onnxOnly.runs);
        assertEquals("onnx", g.nodes().get(0).dialect());
    }

    @Test void theSameStepsInTheRightOrderRun() throws Exception {
        Graph g = relu();
        run("onnx_only, convert_to_mil, mil_only", g);
        assertEquals(1, onnxOnly.runs);
        assertEquals(1, milOnly.runs);
        assertEquals("mil", g.nodes().get(0).dialect());
    }

    @Test void theInputGraphDecidesTheDialect() throws Exception {
        Graph mil = relu();
        run("convert_to_mil", mil);
        PassManagerException e = assertThrows(PassManagerException.class, () -> run("mil_only, onnx_only", mil));
        assertEquals("error[M016] pass 'onnx_only' at <pipeline>:1:11 requires 'onnx' (the graph's ops are ONNX ops), "
                + "which does not hold for the input graph and no earlier step establishes", e.getMessage());
        PassManagerException onnx = assertThrows(PassManagerException.class, () -> run("mil_only", TestGraphs.chain(false)));
        assertTrue(onnx.getMessage().startsWith("error[M016] pass 'mil_only' at <pipeline>:1:1 requires 'mil'"), onnx.getMessage());
    }

    @Test void aFixpointsSecondRoundSeesWhatItsFirstLeft() {
        PassManagerException e = assertThrows(PassManagerException.class,
                () -> run("fixpoint { onnx_only, fake_lowering }", TestGraphs.chain(false)));
        assertTrue(e.getMessage().contains("which step 'fake_lowering' at <pipeline>:1:23 invalidates"), e.getMessage());
        assertEquals(0, onnxOnly.runs);
    }

    @Test void pluginPropertiesHoldOnceAStepEstablishesThem() throws Exception {
        run("make_fused, needs_fused", TestGraphs.chain(false));
        assertEquals(1, needsFused.runs);
        PassManagerException e = assertThrows(PassManagerException.class, () -> run("needs_fused, make_fused", TestGraphs.chain(false)));
        assertTrue(e.getMessage().endsWith("requires 'fused' (a property passes declare), which no earlier step establishes"),
                e.getMessage());
    }

    @Test void aPassThatDoesNotKeepItsDeclaredDialectFails() {
        // fake_lowering claims to establish mil but leaves the ONNX ops in place
        PassManagerException e = assertThrows(PassManagerException.class, () -> run("fake_lowering", TestGraphs.chain(false)));
        assertEquals("error[M017] pass 'fake_lowering' failed at <pipeline>:1:1: the pass declares it establishes 'mil' "
                + "(the graph's ops are Core ML MIL ops), but the graph still has onnx ops", e.getMessage());
        assertEquals(1, fakeLowering.runs);
    }
}
