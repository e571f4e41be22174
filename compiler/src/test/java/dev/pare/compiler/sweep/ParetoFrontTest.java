package dev.pare.compiler.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParetoFrontTest {

    static PointResult point(String id, long bytes, Double accuracy, double snr) {
        return new PointResult(id, id, "EMPTY", "onnx", "points/" + id + "/m.onnx", bytes, 100, accuracy, 0.98, snr, 0.99, 1.0, 1, 1, null);
    }

    @Test
    void smallerOrBetterSurvivesDominatedPointsDoNot() {
        List<PointResult> points = List.of(
                point("a", 100, 0.80, 5),
                point("b", 200, 0.95, 20),
                point("c", 300, 0.95, 30),   // as good as b but larger: dominated by accuracy, not by SNR
                point("d", 250, 0.90, 25),   // larger and worse than b
                point("e", 400, 0.99, 40));
        assertEquals(Set.of("a", "b", "e"), ParetoFront.of(points, Quality.ACCURACY));
        assertEquals(Set.of("a", "b", "d", "c", "e"), ParetoFront.of(points, Quality.SNR));
    }

    @Test
    void equalPointsAreBothOnTheFront() {
        assertEquals(Set.of("a", "b"), ParetoFront.of(List.of(point("a", 100, 0.9, 1), point("b", 100, 0.9, 1)), Quality.ACCURACY));
    }

    @Test
    void failedPointsAndPointsWithoutAQualityTakeNoPart() {
        PointResult failed = PointResult.failed("f", new SweepPoint("f", "EMPTY", "onnx"), "boom");
        PointResult unlabeled = point("u", 10, null, 50);
        assertEquals(Set.of("a"), ParetoFront.of(List.of(failed, unlabeled, point("a", 100, 0.9, 1)), Quality.ACCURACY));
        assertEquals(Set.of("u"), ParetoFront.of(List.of(failed, unlabeled, point("a", 100, 0.9, 1)), Quality.SNR));
    }

    @Test
    void anIdenticalOutputHasInfiniteSnrAndBeatsAnyFiniteOne() {
        assertEquals(Set.of("x"), ParetoFront.of(List.of(point("x", 100, 0.9, Double.POSITIVE_INFINITY), point("y", 100, 0.9, 80)),
                Quality.SNR));
    }
}
