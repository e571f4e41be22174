package dev.pare.compiler.mil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.passmanager.PassManagerOptions;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.compiler.testing.TestModels;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MiniLM and PP-OCR rec keep their fully connected layers as mil.linear after weight compression,
 * as they do uncompressed (MiniLM: 36 linear, 12 matmul, 52 add; rec: 9 MatMul + Add pairs).
 */
class CompressedLinearFusionRealModelsTest {

    private static final String MINILM_SHAPES = "input_shapes=[\"input_ids:1,12\", \"attention_mask:1,12\", \"token_type_ids:1,12\"]";

    private static Map<String, Integer> convert(Path file, String pipeline) throws Exception {
        Model model = new OnnxFormat().read(file);
        PassRegistry registry = PassRegistry.discover(CompressedLinearFusionRealModelsTest.class.getClassLoader());
        PassManager.builder(registry).options(PassManagerOptions.DEFAULTS)
                .output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build()
                .run(new PipelineCompiler(registry).parseInline(pipeline), model);
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : model.graph().nodes()) ops.merge(n.op(), 1, Integer::sum);
        return ops;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "EMPTY|36|12|52",
            "PALETTIZE_4BIT|36|12|52",
            "QUANTIZE_INT8|36|12|52"})
    void miniLm(String pipeline, int linear, int matmul, int add) throws Exception {
        Map<String, Integer> ops = convert(TestModels.MINILM, pipeline + ", convert_to_mil{" + MINILM_SHAPES + "}");
        System.out.println("minilm " + pipeline + ": " + ops);
        assertEquals(linear, ops.getOrDefault("mil.linear", 0), ops.toString());
        assertEquals(matmul, ops.getOrDefault("mil.matmul", 0), ops.toString());
        assertEquals(add, ops.getOrDefault("mil.add", 0), ops.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"PALETTIZE_4BIT", "QUANTIZE_INT8"})
    void ppOcrRecKeepsTheLinearsOfItsUncompressedConversion(String pipeline) throws Exception {
        String convert = ", convert_to_mil{input_shapes=[\"x:1,3,48,160\"]}";
        Map<String, Integer> dense = convert(TestModels.OCR_REC, "EMPTY" + convert);
        Map<String, Integer> ops = convert(TestModels.OCR_REC, pipeline + convert);
        System.out.println("ppocr_rec " + pipeline + ": linear " + ops.get("mil.linear") + " matmul " + ops.get("mil.matmul")
                + " add " + ops.get("mil.add") + " (EMPTY: " + dense.get("mil.linear") + "/" + dense.get("mil.matmul") + "/" + dense.get("mil.add") + ")");
        for (String op : new String[]{"mil.linear", "mil.matmul", "mil.add"}) {
            assertEquals(dense.getOrDefault(op, 0), ops.getOrDefault(op, 0), op + ": " + ops);
        }
    }
}
