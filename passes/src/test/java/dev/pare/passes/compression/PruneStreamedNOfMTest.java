package dev.pare.passes.compression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.TensorStore;
import dev.pare.passes.compression.math.Precision;
import dev.pare.passes.compression.math.ThresholdPrunerOptions;
import dev.pare.spi.PassFailure;
import dev.pare.spi.ScopedOptions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * prune with {@code n_m_ratio} on a weight it reads a band at a time gives the same graph,
 * constants and statistics as on the weight read whole, along the input axis (dim 1, the default)
 * and the output axis (dim 0), float16 and float32.
 */
class PruneStreamedNOfMTest {

    private static final Prune WHOLE = new Prune(WeightTraits.discover(), Long.MAX_VALUE, 104);
    private static final Prune SMALL_PIECES = new Prune(WeightTraits.discover(), 0, 104);
    private static final Prune LARGE_PIECES = new Prune(WeightTraits.discover(), 0, 8192);

    /** {@code y = x · W} with W [300, 256]: input axis 0, output axis 1. */
    private static Graph model(DType f) {
        return WeightGraphs.matMul(WeightGraphs.randomWeights(300 * 256, 9, Precision.of(f)), 300, 256, f);
    }

    private static Prune.Options nOfM(String ratio, Optional<Integer> dim) {
        return new Prune.Options(Prune.Mode.MAGNITUDE, ThresholdPrunerOptions.DEFAULT_THRESHOLD,
                ThresholdPrunerOptions.DEFAULT_MINIMUM_SPARSITY_PERCENTILE, Optional.empty(), 0, Optional.of(ratio), dim, 0);
    }

    private static String run(Prune p, Prune.Options o, DType f) throws PassFailure {
        return StoreContext.runAndDescribe(model(f), TensorStore.heap(), p.create(ScopedOptions.uniform(o)));
    }

    @Test
    void nOfMPruningGivesTheSameResultByBandsAsWhole() throws PassFailure {
        for (DType f : new DType[] {DType.FLOAT16, DType.FLOAT32}) {
            for (Prune.Options o : List.of(nOfM("2:4", Optional.empty()), nOfM("3:8", Optional.of(1)), nOfM("2:4", Optional.of(0)))) {
                String whole = run(WHOLE, o, f);
                assertTrue(whole.contains("w_mask"), whole);
                assertEquals(whole, run(SMALL_PIECES, o, f), f + " " + o + ", small pieces");
                assertEquals(whole, run(LARGE_PIECES, o, f), f + " " + o + ", large pieces");
            }
        }
    }
}
