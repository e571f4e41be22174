package dev.pare.compiler.onnx;

import dev.pare.compiler.io.ModelFiles;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.ir.DType;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.spi.ModelFormat;
import dev.pare.spi.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ONNX model format: a lossless reader and writer for the {@code onnx} dialect.
 *
 * <p>Reading then writing an unchanged model reproduces the input {@code ModelProto} (and in
 * practice its bytes). What the IR does not model is kept on it: see {@link OnnxKeys}. Model
 * fields Pare does not model ({@code training_info}, {@code functions}, unknown fields such as
 * {@code configuration}) become {@link Model.OpaqueField}s whose {@code encoded} bytes are a
 * {@code ModelProto} holding only that one field.
 *
 * <p>The writer writes ONNX ops only: {@code pare.*} ops are lowered before it by the
 * {@code lower_to_onnx} pass ({@link #loweringPass}), which the compiler appends for ONNX outputs;
 * a {@code pare.*} node left in the model is refused.
 */
public final class OnnxFormat implements ModelFormat {

    /**
     * Tensors of at least this many bytes that a pass made go to external data ({@code <out>.data}):
     * 1 MiB keeps small models in one file, and a model that would pass the 2 GiB protobuf limit is
     * written with external data whatever the threshold.
     */
    public static final long DEFAULT_EXTERNAL_DATA_THRESHOLD = 1 << 20;

    @Override public String name() { return "onnx"; }

    @Override public List<String> extensions() { return List.of(".onnx"); }

    @Override public Model read(Path file) throws ModelFormatException {
        return OnnxReader.read(file);
    }

    /** Writes {@code model}, which must hold no {@code pare.*} op (see {@link #loweringPass}). */
    @Override public void write(Model model, Path target) throws ModelFormatException {
        refuseUnlowered(model, target);
        OnnxWriter.write(model, target);
    }

    /** The built-in pass that turns the pare dialect into ONNX ops. */
    @Override public Optional<String> loweringPass() { return Optional.of(LOWERING_PASS); }

    /** Name of the ONNX lowering pass ({@code dev.pare.compiler.onnx.lower.LowerToOnnx}). */
    public static final String LOWERING_PASS = "lower_to_onnx";

    private static void refuseUnlowered(Model model, Path target) throws ModelFormatException {
        for (Node n : model.graph().allNodes()) {
            if (n.dialect().equals("pare")) {
                throw new ModelFormatException(target, "cannot write ONNX: node '" + n.name() + "' (" + n.op()
                        + ") is not an ONNX op; the " + LOWERING_PASS + " pass lowers the pare dialect");
            }
        }
    }

    /**
     * The model file and its external data file, {@code <name>.data} next to it: written when a
     * tensor is external, removed (left by an earlier output) when none is, so always listed.
     */
    @Override public List<Path> outputFiles(Path target) {
        return List.of(target, OnnxWriter.dataFile(target));
    }

    /** The model file and every external data file its tensors were read from. */
    @Override public List<Path> inputFiles(Path file, Model model) {
        return ModelFiles.withWeightFiles(file, model, d -> d.annotation(OnnxKeys.EXTERNAL_LOCATION));
    }

    /**
     * Writes {@code model} (already lowered, as for {@link #write}) with extra graph outputs: each named value,
     * typed with only its element type (ONNX Runtime needs that, and infers the shape). Used to run a
     * model while capturing intermediate tensors; names already among the outputs are not repeated.
     */
    public static void writeWithExtraOutputs(Model model, Path target, Map<String, DType> extraOutputs)
            throws ModelFormatException {
        refuseUnlowered(model, target);
        Model onnx = model;
        OnnxWriter.write(onnx, target, proto -> {
            GraphProto.Builder g = proto.getGraph().toBuilder();
            Set<String> present = new HashSet<>();
            for (ValueInfoProto o : g.getOutputList()) present.add(o.getName());
            for (Map.Entry<String, DType> e : extraOutputs.entrySet()) {
                if (!present.add(e.getKey())) continue;
                TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(e.getValue().onnxCode());
                g.addOutput(ValueInfoProto.newBuilder().setName(e.getKey()).setType(TypeProto.newBuilder().setTensorType(t)));
            }
            return proto.toBuilder().setGraph(g).build();
        });
    }

    /**
     * The model (already lowered) as an in-memory {@code ModelProto} with every tensor inline (external tensors are
     * copied into raw_data), e.g. to hand to ONNX Runtime without a file.
     */
    public static ModelProto toProto(Model model) {
        return new OnnxExporter(TensorCodec.INLINE).export(model);
    }

    /**
     * Builds the IR from a parsed {@code ModelProto}; external data locations resolve in
     * {@code baseDir}. {@code source} names the model in error messages.
     */
    public static Model fromProto(ModelProto proto, Path baseDir, Path source) throws ModelFormatException {
        ExternalDataResolver external = new ExternalDataResolver(baseDir.toAbsolutePath());
        TensorCodec.Sources sources = new TensorCodec.Sources() {
            @Override public ByteBuffer rawRegion(int index) {
                throw new OnnxInputError("raw_data holds a Pare placeholder; the proto was not made by toProto");
            }

            @Override public ExternalDataResolver external() { return external; }
        };
        try {
            return new OnnxImporter(source.getFileName().toString(), sources).importModel(proto);
        } catch (OnnxInputError e) {
            throw new ModelFormatException(source, e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFormatException(source, "invalid model: " + OnnxReader.oneLine(e));
        }
    }
}
