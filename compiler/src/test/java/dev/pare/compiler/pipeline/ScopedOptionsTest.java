package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.testpasses.MarkPass;
import dev.pare.compiler.testpasses.TestGraphs;
import dev.pare.compiler.testpasses.TestRegistries;
import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.spi.ScopedOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Selectors and where-overrides applied per node of a small graph. */
class ScopedOptionsTest {

    private final PipelineCompiler compiler = new PipelineCompiler(TestRegistries.standard());
    private final Graph graph = TestGraphs.chain(false); // conv1 (Conv), relu1 (Relu), encoder.mm (MatMul)

    /** node name -> nbits, or "-" when the node is left alone. */
    private Map<String, String> nbitsPerNode(String pipeline) throws PipelineException {
        PassStep step = compiler.parseInline(pipeline).passSteps().get(0);
        ScopedOptions<MarkPass.Options> options = step.scopedOptions();
        Map<String, String> out = new LinkedHashMap<>();
        for (Node n : graph.nodes()) {
            Optional<MarkPass.Options> o = options.forNode(n);
            out.put(n.name(), o.map(x -> x.nbits() + "/" + x.mode().name().toLowerCase()).orElse("-"));
        }
        return out;
    }

    @Test
    void withoutSelectorsEveryNodeGetsTheStepOptions() throws Exception {
        assertEquals(Map.of("conv1", "4/kmeans", "relu1", "4/kmeans", "encoder.mm", "4/kmeans"), nbitsPerNode("mark{nbits=4}"));
    }

    @Test
    void onAndExceptSelectByOpTypeIgnoringCaseAndByNameGlob() throws Exception {
        assertEquals(Map.of("conv1", "4/kmeans", "relu1", "-", "encoder.mm", "4/kmeans"),
                nbitsPerNode("mark{nbits=4} on op_type(CONV, matmul)"));
        assertEquals(Map.of("conv1", "8/kmeans", "relu1", "8/kmeans", "encoder.mm", "-"),
                nbitsPerNode("mark except op_name(\"encoder.*\")"));
        assertEquals(Map.of("conv1", "-", "relu1", "8/kmeans", "encoder.mm", "-"),
                nbitsPerNode("mark on op_type(\"onnx.Relu\") | op_name(\"conv?\") except op_type(conv)"));
    }

    @Test
    void opNameBeatsOpTypeBeatsTheStepAndOverridesMergeOverTheStep() throws Exception {
        assertEquals(Map.of("conv1", "2/uniform", "relu1", "6/uniform", "encoder.mm", "-"),
                nbitsPerNode("mark{nbits=6, mode=uniform} where { op_type(conv) -> {nbits=3}; op_name(\"conv*\") -> {nbits=2}; "
                        + "op_name(\"enc*\") -> skip; op_type(matmul) -> {nbits=1} }"));
        // the first matching arm of a kind wins
        assertEquals(Map.of("conv1", "3/kmeans", "relu1", "8/kmeans", "encoder.mm", "8/kmeans"),
                nbitsPerNode("mark where { op_type(conv) -> {nbits=3}; op_type(\"*\") -> {} ; op_type(conv) -> {nbits=1} }"));
    }

    @Test
    void overridesDoNotReachNodesOutsideTheScope() throws Exception {
        assertEquals(Map.of("conv1", "-", "relu1", "5/kmeans", "encoder.mm", "-"),
                nbitsPerNode("mark on op_type(relu) where { op_name(\"conv1\") -> {nbits=1}; op_type(relu) -> {nbits=5} }"));
    }
}
