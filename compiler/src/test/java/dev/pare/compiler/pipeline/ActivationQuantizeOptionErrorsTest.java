package dev.pare.compiler.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.registry.PassRegistry;
import org.junit.jupiter.api.Test;

/** Bad values of W8A8's options fail when the pipeline is compiled, naming the option and the allowed values. */
class ActivationQuantizeOptionErrorsTest {

    private final PipelineCompiler compiler;

    ActivationQuantizeOptionErrorsTest() throws Exception {
        compiler = new PipelineCompiler(PassRegistry.discover(getClass().getClassLoader()));
    }

    private String error(String pipeline) {
        return assertThrows(PipelineException.class, () -> compiler.parseInline(pipeline)).getMessage().lines().findFirst().orElseThrow();
    }

    @Test
    void badMethodBiasCorrectionAndReduceRangeValuesAreErrors() {
        assertEquals("<pipeline>:1:37: error[P006]: option 'bias_correction' of pass 'activation_quantize' must be one of none, total, got own",
                error("activation_quantize{bias_correction=own}"));
        assertEquals("<pipeline>:1:28: error[P006]: option 'method' of pass 'activation_quantize' must be one of minmax, percentile, "
                + "entropy, mse, got l2", error("activation_quantize{method=l2}"));
        assertEquals("<pipeline>:1:34: error[P005]: option 'reduce_range' of pass 'activation_quantize' expects a boolean (true or false), got 7",
                error("activation_quantize{reduce_range=7}"));
        assertEquals("<pipeline>:1:17: error[P007]: invalid options for pass 'quantize_weights': quantize_weights: reduce_range needs dtype "
                + "int8 or uint8, got int4", error("quantize_weights{dtype=int4, reduce_range=true}"));
    }

    @Test
    void theNewOptionsParse() throws Exception {
        compiler.parseInline("activation_quantize{method=mse, reduce_range=true, bias_correction=total}, "
                + "quantize_weights{dtype=uint8, reduce_range=true}");
    }
}
