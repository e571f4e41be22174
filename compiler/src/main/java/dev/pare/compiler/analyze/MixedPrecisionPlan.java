package dev.pare.compiler.analyze;

import dev.pare.compiler.analyze.MultipleChoiceKnapsack.Option;
import dev.pare.compiler.analyze.SensitivityReport.Setting;
import dev.pare.compiler.analyze.SensitivityReport.WeightRow;
import dev.pare.compiler.inspect.Json;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One setting per weight chosen from a {@link SensitivityReport} so that the predicted output noise
 * (the weights' noise powers added, as independent errors add) is least within a byte budget.
 * Each weight may also stay as it is (its current bytes, no noise).
 *
 * @param budget     what was asked
 * @param budgetBytes the budget in bytes over the report's weights
 * @param choices    per weight (report order): the candidate index, or -1 to leave it as it is
 * @param bytes      the planned bytes of all the weights
 * @param noise      the predicted noise power
 * @param report     the measurements the plan is made from
 */
public record MixedPrecisionPlan(Budget budget, long budgetBytes, List<Integer> choices, long bytes, double noise,
                                 SensitivityReport report) {

    /** Model metadata key holding the plan as JSON (shown by {@code pare inspect}). */
    public static final String METADATA_KEY = "com.github.pare.mixedPrecision";

    public MixedPrecisionPlan { choices = List.copyOf(choices); }

    /** The budget is below the smallest plan; the message names the option. */
    public static final class BudgetTooSmall extends Exception {
        public BudgetTooSmall(String message) { super(message); }
    }

    /** Plans {@code report}'s weights within {@code budget}. */
    public static MixedPrecisionPlan solve(SensitivityReport report, Budget budget) throws BudgetTooSmall {
        long elements = report.elements();
        long budgetBytes = budget.resolve(elements, report.storedBytes());
        List<List<Option>> groups = new ArrayList<>();
        List<List<Integer>> indexOf = new ArrayList<>();
        for (WeightRow w : report.weights()) {
            List<Option> options = new ArrayList<>();
            List<Integer> index = new ArrayList<>();
            options.add(new Option(w.weight().storedBytes(), 0));
            index.add(-1);
            for (int c = 0; c < w.settings().size(); c++) {
                Setting s = w.settings().get(c);
                if (!s.applied() || !Double.isFinite(s.noise())) continue;
                options.add(new Option(s.bytes(), s.noise()));
                index.add(c);
            }
            groups.add(options);
            indexOf.add(index);
        }
        Optional<MultipleChoiceKnapsack.Solution> solution = MultipleChoiceKnapsack.solve(groups, budgetBytes);
        if (solution.isEmpty()) {
            long min = MultipleChoiceKnapsack.minimumBytes(groups);
            throw new BudgetTooSmall(budget.option() + " (" + budgetBytes + " bytes for " + String.format(java.util.Locale.ROOT, "%,d", elements)
                    + " weights) is below the smallest plan the candidates allow: " + min + " bytes, "
                    + SensitivityText.fixed(CompressibleWeights.bitsPerWeight(min, elements), 3) + " bits per weight");
        }
        MultipleChoiceKnapsack.Solution s = solution.get();
        List<Integer> choices = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) choices.add(indexOf.get(g).get(s.choices()[g]));
        return new MixedPrecisionPlan(budget, budgetBytes, choices, s.bytes(), s.noise(), report);
    }

    /** Average bits per weight of the plan. */
    public double bitsPerWeight() { return CompressibleWeights.bitsPerWeight(bytes, report.elements()); }

    /** The predicted SNR in dB of the outputs. */
    public double predictedSnrDb() { return report.snrDb(noise); }

    /** The weights planned for candidate {@code c}, in report order. */
    public List<WeightRow> weightsFor(int c) {
        List<WeightRow> out = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) if (choices.get(i) == c) out.add(report.weights().get(i));
        return out;
    }

    /** The plan as the JSON stored in {@link #METADATA_KEY}: totals and, per weight, the step and its bytes. */
    public String toJson() {
        MathContext digits = new MathContext(6);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("target", budget.option());
        root.put("budget_bytes", budgetBytes);
        root.put("bytes", bytes);
        root.put("elements", report.elements());
        root.put("sizes", report.sizes().key());
        root.put("bits_per_weight", new BigDecimal(bitsPerWeight(), digits));
        double snr = predictedSnrDb();
        root.put("predicted_snr_db", Double.isFinite(snr) ? new BigDecimal(snr, digits) : (snr > 0 ? "inf" : "-inf"));
        List<Object> weights = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            WeightRow w = report.weights().get(i);
            int c = choices.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", w.weight().name());
            m.put("elements", w.weight().elements());
            m.put("step", c < 0 ? null : report.candidates().get(c).text());
            long b = c < 0 ? w.weight().storedBytes() : w.settings().get(c).bytes();
            m.put("bytes", b);
            m.put("bits_per_weight", new BigDecimal(CompressibleWeights.bitsPerWeight(b, w.weight().elements()), digits));
            weights.add(m);
        }
        root.put("weights", weights);
        return Json.write(root);
    }
}
