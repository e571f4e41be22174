package dev.pare.examples.arith;

import dev.pare.spi.Pass;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.ScopedOptions;
import java.util.Set;

/** Registers {@code simplify_arithmetic} (see META-INF/services/dev.pare.spi.PassProvider). */
public final class SimplifyArithmeticProvider implements PassProvider<SimplifyArithmeticOptions> {

    @Override public PassInfo info() {
        return PassInfo.optional("simplify_arithmetic",
                "Removes x*1, x/1, x-0 and bit-exact x+0 where the constant cannot broadcast x to a larger shape")
                // it rewrites ONNX ops only: after convert_to_mil it would silently do nothing
                .withContract(Set.of("onnx"), Set.of(), Set.of());
    }

    @Override public SimplifyArithmeticOptions defaults() { return SimplifyArithmeticOptions.DEFAULTS; }

    @Override public Pass create(ScopedOptions<SimplifyArithmeticOptions> options) {
        return new SimplifyArithmeticPass(options);
    }
}
