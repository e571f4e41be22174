package dev.pare.passes.mil;

import dev.pare.testkit.PassTester;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Small graphs before and after convert_to_mil ({@code golden/mil/NAME.before.ir} / {@code .after.ir}). */
class ConvertToMilGoldenTest {

    private final ConvertToMil provider = new ConvertToMil();

    private PassTester<ConvertToMil.Options> tester(List<String> shapes, long opset) {
        return PassTester.of(provider).withOptions(new ConvertToMil.Options(shapes, Optional.of(opset), 1 << 20));
    }

    private static String before(String name) { return "golden/mil/" + name + ".before.ir"; }

    private static String after(String name) { return "golden/mil/" + name + ".after.ir"; }

    @Test
    void convRelu() {
        tester(List.of(), 13).assertGolden(before("conv_relu"), after("conv_relu")).assertStatistic("nodes_lowered", 3);
    }

    @Test
    void gemm() {
        tester(List.of(), 13).assertGolden(before("gemm"), after("gemm"));
    }

    @Test
    void resize() {
        tester(List.of(), 13).assertGolden(before("resize"), after("resize"));
    }

    @Test
    void attentionWithStaticShapes() {
        tester(List.of("h:1,3,8", "mask:1,3"), 11).assertGolden(before("attention"), after("attention.static"))
                .assertStatistic("nodes_folded", 5).assertStatistic("inputs_retyped", 1);
    }

    @Test
    void attentionWithSymbolicShapes() {
        tester(List.of(), 11).assertGolden(before("attention"), after("attention.symbolic"));
    }
}
