package dev.pare.compiler;

import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.DiagnosticInfo;
import dev.pare.spi.Severity;

/**
 * The codes the compiler module emits outside the pipeline language (whose codes are
 * {@link dev.pare.compiler.pipeline.PipelineErrorCode}): the pass manager's (M) and the pass
 * registry's (R). A constant is named by its code, so adding one is one line here.
 */
public enum CompilerCode implements DiagnosticCode.Described {
    M001(Severity.ERROR, "a pass threw an unexpected exception (or a PassFailure without a code)", """
            The pass failed in a way it did not report itself: an exception, a stack overflow, a
            linkage error. The message names the pass, the pipeline step and the exception. It is a
            bug in the pass; --reproducer DIR writes the input model and pipeline to report it."""),
    M002(Severity.ERROR, "the graph does not verify after a pass", """
            After each pass the verifier checks the graph (the V codes); a problem there means the
            pass left the graph broken. The message names the pass and the first problem; it is a bug
            in that pass. --print-ir-after PASS shows what it produced."""),
    M003(Severity.ERROR, "a pass reported an error diagnostic", """
            The pass reported an error through its diagnostics instead of failing; the run stops after
            the pass with that diagnostic's code and message in brackets."""),
    M004(Severity.ERROR, "--disable-pass names a required pass", """
            Compression passes (quantize_weights, palettize, prune, ...) are required: skipping them
            would silently write an uncompressed model. Remove the pass from the pipeline instead, or
            disable only optional (cleanup) passes; pare passes shows which are required."""),
    M005(Severity.ERROR, "a pass-manager option names an unknown pass", """
            --disable-pass, --print-ir-before and --print-ir-after take pass names; one is not
            registered. The message suggests the nearest name; pare passes lists them all."""),
    M006(Severity.WARNING, "a fixpoint did not converge within max_iterations", """
            fixpoint { ... } repeats its body until nothing changes, at most max_iterations times. The
            body still changed the graph in its last round; the result is valid but may not be fully
            simplified. Raise max_iterations, or look for two passes undoing each other."""),
    M007(Severity.WARNING, "the reproducer could not be written", """
            --reproducer DIR could not write the input model or pipeline there (permissions, disk
            full). The compile itself is not affected."""),
    M008(Severity.ERROR, "the input graph does not verify", """
            The model as read is structurally invalid (the V code in the message says how), before
            any pass ran. Fix the exporter, or try topological_reorder if nodes are out of order."""),
    M015(Severity.WARNING, "a step's on, except or where pattern matches no node", """
            A selector that matches nothing is usually a typo in an op name or type. The warning names
            the step, its location and the dead patterns, and says "so the step applies to none" when
            every on pattern is dead. pare inspect MODEL lists the node names and op types."""),
    M016(Severity.ERROR, "a pipeline step requires a property that does not hold at that point", """
            Passes declare what they need (requires), make true (establishes) and break (invalidates),
            e.g. convert_to_mil establishes dialect_mil and invalidates dialect_onnx. Before any pass
            runs, the pass manager walks the pipeline and refuses a step whose requirement an earlier
            step invalidated, naming the step's location, the pass and the step that invalidated it.
            Move the step before that one: for an ONNX-only pass, before convert_to_mil."""),
    M017(Severity.ERROR, "a pass left the graph without a property it declares it establishes", """
            After a pass that declares it establishes onnx or mil, the pass manager checks the graph:
            ONNX ops left after a pass that establishes mil (or MIL ops after onnx) mean the pass
            broke its declared contract, and later steps would rely on something false. It is a bug
            in the pass (or its PassInfo)."""),
    R001(Severity.ERROR, "two pass providers use the same pass name", """
            Pass names are global. The message names both provider classes (and jars); rename the
            plugin's pass, preferably with a namespace, e.g. mycorp::fuse_bn."""),
    R002(Severity.ERROR, "a pass provider class cannot be loaded or built", """
            A class listed in META-INF/services/dev.pare.spi.PassProvider is missing, does not implement
            PassProvider, or its constructor (or Guice injection) failed. Check the plugin jar and its
            dependencies on --plugin-path."""),
    R003(Severity.ERROR, "a pass provider's info or options record is invalid", """
            The provider's PassInfo (name, summary) or its options record (option types and defaults)
            does not meet the rules in the README's plugin section; the message says which."""),
    R004(Severity.ERROR, "the plugin path does not exist or cannot be read", """
            --plugin-path names a file or folder that is missing or unreadable."""),
    R005(Severity.ERROR, "two different built-in pipeline files have the same name", """
            Two jars ship META-INF/pare/pipelines/NAME.pipeline with different content; the message
            names both. Rename one of them."""),
    R006(Severity.ERROR, "a file named *.jar on the plugin path is not a valid jar", """
            The file could not be opened as a zip file (truncated download, wrong file). Replace or
            remove it."""),
    R007(Severity.ERROR, "a pass provider's create() returned no pass", """
            The provider returned null instead of a Pass. The message names the provider class and its
            jar; it is a bug in the plugin."""),
    R008(Severity.ERROR, "two diagnostic catalogues declare one code, or a catalogue cannot be loaded", """
            Every code is declared once (pare explain CODE must have one answer). A plugin's
            DiagnosticCatalog that declares a code another catalogue (built in or another plugin's)
            already has is refused when plugins are loaded, naming both owners; give the plugin's
            codes letters no built-in catalogue uses (pare explain --list shows them)."""),
    MP001(Severity.ERROR, "mixed_precision: the size target is below the smallest plan the candidates allow", """
            mixed_precision chooses one candidate per weight (or leaves it as it is) so that the
            compressible weights fit the target. Even the smallest candidate of every weight is
            larger than the target; the message gives the smallest reachable size. Raise the target,
            or add smaller candidates (e.g. palettize{nbits=2, weight_threshold=0}, pruning)."""),
    MP002(Severity.ERROR, "mixed_precision: the analysis file does not fit the model", """
            analysis="FILE" must be pare analyze --json output of the same model: the same
            compressible weights with the same element counts, and sizes counted as the output
            format stores them (its "sizes", pare analyze --sizes). The message names the first
            weight that differs, or the sizes; run pare analyze again on this model. Candidates given
            next to analysis="FILE" must be the ones the analysis measured (the plan applies those);
            leave candidates out, or analyze with them."""),
    MP003(Severity.ERROR, "mixed_precision: no calibration data to measure sensitivity", """
            Measuring how much each weight's compression changes the outputs runs the model on
            samples. Pass --calibration-data (and --calibration-spec for raw data), or give
            analysis="FILE" written by pare analyze --json."""),
    MP004(Severity.ERROR, "mixed_precision: the analysis could not run", """
            A candidate step does not parse or has on/except, the model cannot be run (ONNX Runtime
            or the MIL interpreter), a node name cannot select its weight alone, or the pass was run
            outside the pass manager. The message says which."""),
    MP005(Severity.WARNING, "mixed_precision: a planned weight was left as it is", """
            The plan chose a candidate for a weight that the candidate's pass then did not compress
            (its note says why); the weight keeps its size, so the model is larger than planned."""),
    MP006(Severity.WARNING, "mixed_precision: the applied plan could not be measured", """
            With calibration data, mixed_precision runs the model with the plan applied on the
            samples and notes the measured SNR next to the predicted one. Running it failed (the
            message says why); the plan is applied all the same."""),
    MP100(Severity.NOTE, "mixed_precision: the plan", """
            One note with the totals (bits per weight, bytes, predicted SNR of the outputs, the
            predicted noise being the sum of each weight's measured noise), and one per weight with
            the chosen candidate; with calibration data, one more with the SNR measured on the
            samples with the plan applied. The plan is also stored in the model's metadata
            (com.github.pare.mixedPrecision) and shown by pare inspect.""");

    private final DiagnosticInfo info;

    CompilerCode(Severity severity, String summary, String explanation) {
        this.info = new DiagnosticInfo(severity, summary, explanation);
    }

    @Override public DiagnosticInfo info() { return info; }
}
