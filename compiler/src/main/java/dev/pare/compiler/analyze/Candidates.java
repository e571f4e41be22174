package dev.pare.compiler.analyze;

import dev.pare.compiler.pipeline.PassStep;
import dev.pare.compiler.pipeline.PipelineCompiler;
import dev.pare.compiler.pipeline.PipelineException;
import dev.pare.compiler.pipeline.PipelinePrinter;
import dev.pare.compiler.pipeline.PipelineSpec;
import dev.pare.compiler.pipeline.Step;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The settings a weight may get: pipeline steps (a compression pass with its options), each run
 * on one weight at a time by restricting it to the weight's nodes. Steps are parsed by the
 * pipeline language, so any pass and option works, including those added later (e.g. a
 * data-aware {@code algorithm=...}); a step may have {@code where} arms but no {@code on} or
 * {@code except} (the analysis chooses the nodes).
 */
public final class Candidates {

    /**
     * Round-to-nearest candidates (the set named {@value #ROUND_TO_NEAREST_SET}): palettization at 8,
     * 6, 4, 3 and 2 bits, int8 per channel, int4 in blocks of 32, magnitude pruning to 50 % and 75 %;
     * all with {@code weight_threshold=0}, so that small weights may be compressed too (the plan
     * keeps them dense when that is better). They need no calibration data to be applied.
     */
    public static final List<String> ROUND_TO_NEAREST = List.of(
            "palettize{nbits=8, weight_threshold=0}",
            "palettize{nbits=6, weight_threshold=0}",
            "palettize{nbits=4, weight_threshold=0}",
            "palettize{nbits=3, weight_threshold=0}",
            "palettize{nbits=2, weight_threshold=0}",
            "quantize_weights{dtype=int8, granularity=per_channel, weight_threshold=0}",
            "quantize_weights{dtype=int4, granularity=per_block, block_size=32, weight_threshold=0}",
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=0}",
            "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=0}");

    /**
     * The same nine settings with the data-aware algorithms (the set named {@value #DATA_AWARE_SET}
     * and the default): GPTQ for palettization and int8/int4, SparseGPT for pruning, and every
     * compressed layer's bias corrected for the drift of the whole model's output mean. The analysis
     * measures each weight with the algorithm that the plan then applies, and a plan whose choices
     * are all palettization runs as one step, so the total bias correction sees every planned
     * weight. They need calibration data wherever they run.
     */
    public static final List<String> DATA_AWARE = List.of(
            "palettize{nbits=8, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "palettize{nbits=6, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "palettize{nbits=4, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "palettize{nbits=3, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "palettize{nbits=2, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "quantize_weights{dtype=int8, granularity=per_channel, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "quantize_weights{dtype=int4, granularity=per_block, block_size=32, weight_threshold=0, algorithm=gptq, bias_correction=total}",
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=0, algorithm=sparsegpt, bias_correction=total}",
            "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=0, algorithm=sparsegpt, bias_correction=total}");

    /** Name of {@link #ROUND_TO_NEAREST} where candidates are expected ({@code --candidates rtn}, {@code candidates=["rtn"]}). */
    public static final String ROUND_TO_NEAREST_SET = "rtn";
    /** Name of {@link #DATA_AWARE}. */
    public static final String DATA_AWARE_SET = "data_aware";

    /** The candidates of {@code pare analyze} and {@code mixed_precision} when none are given: {@link #DATA_AWARE}. */
    public static final List<String> DEFAULTS = DATA_AWARE;

    /** More would not fit the plan's choice table (one byte per choice, the dense option included). */
    public static final int MAX = 100;

    /**
     * One candidate.
     *
     * @param text the step with only its non-default options, as tables show it
     * @param step the parsed step (every option set)
     */
    public record Candidate(String text, PassStep step) {
        /** The step with every option written: what an analysis JSON stores and what is matched. */
        public String canonical() { return new PipelineSpec("candidate", List.of(step)).canonicalText().strip(); }
    }

    private Candidates() {}

    /**
     * The candidates of a pipeline text (a set name, a pipeline name, inline steps or {@code @FILE}):
     * one per top-level step. A set name ({@value #ROUND_TO_NEAREST_SET}, {@value #DATA_AWARE_SET})
     * comes before a pipeline of that name.
     */
    public static List<Candidate> parsePipeline(PipelineCompiler pipelines, String argument) throws PipelineException, CandidateException {
        Optional<List<String>> set = set(argument);
        if (set.isPresent()) return parseEach(pipelines, set.get());
        return of(pipelines, pipelines.parseArgument(argument).steps(), argument);
    }

    /** One candidate per element, each one pipeline step; a list of one set name is that set. */
    public static List<Candidate> parseEach(PipelineCompiler pipelines, List<String> steps) throws PipelineException, CandidateException {
        steps = expand(steps);
        List<Step> all = new ArrayList<>();
        for (String s : steps) {
            List<Step> parsed = pipelines.parseInline(s).steps();
            if (parsed.size() != 1) throw new CandidateException("candidate '" + s + "' must be one pipeline step, got " + parsed.size());
            all.addAll(parsed);
        }
        return of(pipelines, all, String.join(", ", steps));
    }

    /** The steps of {@code steps}: the named set's when it is one set name, else {@code steps} as they are. */
    public static List<String> expand(List<String> steps) {
        return steps.size() == 1 ? set(steps.get(0)).orElse(steps) : steps;
    }

    private static Optional<List<String>> set(String name) {
        return switch (name.strip()) {
            case ROUND_TO_NEAREST_SET -> Optional.of(ROUND_TO_NEAREST);
            case DATA_AWARE_SET -> Optional.of(DATA_AWARE);
            default -> Optional.empty();
        };
    }

    private static List<Candidate> of(PipelineCompiler pipelines, List<Step> steps, String source) throws CandidateException {
        if (steps.isEmpty()) throw new CandidateException("no candidates in '" + source + "'");
        if (steps.size() > MAX) throw new CandidateException(steps.size() + " candidates; at most " + MAX);
        List<Candidate> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Step s : steps) {
            if (!(s instanceof PassStep p)) throw new CandidateException("candidates must be pass steps, not a fixpoint: '" + source + "'");
            Record defaults = pipelines.registry().find(p.passName()).orElseThrow().provider().defaults();
            String text = PipelinePrinter.brief(p, defaults);
            if (!p.scope().isAll()) {
                throw new CandidateException("candidate '" + text + "' has on/except; a candidate is applied to one weight at a time, so it takes no scope");
            }
            Candidate c = new Candidate(text, p);
            if (!seen.add(c.canonical())) throw new CandidateException("candidate '" + text + "' is listed twice");
            out.add(c);
        }
        return List.copyOf(out);
    }

    /** A candidate list that cannot be used; the message is one line. */
    public static final class CandidateException extends Exception {
        public CandidateException(String message) { super(message); }
    }
}
