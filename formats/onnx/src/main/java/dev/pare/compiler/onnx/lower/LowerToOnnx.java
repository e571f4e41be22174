package dev.pare.compiler.onnx.lower;

import dev.pare.compiler.onnx.OnnxFormat;
import dev.pare.ir.Model;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;
import dev.pare.spi.Pass;

/**
 * The {@code lower_to_onnx} pass: the ONNX format's own lowering of the {@code pare} dialect
 * (ir/PARE_DIALECT.md, "Lowering per output"), built into the compiler. The compiler appends it to
 * the pipeline of every {@code .onnx} output ({@code OnnxFormat.loweringPass()}), so
 * {@code --print-ir-after lower_to_onnx} shows what the writer gets. It changes the model's opset
 * when the new ops need a newer one, so it needs the model (bound by the pass manager).
 */
public final class LowerToOnnx implements PassProvider<LowerToOnnx.Options> {

    public static final String NAME = OnnxFormat.LOWERING_PASS;

    /** No options. */
    public record Options() {}

    @Override public PassInfo info() {
        return PassInfo.required(NAME, "Turns pare.* ops (compressed weights, activation quantize/dequantize) into standard ONNX ops.");
    }

    @Override public Options defaults() { return new Options(); }

    @Override public Pass create(ScopedOptions<Options> options) {
        return (graph, context) -> {
            Model model = context.service(Model.class).filter(m -> m.graph() == graph).orElse(null);
            if (model == null) throw new PassFailure(OnnxCode.OL002, NAME + " needs the model being compiled (its opsets); run it from the pass manager");
            try {
                int n = OnnxLowering.lowerInPlace(model);
                if (n > 0) context.statistics().add("nodes_lowered", n);
                return PassResult.of(n > 0);
            } catch (LoweringException e) {
                throw new PassFailure(OnnxCode.OL001, NAME + ": " + e.getMessage());
            }
        };
    }
}
