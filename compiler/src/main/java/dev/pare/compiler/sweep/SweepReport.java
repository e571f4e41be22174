package dev.pare.compiler.sweep;

import java.util.List;
import java.util.Set;

/**
 * A finished sweep: every point in the order the sweep defines them, and which are on the Pareto
 * front (smaller and better).
 *
 * @param model             the input model as given
 * @param modelBytes        its size on disk
 * @param quality           what points are ranked by
 * @param samples           samples each point was evaluated on
 * @param inputs            where those came from: the data path, or {@code generated (seed N)}
 * @param labels            the labels file, or null
 * @param referenceAccuracy the input model's own accuracy on those samples, or null
 */
public record SweepReport(String model, long modelBytes, Quality quality, int samples, String inputs, String labels,
        Double referenceAccuracy, List<PointResult> points, Set<String> pareto) {

    public SweepReport {
        points = List.copyOf(points);
        pareto = Set.copyOf(pareto);
    }

    public long failed() { return points.stream().filter(p -> !p.ok()).count(); }

    /** The front's points, smallest first. */
    public List<PointResult> front() {
        return points.stream().filter(p -> pareto.contains(p.id())).distinct()
                .sorted(java.util.Comparator.comparingLong(PointResult::bytes).thenComparing(PointResult::name)).toList();
    }
}
