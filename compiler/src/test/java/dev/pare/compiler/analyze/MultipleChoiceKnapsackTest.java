package dev.pare.compiler.analyze;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pare.compiler.analyze.MultipleChoiceKnapsack.Option;
import dev.pare.compiler.analyze.MultipleChoiceKnapsack.Solution;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipleChoiceKnapsackTest {

    /** The least noise over every plan within the budget, by enumeration; NaN when none fits. */
    private static double bruteForce(List<List<Option>> groups, long budget) {
        int[] idx = new int[groups.size()];
        double best = Double.NaN;
        while (true) {
            long bytes = 0;
            double noise = 0;
            for (int g = 0; g < groups.size(); g++) {
                bytes += groups.get(g).get(idx[g]).bytes();
                noise += groups.get(g).get(idx[g]).noise();
            }
            if (bytes <= budget && (Double.isNaN(best) || noise < best)) best = noise;
            int g = 0;
            while (g < idx.length && ++idx[g] == groups.get(g).size()) idx[g++] = 0;
            if (g == idx.length) return best;
        }
    }

    private static List<List<Option>> randomInstance(Random r) {
        int groups = 1 + r.nextInt(6);
        List<List<Option>> out = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int n = 1 + r.nextInt(4);
            List<Option> options = new ArrayList<>();
            // small integer noises make exact ties common, which the tie-break must survive
            for (int o = 0; o < n; o++) options.add(new Option(1 + r.nextInt(60), r.nextInt(4) == 0 ? r.nextInt(5) : r.nextDouble() * 10));
            out.add(options);
        }
        return out;
    }

    @Test void equalsBruteForceOnRandomInstances() {
        Random r = new Random(7);
        int solved = 0;
        for (int trial = 0; trial < 3000; trial++) {
            List<List<Option>> groups = randomInstance(r);
            long budget = r.nextInt(250);
            double expected = bruteForce(groups, budget);
            Optional<Solution> s = MultipleChoiceKnapsack.solve(groups, budget);
            if (Double.isNaN(expected)) {
                assertTrue(s.isEmpty(), "trial " + trial + ": no plan fits, but the solver found one");
                continue;
            }
            solved++;
            Solution sol = s.orElseThrow(() -> new AssertionError("a plan fits but the solver found none"));
            assertTrue(sol.bytes() <= budget, "over budget");
            assertEquals(expected, sol.noise(), 1e-9, "trial " + trial);
            long bytes = 0;
            for (int g = 0; g < groups.size(); g++) bytes += groups.get(g).get(sol.choices()[g]).bytes();
            assertEquals(bytes, sol.bytes());
        }
        assertTrue(solved > 1000, "too few feasible instances: " + solved);
    }

    @Test void coarseUnitsStayWithinBudgetAndNearOptimal() {
        Random r = new Random(11);
        for (int trial = 0; trial < 500; trial++) {
            List<List<Option>> groups = randomInstance(r);
            long budget = 100 + r.nextInt(150);
            double exact = bruteForce(groups, budget);
            Optional<Solution> s = MultipleChoiceKnapsack.solve(groups, budget, 16);
            if (s.isEmpty()) continue;
            assertTrue(s.get().bytes() <= budget);
            assertTrue(s.get().noise() >= exact - 1e-9);
        }
    }

    @Test void equalNoiseTakesFewerBytesThenLowerIndex() {
        List<List<Option>> groups = List.of(List.of(new Option(10, 1), new Option(5, 1), new Option(5, 1)));
        assertArrayEquals(new int[] {1}, MultipleChoiceKnapsack.solve(groups, 100).orElseThrow().choices());
    }

    @Test void budgetBelowTheSmallestPlanHasNoSolution() {
        List<List<Option>> groups = List.of(List.of(new Option(10, 0), new Option(4, 3)), List.of(new Option(7, 1)));
        assertEquals(11, MultipleChoiceKnapsack.minimumBytes(groups));
        assertTrue(MultipleChoiceKnapsack.solve(groups, 10).isEmpty());
        Solution s = MultipleChoiceKnapsack.solve(groups, 11).orElseThrow();
        assertArrayEquals(new int[] {1, 0}, s.choices());
        assertEquals(4.0, s.noise());
    }
}
