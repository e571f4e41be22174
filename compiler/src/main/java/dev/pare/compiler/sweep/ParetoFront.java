package dev.pare.compiler.sweep;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The points no other point beats: one is dominated when another is no larger and no worse, and
 * smaller or better. Failed points and points without a quality value take no part. Two points of
 * equal size and quality are both on the front.
 */
public final class ParetoFront {

    private ParetoFront() {}

    /** The ids of the points on the front. */
    public static Set<String> of(List<PointResult> results, Quality quality) {
        List<PointResult> candidates = new ArrayList<>();
        for (PointResult r : results) if (r.ok() && !Double.isNaN(r.quality(quality))) candidates.add(r);
        Set<String> front = new LinkedHashSet<>();
        for (PointResult p : candidates) {
            boolean dominated = false;
            for (PointResult q : candidates) {
                if (dominates(q, p, quality)) {
                    dominated = true;
                    break;
                }
            }
            if (!dominated) front.add(p.id());
        }
        return front;
    }

    static boolean dominates(PointResult q, PointResult p, Quality quality) {
        double qq = q.quality(quality);
        double pq = p.quality(quality);
        return q.bytes() <= p.bytes() && qq >= pq && (q.bytes() < p.bytes() || qq > pq);
    }
}
