package dev.pare.compiler.coreml.lower;

import dev.pare.compiler.coreml.CoreMlFormat;
import dev.pare.compiler.coreml.CoreMlTarget;
import dev.pare.ir.Model;
import dev.pare.spi.Option;
import dev.pare.spi.Pass;
import dev.pare.spi.PassFailure;
import dev.pare.spi.PassInfo;
import dev.pare.spi.PassProvider;
import dev.pare.spi.PassResult;
import dev.pare.spi.ScopedOptions;

/**
 * The {@code lower_to_coreml} pass: the Core ML format's own lowering of the {@code pare} dialect
 * (ir/PARE_DIALECT.md, "Lowering per output") to the constexpr and quantize ops of a target
 * ({@link CoreMlLowering}). The compiler appends it to the pipeline of every {@code .mlpackage} /
 * {@code .mlmodel} output ({@code CoreMlFormat.loweringPass()}), so {@code --print-ir-after
 * lower_to_coreml} shows what the writer gets; what the target cannot express fails here (CL001).
 */
public final class LowerToCoreMl implements PassProvider<LowerToCoreMl.Options> {

    public static final String NAME = CoreMlFormat.LOWERING_PASS;

    /** The target to lower for. */
    public enum Target {
        /** The model's target: {@code --target}, else the version it was read with, else ios17. */
        MODEL(null), IOS16(CoreMlTarget.IOS16), IOS17(CoreMlTarget.IOS17), IOS18(CoreMlTarget.IOS18), IOS26(CoreMlTarget.IOS26);

        private final CoreMlTarget target;

        Target(CoreMlTarget target) { this.target = target; }
    }

    /** The pass options. */
    public record Options(
            @Option(help = "Core ML target whose ops to use: model (the --target of pare compile, else the version the "
                    + "package was read with, else ios17), ios16, ios17, ios18 or ios26. Another target than model also "
                    + "sets the model's target, so the writer writes that one.")
            Target target) {
        public Options {
            if (target == null) throw new IllegalArgumentException(NAME + ": target is required");
        }
    }

    @Override public PassInfo info() {
        return PassInfo.required(NAME, "Turns pare.* ops (compressed weights, activation quantize/dequantize) into Core ML constexpr and quantize ops of the target.");
    }

    @Override public Options defaults() { return new Options(Target.MODEL); }

    @Override public Pass create(ScopedOptions<Options> options) {
        Target target = options.base().target();
        return (graph, context) -> {
            Model model = context.service(Model.class).filter(m -> m.graph() == graph).orElse(null);
            try {
                int n;
                if (model != null) {
                    if (target.target != null) model.setProperty(CoreMlTarget.PROPERTY, target.target.flag());
                    n = CoreMlLowering.lowerInPlace(model, context.tensorStore());
                } else if (target.target != null) {
                    n = CoreMlLowering.lowerInPlace(graph, target.target, context.tensorStore());
                } else {
                    throw new PassFailure(CoreMlCode.CL002, NAME + " with target=model needs the model being compiled "
                            + "(its target); run it from the pass manager or give target=ios16|ios17|ios18|ios26");
                }
                if (n > 0) context.statistics().add("ops_lowered", n);
                return PassResult.of(n > 0);
            } catch (CoreMlLoweringException e) {
                throw new PassFailure(CoreMlCode.CL001, NAME + ": " + e.getMessage());
            }
        };
    }
}
