package dev.pare.compiler.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.io.ModelFormats;
import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.compiler.passmanager.PassManager;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.registry.PassRegistry;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.PareOp;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new output format is a {@link ModelFormat} plus one lowering pass: a toy text format and its
 * lowering, both only in this test, compile a palettized weight with nothing else added.
 */
class ToyFormatTest {

    @TempDir Path tmp;

    /** One line per constant ({@code const name type}) and per node ({@code op name}); holds no pare op. */
    public static final class ToyFormat implements ModelFormat {
        @Override public String name() { return "toy"; }

        @Override public List<String> extensions() { return List.of(".toy"); }

        @Override public Model read(Path file) throws ModelFormatException {
            throw new ModelFormatException(file, "the toy format is write-only");
        }

        @Override public void write(Model model, Path target) throws ModelFormatException {
            List<String> lines = new ArrayList<>();
            for (Value c : model.graph().constants()) lines.add("const " + c.name() + " " + c.type());
            for (Node n : model.graph().nodes()) {
                if (n.dialect().equals("pare")) throw new ModelFormatException(target, "toy cannot hold " + n.op());
                lines.add(n.op() + " " + n.name());
            }
            try {
                Files.write(target, lines, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ModelFormatException(target, e.getMessage());
            }
        }

        @Override public Optional<String> loweringPass() { return Optional.of("lower_to_toy"); }
    }

    /** The toy format's lowering: each pare weight op becomes the dense constant its definition evaluates to. */
    public static final class LowerToToy implements PassProvider<LowerToToy.Options> {
        public record Options() {}

        @Override public PassInfo info() { return PassInfo.required("lower_to_toy", "Expands pare weights for the toy format."); }

        @Override public Options defaults() { return new Options(); }

        @Override public Pass create(ScopedOptions<Options> options) {
            return (graph, context) -> {
                boolean changed = false;
                for (Node n : List.copyOf(graph.nodes())) {
                    PareOp op = PareOp.of(n.op()).filter(PareOp::isWeightOp).orElse(null);
                    if (op == null) continue;
                    List<TensorData> operands = new ArrayList<>();
                    for (Value v : n.operands()) operands.add(v.isAbsent() ? null : v.data());
                    List<Value> inputs = List.copyOf(n.operands());
                    graph.rewriter().replaceWithConstant(n, op.evaluate(operands, n.attributes()));
                    for (Value v : inputs) if (v.isConstant() && !v.hasUses()) graph.rewriter().eraseConstant(v);
                    changed = true;
                }
                return PassResult.of(changed);
            };
        }
    }

    /** x[1,4] · W, W = lut[indices] with a 2-bit LUT: pare.lut_to_dense then onnx.MatMul. */
    private static Model palettized() {
        Graph g = new Graph("main");
        Rewriter rw = g.rewriter();
        Value x = rw.addInput("x", TensorType.of(DType.FLOAT32, 1, 4));
        Value indices = rw.addConstant("w_indices", TensorData.of(TensorType.of(DType.UINT2, 4, 4), new byte[] {0x1B, 0x1B, 0x1B, 0x1B}));
        Value lut = rw.addConstant("w_lut", TensorData.ofFloats(new long[] {1, 1, 4, 1}, -1f, 0f, 0.5f, 2f));
        Node w = rw.createNode("w_palettized", "pare.lut_to_dense", List.of(indices, lut), List.of("w"),
                List.of(TensorType.of(DType.FLOAT32, 4, 4)), Attributes.empty(), Location.UNKNOWN);
        Node mm = rw.createNode("mm", "onnx.MatMul", List.of(x, w.result(0)), List.of("y"),
                List.of(TensorType.of(DType.FLOAT32, 1, 4)), Attributes.empty(), Location.UNKNOWN);
        rw.addOutput(mm.result(0));
        return new Model("onnx", g);
    }

    @Test
    void compilingToANewFormatRunsItsOwnLowering() throws Exception {
        ModelFormat toy = new ToyFormat();
        PassRegistry registry = PassRegistry.of(List.of(new LowerToToy()));
        PassManager passes = PassManager.builder(registry).output(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).build();
        Model model = palettized();
        // what the driver does for any output: append the format's lowering to the pipeline
        passes.run(new PipelineCompiler(registry).parseArgument(toy.loweringPass().orElseThrow()), model);
        Path out = tmp.resolve("m.toy");
        toy.write(model, out);
        assertEquals(List.of("const w f32[4,4]", "onnx.MatMul mm"), Files.readAllLines(out));
        float[] first = new float[4];
        for (int i = 0; i < 4; i++) first[i] = model.graph().value("w").orElseThrow().data().bytes().getFloat(i * 4);
        assertEquals("[2.0, 0.5, 0.0, -1.0]", java.util.Arrays.toString(first));
    }

    @Test
    void aWriterRefusesWhatItsFormatCannotHold() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new ToyFormat().write(palettized(), tmp.resolve("m.toy")));
        assertEquals(tmp.resolve("m.toy") + ": toy cannot hold pare.lut_to_dense", e.getMessage());
        ModelFormatException onnx = assertThrows(ModelFormatException.class, () -> new OnnxFormat().write(palettized(), tmp.resolve("m.onnx")));
        assertEquals(tmp.resolve("m.onnx") + ": cannot write ONNX: node 'w_palettized' (pare.lut_to_dense) is not an ONNX op; "
                + "the lower_to_onnx pass lowers the pare dialect", onnx.getMessage());
    }

    @Test
    void theFormatsNameTheirLowering() throws Exception {
        ModelFormats formats = new ModelFormats(List.of(new OnnxFormat(), new ToyFormat()));
        assertEquals(Optional.of("lower_to_onnx"), formats.forPath(Path.of("a.onnx")).loweringPass());
        assertEquals(Optional.of("lower_to_toy"), formats.forPath(Path.of("a.toy")).loweringPass());
    }
}
