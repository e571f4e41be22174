package dev.pare.passes;

import dev.pare.spi.DiagnosticCode;
import dev.pare.spi.DiagnosticInfo;
import dev.pare.spi.Severity;

/**
 * Every diagnostic code the built-in passes emit. A constant is named by its code, so adding a
 * code is one line here; {@link PassesCatalog} publishes them to {@code pare explain}.
 */
public enum PassesCode implements DiagnosticCode.Described {
    // weight compression: quantize_weights, palettize, prune (compression/WeightCompressionPass.java)
    CW001(Severity.NOTE, "a weight was left as it is: it has no more than weight_threshold elements", """
            Small weights (biases, norms, tiny kernels) save almost nothing when compressed and lose
            accuracy easily, so the weight-compression passes skip any weight whose element count is
            not above the pass's weight_threshold option. Lower the threshold to compress it anyway:
              quantize_weights{weight_threshold=0}"""),
    CW002(Severity.NOTE, "a weight was left as it is: the options cannot be applied to it", """
            The pass's options do not fit this weight (e.g. a block size that does not divide the
            channel count, or more palette entries than distinct values) and the pass is set to skip
            such weights rather than fail. The note says why; change the options for that weight with
            a selector, e.g.  palettize{nbits=4} on op_name("head*")"""),
    CW003(Severity.NOTE, "a weight was left as it is: it is already compressed in a way this pass does not build on", """
            The weight is produced by constexpr ops (a lookup table, affine dequantization or a sparse
            mask) that this pass cannot combine with its own. Joint compression is supported for
            pruned weights (palettize or quantize after prune); otherwise run decompress_weights
            first if you want the weight recompressed."""),
    CW004(Severity.NOTE, "a weight was left as it is: the constant is also used other than as a weight", """
            The constant feeds an op as something other than a weight (a shape, an activation input,
            a graph output). Compressing it would change those uses too, so the pass keeps it dense."""),
    CW005(Severity.NOTE, "a compressed weight was decompressed before it was compressed again", """
            The weight was stored compressed by constexpr ops (e.g. int8 affine dequantization) and
            the pass rebuilds it from the decompressed values with its own scheme. The note names
            the old scheme; accuracy is that of the old compression followed by the new one."""),
    CW006(Severity.NOTE, "a compressed weight was kept: recompressing it would make it larger", """
            Replacing the weight's constexpr chain with this pass's compression would store it in more
            bytes than it takes now (e.g. 4-bit grouped lookup tables turned into unique mode), so the
            existing chain stays."""),
    CW007(Severity.WARNING, "a weight-compression step compressed no weight", """
            quantize_weights, palettize or prune looked at weights but skipped all of them, so the step
            changed nothing. The warning counts the reasons by their note codes (CW001 too small, CW002
            options do not fit, CW003 already compressed, CW004 not only a weight, CW006 would grow);
            run with --verbose to see each note. Common fix: lower weight_threshold, or check that
            the step's on/except selectors reach the layers you meant."""),
    CW010(Severity.ERROR, "a shared weight gets different compression options from two of its consumers", """
            One constant is read as a weight by two ops, and the selectors give those ops different
            options (e.g. nbits=4 for one and nbits=8 for the other). A weight can be stored only one
            way, so the pass fails naming both consumers and leaves the model unchanged.
            Fix: give both consumers the same options, e.g. widen the selector
              palettize{nbits=4} on op_name("decoder*", "lm_head")
            or exclude one of them from the step with except."""),
    CW011(Severity.ERROR, "a weight-compression pass was interrupted", """
            The compile was cancelled (Ctrl-C or a deadline) while weights were being compressed in
            parallel. Nothing was written; run the compile again."""),
    CW012(Severity.ERROR, "the compression options cannot be applied to a weight", """
            Before any weight is changed, the pass checks every selected weight against its options;
            one that does not fit (a block size that does not divide its channels, a sparsity that
            would prune more than half the channels, more palette entries than the weight has values)
            fails the pass naming the weight and its node. Change the options for that weight with a
            selector, exclude it with except, or set the pass's option that skips such weights."""),
    // data-aware weight compression: layer statistics and bias correction (compression/stats/)
    CW008(Severity.NOTE, "a weight is compressed round-to-nearest: it cannot be treated data-aware", """
            A data-aware option (bias_correction, or an algorithm that uses layer statistics) needs
            the weight's layer: a Conv, ConvTranspose, Gemm or MatMul by a constant (MIL conv,
            conv_transpose, linear, matmul) whose input the calibration run reaches. The note names
            the weight and why (its consumer is another op, it sits in a subgraph, or it is shared by
            layers of different shapes); that weight is compressed as without calibration data."""),
    CW009(Severity.NOTE, "bias correction: how many layer biases were corrected", """
            With bias_correction=own|total|auto the pass moves each compressed layer's output mean
            back to where the float layer's was by adding a per-channel correction to its bias (Conv
            B, Gemm C, the constant of an Add after MatMul, MIL bias), adding a bias where there was
            none. For auto the note also says which correction it chose and the top-1 agreement with
            the float model on the calibration set that decided it."""),
    CW017(Severity.NOTE, "data-aware compression: how far a compressed weight moved its layer's output", """
            For each weight prune{algorithm=sparsegpt} compressed, the relative output error of its
            layer on the calibration inputs, E||(W - W')x||^2 / E||Wx||^2 from the layer input's second
            moment, next to that of magnitude pruning with the same pattern. The smaller one is
            written: should SparseGPT's update lose on a weight, that weight keeps the magnitude
            result and the note says so. Shown with --verbose."""),
    CW013(Severity.ERROR, "a data-aware compression option needs calibration data and none was given", """
            Options such as bias_correction=own or calibration=sequential use layer statistics taken by
            running the model on sample inputs. Pass them with
              pare compile model.onnx -o out.onnx --pipeline 'palettize{nbits=2, bias_correction=own}' --calibration-data calib/
            (see the README's sample data formats; --calibration-spec describes raw data)."""),
    CW014(Severity.ERROR, "the model could not be run on the calibration data to take layer statistics", """
            The compression pass runs the model (ONNX Runtime, or the MIL interpreter for Core ML) on
            each calibration sample and reads the input and output of every layer it compresses. The
            runtime refused the graph or a sample; the message says what it reported."""),
    CW015(Severity.ERROR, "calibration data for layer statistics is unreadable, empty or holds NaN or infinity", """
            A calibration sample could not be read, the data has no samples, or a sample (or a layer
            input computed from it) holds NaN or infinity. Fix the data, or pass
            --skip-nonfinite-samples to leave such samples out."""),
    CW016(Severity.WARNING, "calibration samples holding NaN or infinity were left out of the layer statistics", """
            Under --skip-nonfinite-samples, samples whose inputs (or a layer input computed from them)
            hold NaN or infinity are not used for layer statistics; the warning counts them."""),
    // activation_quantize (quantization/ActivationQuantize.java)
    AQ001(Severity.ERROR, "activation_quantize needs calibration data and none was given", """
            Activation ranges come from running the model on sample inputs. Pass them with
              pare compile model.onnx -o out.onnx --pipeline W8A8 --calibration-data calib/
            (see the README's sample data formats; --calibration-spec describes raw data)."""),
    AQ002(Severity.ERROR, "activation_quantize has no model executor to run the model", """
            Calibration runs the model in ONNX Runtime. The pass was run without an executor bound,
            which happens when it is used outside the compiler (a custom driver or test harness);
            bind a ModelExecutor service in the pass context."""),
    AQ003(Severity.ERROR, "one tensor is read by two selected ops with different calibration options", """
            Each quantized tensor gets one scale and zero point, so all selected consumers of a tensor
            must agree on dtype, symmetric, method and percentile. The message names both nodes; give
            them the same options or narrow one step with on/except."""),
    AQ004(Severity.ERROR, "the model could not be run on the calibration data", """
            ONNX Runtime refused a sample (wrong shape or type for an input, an unsupported op) or the
            run was interrupted. The message carries the runtime's error; check the sample shapes
            against the model's inputs (pare inspect) or --calibration-spec."""),
    AQ005(Severity.ERROR, "calibration data or a calibration sample cannot be read", """
            A file of --calibration-data is missing, unreadable or not in a supported format. This is
            bad input (exit code 3); the message names the file or sample."""),
    AQ006(Severity.ERROR, "the calibration data has no samples, or a sample gave no value for a tensor", """
            The calibration source holds no sample (an empty folder, an empty .npz), or running a
            sample did not produce one of the tensors to quantize. Add samples, or check that the
            data matches this model."""),
    AQ007(Severity.ERROR, "a calibration sample holds NaN or infinity", """
            A NaN or an infinity in a sample's input, or in a tensor the model computes from it, would
            make every range meaningless. The message names the sample, the input or tensor and the
            first bad element. Fix the data, or leave such samples out with
            --skip-nonfinite-samples (one AQ105 warning counts them)."""),
    AQ008(Severity.ERROR, "every calibration sample holds NaN or infinity", """
            With --skip-nonfinite-samples all samples were left out, so there is nothing to calibrate
            on. The message counts where the bad values were; the data needs fixing."""),
    AQ009(Severity.ERROR, "a calibrated range cannot be carried by int8", """
            The observed range of a tensor is so wide that its int8 step overflows float32, or that 99 %
            or more of its non-zero values would quantize to 0 - typically one outlier (e.g. 3e38 in
            one image). Check the calibration data for outliers, or clip them with
              activation_quantize{method=percentile, percentile=99.99}"""),
    AQ100(Severity.NOTE, "calibration progress", """
            Printed every 10 % of the samples while activation_quantize calibrates; shown with
            --verbose."""),
    AQ101(Severity.NOTE, "a tensor stays float", """
            A selected op's input was not quantized (left in float); the note names the tensor and
            says why, e.g. that it is not float32."""),
    AQ102(Severity.NOTE, "activation_quantize summary: how many tensors were quantized, by method", """
            One note per run counting the quantized tensors per calibration method and those left
            float; shown with --verbose."""),
    AQ103(Severity.WARNING, "activation_quantize quantized no activation", """
            The step changed nothing. The warning says why: no selected op is in scope, the selected
            ops read only non-float32 activations (fp16 ONNX models), or every calibrated tensor
            stayed float. Check op_types and the step's on/except selectors."""),
    AQ104(Severity.WARNING, "calibrated ranges set by outliers: most of a tensor's values quantize to 0", """
            From 90 % of a tensor's non-zero values rounding to 0 on, the step names the tensors,
            their ranges and shares (at 99 % it fails with AQ009). Use method=percentile or
            method=entropy to clip the outliers, or check the calibration data."""),
    AQ105(Severity.WARNING, "calibration samples holding NaN or infinity were left out", """
            With --skip-nonfinite-samples, samples with non-finite values are skipped and counted
            here (statistic samples_skipped_nonfinite); the ranges come from the rest."""),
    AQ106(Severity.NOTE, "activation_quantize bias_correction: how many layer biases moved, and the largest drift", """
            With bias_correction=total the quantized model runs once more on the calibration samples;
            each Conv/ConvTranspose/Gemm (or MatMul + constant Add) reading a quantized activation has
            its float32 bias moved by its output's mean drift per channel (statistic biases_corrected).
            Layers without such a bias, or whose input stayed float, keep theirs."""),
    // cleanup
    CF001(Severity.WARNING, "const_folding could not fold a node", """
            A node with constant inputs could not be evaluated (its attributes or inputs are invalid
            for the op). The node is kept as it is; the message says what was wrong."""),
    TR001(Severity.ERROR, "the graph has a cycle", """
            topological_reorder could not order the nodes because some depend on each other. The
            message names a node on the cycle; the model is malformed."""),
    DW001(Severity.ERROR, "decompress_weights could not evaluate a constexpr op", """
            A weight stored compressed (a lookup table, affine dequantization, a sparse mask) has
            inconsistent operands or attributes, so its dense value cannot be computed. The message
            names the op; the model file is damaged or was written by a tool with a different layout."""),
    // convert_to_mil (mil/ConvertToMil.java)
    MIL001(Severity.ERROR, "convert_to_mil has no MIL lowering for some ONNX op types", """
            Before converting anything, convert_to_mil lists every ONNX op type in the graph it cannot
            lower, with its first three nodes, e.g. NonMaxSuppression (nms_1, nms_2). The model cannot
            become a Core ML package as it is; keep it in ONNX or replace those ops in the exporter."""),
    MIL002(Severity.ERROR, "an ONNX node has no MIL form with its attributes or operands", """
            The op type is supported, but this node's attributes or operand types are not (e.g. a
            dilated MaxPool, a dynamic shape MIL needs constant). The message names the node and the
            reason, with a hint where one exists."""),
    MIL003(Severity.ERROR, "convert_to_mil's input_shapes or input_values option is invalid", """
            The option names an input the graph does not have or gives a shape or value that does not
            fit it; the message lists the graph's inputs."""),
    MIL004(Severity.NOTE, "a bool or uint8 graph input or output becomes an int32 Core ML feature", """
            Core ML features cannot be bool or uint8: convert_to_mil makes a bool or uint8 input an
            int32 input (0 = false, 1 = true; 0 to 255) cast to bool / uint8 at the start of the
            program, and casts a bool or uint8 output to int32 at the end. The ONNX dtype is kept in the package's metadata
            (com.github.pare.originalDTypes), so pare compare feeds and compares the feature in the
            ONNX model's dtype.""");

    private final DiagnosticInfo info;

    PassesCode(Severity severity, String summary, String explanation) {
        this.info = new DiagnosticInfo(severity, summary, explanation);
    }

    @Override public DiagnosticInfo info() { return info; }
}
