package dev.pare.compiler.coreml;

import dev.pare.ir.WeightHistory;
import com.google.protobuf.CodedOutputStream;
import dev.pare.compiler.io.OutputPermissions;
import dev.pare.compiler.io.IoMessages;
import dev.pare.compiler.io.TempFiles;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.FeatureTypes;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes a mil-dialect model (ir/MIL_DIALECT.md) as a Core ML ML Program: a {@code .mlpackage}
 * folder (Manifest.json, Data/com.apple.CoreML/model.mlmodel, weights/weight.bin), or a single
 * {@code .mlmodel} file when no value needs weight.bin.
 *
 * <p>The target ({@link CoreMlTarget#of}) picks the specification version and the opset; the
 * {@code lower_to_coreml} pass has already turned {@code pare.*} compressed weights into the
 * target's constexpr ops (a model that still holds pare ops is refused). The whole program is planned before anything is
 * written, so a weight the target cannot express fails with no output. Files are written into a
 * temporary sibling and moved into place; weights are streamed from wherever they live. The
 * output depends only on the model: manifest identifiers are derived from the content.
 */
public final class CoreMlExporter {

    /** How MIL names weight.bin (relative to the folder holding model.mlmodel). */
    public static final String WEIGHT_FILE_NAME = MlPackage.MODEL_PATH_PREFIX + "weights/weight.bin";
    public static final String MODEL_PATH = "Data/com.apple.CoreML/model.mlmodel";
    public static final String WEIGHTS_PATH = "Data/com.apple.CoreML/weights/weight.bin";

    /** Model properties that become ModelDescription.metadata fields (MIL_DIALECT.md). */
    public static final String SHORT_DESCRIPTION = CoreMlKeys.SHORT_DESCRIPTION;
    public static final String VERSION_STRING = CoreMlKeys.VERSION_STRING;
    public static final String AUTHOR = CoreMlKeys.AUTHOR;
    public static final String LICENSE = CoreMlKeys.LICENSE;
    /** Model properties the driver sets; written to userDefined as {@code com.github.pare.*}. */
    public static final String PARE_VERSION_PROPERTY = "pare.version";
    public static final String PARE_PIPELINE_PROPERTY = "pare.pipeline";
    public static final String PARE_VERSION_KEY = "com.github.pare.version";
    public static final String PARE_PIPELINE_KEY = "com.github.pare.pipeline";

    // What the Core ML reader keeps for a writer (ir/MIL_DIALECT.md; CoreMlKeys on the reader side).
    static final String IS_UPDATABLE = CoreMlKeys.IS_UPDATABLE;
    static final String FUNCTION_ATTRIBUTES = CoreMlKeys.FUNCTION_ATTRIBUTES;
    static final String BLOCK_ATTRIBUTES = CoreMlKeys.BLOCK_ATTRIBUTES;
    static final int READ_DESCRIPTION_FIELD = 2;
    static final int READ_PROGRAM_FIELD = 502;

    private CoreMlExporter() {}

    /**
     * Writes {@code model} to {@code target}, a {@code .mlpackage} folder or a {@code .mlmodel}
     * file; an existing target is replaced. On failure nothing is left behind.
     */
    public static void write(Model model, Path target) throws ModelFormatException {
        String name = target.getFileName() == null ? "" : target.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean pkg = name.endsWith(".mlpackage");
        if (!pkg && !name.endsWith(".mlmodel")) {
            throw new ModelFormatException(target, "a Core ML output must end with .mlpackage or .mlmodel");
        }
        Planned planned = plan(model, target);
        if (!pkg && !planned.blobs().isEmpty()) {
            throw new ModelFormatException(target, planned.blobs().count() + " weights are stored in weight.bin, which a single "
                    + ".mlmodel file cannot hold; write a .mlpackage instead");
        }
        try {
            if (pkg) writePackage(planned, target);
            else writeFile(planned.modelBytes(), target);
        } catch (IOException | UncheckedIOException e) {
            IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
            throw new ModelFormatException(target, "cannot write the Core ML model: " + IoMessages.describe(io), e);
        }
    }

    /** The serialized spec and the blobs it refers to. */
    record Planned(CoreMlModelProto.Model spec, byte[] modelBytes, BlobPlan blobs) {}

    /** Builds the spec and plans weight.bin without writing anything. */
    static Planned plan(Model model, Path target) throws ModelFormatException {
        CoreMlTarget t;
        try {
            t = CoreMlTarget.of(model);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(target, e.getMessage());
        }
        CoreMlModelProto.Model readDescription = opaque(model, READ_DESCRIPTION_FIELD, target);
        CoreMlModelProto.ModelDescription read = readDescription == null ? null : readDescription.getDescription();
        List<Graph> graphs = new ArrayList<>();
        graphs.add(model.graph());
        graphs.addAll(model.functions());
        boolean multi = graphs.size() > 1;
        List<String> names = functionNames(model, read, target);
        if (multi && !t.atLeast(CoreMlTarget.IOS18)) {
            throw new ModelFormatException(target, "the model has " + graphs.size() + " functions " + names
                    + "; Core ML multi-function models need --target ios18 or later (specification version 9), not " + t.flag());
        }
        // One weight.bin for all functions: a weight several functions use is stored once.
        BlobPlan blobs = new BlobPlan();
        Map<String, MilProgramPlanner> planners = new LinkedHashMap<>();
        MilProto.Program.Builder program = MilProto.Program.newBuilder().setVersion(1);
        CoreMlModelProto.Model readProgram = opaque(model, READ_PROGRAM_FIELD, target);
        if (readProgram != null && readProgram.hasMlProgram()) program.putAllAttributes(readProgram.getMlProgram().getAttributesMap());
        for (int i = 0; i < graphs.size(); i++) {
            Graph g = graphs.get(i);
            String name = names.get(i);
            MilProgramPlanner planner = new MilProgramPlanner(g, CoreMlTarget.forFunction(model, g, t), blobs);
            MilProto.Function fn;
            try {
                fn = planner.plan();
            } catch (MilProgramPlanner.WriteError e) {
                throw new ModelFormatException(target, (multi ? "function '" + name + "': " : "") + e.getMessage());
            }
            program.putFunctions(name, withReadAttributes(fn, g, planner.target(), target));
            planners.put(name, planner);
        }
        CoreMlModelProto.ModelDescription description;
        try {
            description = description(model, planners, read);
        } catch (MilProgramPlanner.WriteError e) {
            throw new ModelFormatException(target, e.getMessage());
        }
        CoreMlModelProto.Model.Builder spec = CoreMlModelProto.Model.newBuilder()
                .setSpecificationVersion(t.specificationVersion())
                .setDescription(description)
                .setMlProgram(program);
        if ("true".equals(model.properties().get(IS_UPDATABLE))) spec.setIsUpdatable(true);
        CoreMlModelProto.Model built = spec.build();
        return new Planned(built, serialize(built), blobs);
    }

    /**
     * The MIL function name of each graph, main first. Other functions are named like their
     * graphs (the reader names them after their functions). The main function is written under
     * its graph's name when the model has several functions or the read description names it as
     * the default function; otherwise it is {@code main}, the name single-function Core ML models use.
     */
    private static List<String> functionNames(Model model, CoreMlModelProto.ModelDescription read, Path target)
            throws ModelFormatException {
        String mainName = model.graph().name();
        boolean keep = !model.functions().isEmpty() || (read != null && mainName.equals(read.getDefaultFunctionName()));
        List<String> names = new ArrayList<>();
        names.add(keep ? mainName : "main");
        for (Graph f : model.functions()) names.add(f.name());
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            if (!MilNames.isValid(n)) {
                throw new ModelFormatException(target, "function name '" + n + "' is not a MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)");
            }
            if (!seen.add(n)) throw new ModelFormatException(target, "two functions are named '" + n + "'; MIL function names must differ");
        }
        return names;
    }

    /**
     * What the Core ML reader kept of a read package (ir/MIL_DIALECT.md, "Model"): opaque Model
     * fields (2 = the description, 502 = the program's attributes) and graph metadata with the
     * function's and block's attributes (base64 of a MIL Function / Block). Null when absent.
     */
    private static CoreMlModelProto.Model opaque(Model model, int field, Path target) throws ModelFormatException {
        for (Model.OpaqueField f : model.opaqueFields()) {
            if (f.fieldNumber() != field) continue;
            try {
                return CoreMlModelProto.Model.parseFrom(f.encoded());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new ModelFormatException(target, "the model's kept Core ML field " + field + " does not decode: " + e.getMessage());
            }
        }
        return null;
    }

    /** The function with the attributes of the function and top-level block the model was read with. */
    private static MilProto.Function withReadAttributes(MilProto.Function main, Graph g, CoreMlTarget t, Path target)
            throws ModelFormatException {
        String fn = g.metadata().get(FUNCTION_ATTRIBUTES);
        String block = g.metadata().get(BLOCK_ATTRIBUTES);
        if (fn == null && block == null) return main;
        try {
            MilProto.Function.Builder b = main.toBuilder();
            if (fn != null) b.putAllAttributes(MilProto.Function.parseFrom(java.util.Base64.getDecoder().decode(fn)).getAttributesMap());
            if (block != null) {
                MilProto.Block.Builder blk = main.getBlockSpecializationsOrThrow(t.opset()).toBuilder();
                blk.putAllAttributes(MilProto.Block.parseFrom(java.util.Base64.getDecoder().decode(block)).getAttributesMap());
                b.putBlockSpecializations(t.opset(), blk.build());
            }
            return b.build();
        } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
            throw new ModelFormatException(target, "graph metadata " + (fn != null ? FUNCTION_ATTRIBUTES : BLOCK_ATTRIBUTES)
                    + " does not decode: " + e.getMessage());
        }
    }

    /** Protobuf bytes with map entries in key order, so equal models give equal files. */
    static byte[] serialize(CoreMlModelProto.Model spec) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(spec.getSerializedSize());
            CodedOutputStream cos = CodedOutputStream.newInstance(out);
            cos.useDeterministicSerialization();
            spec.writeTo(cos);
            cos.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- description ---------------------------------------------------------------------------

    /**
     * Inputs, outputs and metadata. A feature of the description the model was read with is kept
     * (image types, shape flexibility, its doc string) when the graph's value of that name still
     * has the type it described; otherwise it is generated from the IR type. A multi-function
     * model gets one FunctionDescription per function (in the read order) and the main function
     * as {@code defaultFunctionName}; its top-level inputs and outputs are written only when the
     * read description had them.
     */
    private static CoreMlModelProto.ModelDescription description(Model model, Map<String, MilProgramPlanner> planners,
                                                                 CoreMlModelProto.ModelDescription read)
            throws MilProgramPlanner.WriteError {
        CoreMlModelProto.ModelDescription.Builder d = CoreMlModelProto.ModelDescription.newBuilder();
        String mainName = planners.keySet().iterator().next();
        MilProgramPlanner planner = planners.get(mainName);
        boolean multi = planners.size() > 1;
        for (Map.Entry<String, MilProgramPlanner> p : planners.entrySet()) {
            try {
                EnumeratedShapeRules.check(p.getValue().graph().inputs(), p.getValue().target());
            } catch (IllegalArgumentException e) {
                throw new MilProgramPlanner.WriteError((multi ? "function '" + p.getKey() + "': " : "") + e.getMessage());
            }
        }
        if (!multi || (read != null && (read.getInputCount() > 0 || read.getOutputCount() > 0))) {
            for (Value in : model.graph().inputs()) {
                d.addInput(keepOrMake(planner.nameOf(in), in, true, read == null ? List.of() : read.getInputList(), planner.target()));
            }
            for (Value out : model.graph().outputs()) {
                d.addOutput(keepOrMake(planner.nameOf(out), out, false, read == null ? List.of() : read.getOutputList(), planner.target()));
            }
            if (read != null) {
                List<String> outs = d.getOutputList().stream().map(CoreMlModelProto.FeatureDescription::getName).toList();
                if (outs.contains(read.getPredictedFeatureName())) d.setPredictedFeatureName(read.getPredictedFeatureName());
                if (outs.contains(read.getPredictedProbabilitiesName())) d.setPredictedProbabilitiesName(read.getPredictedProbabilitiesName());
            }
        }
        if (multi || (read != null && read.getFunctionsCount() > 0)) {
            List<String> order = new ArrayList<>();
            if (read != null) {
                for (CoreMlModelProto.FunctionDescription f : read.getFunctionsList()) {
                    if (planners.containsKey(f.getName()) && !order.contains(f.getName())) order.add(f.getName());
                }
            }
            for (String name : planners.keySet()) if (!order.contains(name)) order.add(name);
            for (String name : order) d.addFunctions(functionDescription(name, planners.get(name), read));
        }
        if (multi || (read != null && !read.getDefaultFunctionName().isEmpty())) d.setDefaultFunctionName(mainName);
        CoreMlModelProto.Metadata.Builder meta = CoreMlModelProto.Metadata.newBuilder();
        Map<String, String> props = model.properties();
        if (props.containsKey(SHORT_DESCRIPTION)) meta.setShortDescription(props.get(SHORT_DESCRIPTION));
        if (props.containsKey(VERSION_STRING)) meta.setVersionString(props.get(VERSION_STRING));
        if (props.containsKey(AUTHOR)) meta.setAuthor(props.get(AUTHOR));
        if (props.containsKey(LICENSE)) meta.setLicense(props.get(LICENSE));
        meta.putAllUserDefined(model.metadataProps());
        String history = decompressedFrom(model.graph(), planner);
        if (!history.isEmpty()) meta.putUserDefined(CoreMlKeys.DECOMPRESSED_FROM, history);
        String originals = originalNames(model.graph(), planner);
        if (originals.isEmpty()) meta.removeUserDefined(CoreMlKeys.ORIGINAL_NAMES);
        else meta.putUserDefined(CoreMlKeys.ORIGINAL_NAMES, originals);
        String dtypes = originalDTypes(model.graph(), planner);
        if (dtypes.isEmpty()) meta.removeUserDefined(CoreMlKeys.ORIGINAL_DTYPES);
        else meta.putUserDefined(CoreMlKeys.ORIGINAL_DTYPES, dtypes);
        if (props.containsKey(PARE_VERSION_PROPERTY)) meta.putUserDefined(PARE_VERSION_KEY, props.get(PARE_VERSION_PROPERTY));
        if (props.containsKey(PARE_PIPELINE_PROPERTY)) meta.putUserDefined(PARE_PIPELINE_KEY, props.get(PARE_PIPELINE_PROPERTY));
        d.setMetadata(meta);
        return d.build();
    }

    /** A function's inputs and outputs, keeping what the read description said of them (as {@link #description}). */
    private static CoreMlModelProto.FunctionDescription functionDescription(String name, MilProgramPlanner planner,
                                                                            CoreMlModelProto.ModelDescription read)
            throws MilProgramPlanner.WriteError {
        CoreMlModelProto.FunctionDescription was = null;
        if (read != null) {
            for (CoreMlModelProto.FunctionDescription f : read.getFunctionsList()) if (f.getName().equals(name)) was = f;
        }
        CoreMlModelProto.FunctionDescription.Builder f = CoreMlModelProto.FunctionDescription.newBuilder().setName(name);
        Graph g = planner.graph();
        for (Value in : g.inputs()) f.addInput(keepOrMake(planner.nameOf(in), in, true, was == null ? List.of() : was.getInputList(), planner.target()));
        for (Value out : g.outputs()) f.addOutput(keepOrMake(planner.nameOf(out), out, false, was == null ? List.of() : was.getOutputList(), planner.target()));
        if (was != null) {
            f.addAllState(was.getStateList());
            List<String> outs = f.getOutputList().stream().map(CoreMlModelProto.FeatureDescription::getName).toList();
            if (outs.contains(was.getPredictedFeatureName())) f.setPredictedFeatureName(was.getPredictedFeatureName());
            if (outs.contains(was.getPredictedProbabilitiesName())) f.setPredictedProbabilitiesName(was.getPredictedProbabilitiesName());
        }
        return f.build();
    }

    /** {@code {"w":"int8-quantized (...)",...}} for the main function's recompressed weights, or "" if none. */
    private static String decompressedFrom(Graph g, MilProgramPlanner planner) {
        StringBuilder sb = new StringBuilder();
        for (Node n : g.nodes()) {
            for (Value r : n.results()) {
                String was = r.isAbsent() ? null : r.metadata().get(WeightHistory.DECOMPRESSED_FROM);
                if (was == null) continue;
                sb.append(sb.length() == 0 ? "{" : ",");
                jsonString(planner.nameOf(r), sb);
                sb.append(':');
                jsonString(was, sb);
            }
        }
        return sb.length() == 0 ? "" : sb.append('}').toString();
    }

    /**
     * {@code {"input_0":"input:0",...}} for the main function's inputs and outputs whose MIL name
     * differs from their original name (the read {@link CoreMlKeys#ORIGINAL_NAME}, else the IR
     * name), or "" if none.
     */
    private static String originalNames(Graph g, MilProgramPlanner planner) {
        StringBuilder sb = new StringBuilder();
        Set<Value> seen = new HashSet<>();
        List<Value> features = new ArrayList<>(g.inputs());
        features.addAll(g.outputs());
        for (Value v : features) {
            if (!seen.add(v)) continue;
            String original = v.metadata().getOrDefault(CoreMlKeys.ORIGINAL_NAME, v.name());
            String mil = planner.nameOf(v);
            if (original.equals(mil)) continue;
            sb.append(sb.length() == 0 ? "{" : ",");
            jsonString(mil, sb);
            sb.append(':');
            jsonString(original, sb);
        }
        return sb.length() == 0 ? "" : sb.append('}').toString();
    }

    /**
     * {@code {"cond":"bool",...}} for the main function's inputs and outputs that record the dtype
     * they had before conversion ({@link FeatureTypes#ORIGINAL_DTYPE}), or "" if none.
     */
    private static String originalDTypes(Graph g, MilProgramPlanner planner) {
        StringBuilder sb = new StringBuilder();
        Set<Value> seen = new HashSet<>();
        List<Value> features = new ArrayList<>(g.inputs());
        features.addAll(g.outputs());
        for (Value v : features) {
            String was = v.metadata().get(FeatureTypes.ORIGINAL_DTYPE);
            if (!seen.add(v) || was == null) continue;
            sb.append(sb.length() == 0 ? "{" : ",");
            jsonString(planner.nameOf(v), sb);
            sb.append(':');
            jsonString(was, sb);
        }
        return sb.length() == 0 ? "" : sb.append('}').toString();
    }

    private static void jsonString(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        sb.append('"');
    }

    private static CoreMlModelProto.FeatureDescription keepOrMake(String name, Value v, boolean input,
                                                                   List<CoreMlModelProto.FeatureDescription> read,
                                                                   CoreMlTarget target)
            throws MilProgramPlanner.WriteError {
        CoreMlModelProto.FeatureDescription made = feature(name, v, input, target);
        for (CoreMlModelProto.FeatureDescription f : read) {
            if (!f.getName().equals(v.name())) continue;
            if (describesSame(f, made)) return f.toBuilder().setName(name).build();
            return made.toBuilder().setShortDescription(f.getShortDescription()).build();
        }
        return made;
    }

    /** Whether a read feature still describes the value: same array dtype and fixed shape, or a non-array type. */
    private static boolean describesSame(CoreMlModelProto.FeatureDescription read, CoreMlModelProto.FeatureDescription made) {
        if (!read.getType().hasMultiArrayType()) return true;
        CoreMlFeatureTypesProto.ArrayFeatureType r = read.getType().getMultiArrayType();
        CoreMlFeatureTypesProto.ArrayFeatureType m = made.getType().getMultiArrayType();
        if (r.getDataType() != m.getDataType()) return false;
        if (m.hasEnumeratedShapes()) return r.getShapeList().equals(m.getShapeList()) && r.getEnumeratedShapes().equals(m.getEnumeratedShapes());
        boolean flexible = r.hasShapeRange() || r.hasEnumeratedShapes();
        if (m.hasShapeRange()) return flexible && r.getShapeCount() == m.getShapeCount();
        return r.getShapeList().equals(m.getShapeList());
    }

    /**
     * A multi-array feature. An input with enumerated shapes ({@link CoreMlKeys#ENUMERATED_SHAPES})
     * gets them, the first as its default shape; another input with symbolic or unknown dimensions
     * gets a shape range (each such dimension 1 to unbounded, default 1); an output's shape is
     * written only when it is static, as coremltools does. Int8 features exist from iOS26
     * (specification version 10) on.
     */
    private static CoreMlModelProto.FeatureDescription feature(String name, Value v, boolean input, CoreMlTarget target)
            throws MilProgramPlanner.WriteError {
        String what = (input ? "input '" : "output '") + v.name() + "'";
        Type type = v.type();
        if (!(type instanceof TensorType tt)) throw new MilProgramPlanner.WriteError(what + " has type " + type + "; Core ML features must be tensors");
        CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType dataType = switch (tt.dtype()) {
            case FLOAT32 -> CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT32;
            case FLOAT16 -> CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT16;
            case INT32 -> CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.INT32;
            case INT8 -> target.atLeast(CoreMlTarget.IOS26) ? CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.INT8 : null;
            default -> null;
        };
        if (dataType == null && tt.dtype() == DType.INT8) {
            throw new MilProgramPlanner.WriteError(what + " has dtype i8; Core ML ML Program features are i8 from "
                    + "specification version 10 on: use --target ios26 (now " + target.flag() + "), or cast it to i32");
        }
        if (dataType == null) {
            throw new MilProgramPlanner.WriteError(what + " has dtype " + tt.dtype().shortName()
                    + "; Core ML ML Program features must be f32, f16, i32 (or i8 from ios26)");
        }
        CoreMlFeatureTypesProto.ArrayFeatureType.Builder a = CoreMlFeatureTypesProto.ArrayFeatureType.newBuilder().setDataType(dataType);
        if (!tt.hasRank()) {
            if (input) {
                throw new MilProgramPlanner.WriteError(what + " has unknown rank; give its shape with --input-shape "
                        + v.name() + "=D0,D1,...");
            }
        } else if (input && v.metadata().containsKey(CoreMlKeys.ENUMERATED_SHAPES)) {
            List<long[]> shapes = enumeratedShapes(what, tt, v.metadata().get(CoreMlKeys.ENUMERATED_SHAPES));
            for (long s : shapes.get(0)) a.addShape(s);
            CoreMlFeatureTypesProto.ArrayFeatureType.EnumeratedShapes.Builder e = CoreMlFeatureTypesProto.ArrayFeatureType.EnumeratedShapes.newBuilder();
            for (long[] shape : shapes) {
                CoreMlFeatureTypesProto.ArrayFeatureType.Shape.Builder one = CoreMlFeatureTypesProto.ArrayFeatureType.Shape.newBuilder();
                for (long s : shape) one.addShape(s);
                e.addShapes(one);
            }
            a.setEnumeratedShapes(e);
        } else if (tt.isStatic()) {
            for (long s : tt.shape()) a.addShape(s);
        } else if (input) {
            CoreMlFeatureTypesProto.ArrayFeatureType.ShapeRange.Builder range = CoreMlFeatureTypesProto.ArrayFeatureType.ShapeRange.newBuilder();
            for (Dim dim : tt.dims()) {
                long fixed = dim instanceof Dim.Fixed f ? f.size() : -1;
                a.addShape(fixed >= 0 ? fixed : 1);
                range.addSizeRanges(CoreMlFeatureTypesProto.SizeRange.newBuilder()
                        .setLowerBound(fixed >= 0 ? fixed : 1).setUpperBound(fixed >= 0 ? fixed : -1));
            }
            a.setShapeRange(range);
        }
        return CoreMlModelProto.FeatureDescription.newBuilder().setName(name)
                .setType(CoreMlFeatureTypesProto.FeatureType.newBuilder().setMultiArrayType(a)).build();
    }

    /** The input's enumerated shapes, each of its rank and agreeing with its fixed dimensions. */
    private static List<long[]> enumeratedShapes(String what, TensorType tt, String text) throws MilProgramPlanner.WriteError {
        List<long[]> shapes;
        try {
            shapes = EnumeratedShapes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new MilProgramPlanner.WriteError(what + " metadata " + CoreMlKeys.ENUMERATED_SHAPES + " " + e.getMessage());
        }
        for (long[] s : shapes) {
            boolean fits = s.length == tt.rank();
            for (int i = 0; fits && i < s.length; i++) fits = !(tt.dims().get(i) instanceof Dim.Fixed f) || f.size() == s[i];
            if (!fits) {
                throw new MilProgramPlanner.WriteError(what + " has type " + tt + ", which its enumerated shape "
                        + EnumeratedShapes.dims(s) + " does not fit");
            }
        }
        return shapes;
    }

    // ---- files ---------------------------------------------------------------------------------

    private static void writeFile(byte[] bytes, Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = TempFiles.createFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, bytes);
            moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
            TempFiles.release(tmp);
        }
    }

    private static void writePackage(Planned planned, Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = TempFiles.createDirectory(dir, "." + target.getFileName() + ".");
        boolean done = false;
        try {
            Path model = tmp.resolve(MODEL_PATH);
            Files.createDirectories(model.getParent());
            Files.write(model, planned.modelBytes());
            boolean weights = !planned.blobs().isEmpty();
            if (weights) {
                Path bin = tmp.resolve(WEIGHTS_PATH);
                Files.createDirectories(bin.getParent());
                planned.blobs().write(bin);
            }
            Files.writeString(tmp.resolve("Manifest.json"), manifest(planned.modelBytes(), weights), StandardCharsets.UTF_8);
            OutputPermissions.applyToTree(tmp); // the same modes as a single-file output
            if (Files.isDirectory(target)) {
                // Swap: move the old package aside, the new one in, then drop the old one.
                Path old = Files.createTempDirectory(dir, "." + target.getFileName() + ".old.");
                Files.delete(old);
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                    throw e;
                }
                deleteTree(old);
            } else {
                if (Files.exists(target)) Files.delete(target);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
            done = true;
        } finally {
            // A failed clean-up must not hide why the write failed (it is added to that error).
            if (!done) TempFiles.removeNow(tmp);
            TempFiles.release(tmp);
        }
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Manifest.json in coremltools' layout (4-space indent, entries ordered by identifier). The
     * identifiers are name-based UUIDs of the item name and the model bytes, so the same model
     * always gets the same manifest and a different model different identifiers.
     */
    static String manifest(byte[] modelBytes, boolean weights) {
        String digest = sha256(modelBytes);
        String modelId = UUID.nameUUIDFromBytes(("com.github.pare/model.mlmodel/" + digest).getBytes(StandardCharsets.UTF_8)).toString();
        Map<String, String[]> entries = new TreeMap<>();
        entries.put(modelId, new String[]{"CoreML Model Specification", "model.mlmodel", "com.apple.CoreML/model.mlmodel"});
        if (weights) {
            String weightsId = UUID.nameUUIDFromBytes(("com.github.pare/weights/" + digest).getBytes(StandardCharsets.UTF_8)).toString();
            entries.put(weightsId, new String[]{"CoreML Model Weights", "weights", "com.apple.CoreML/weights"});
        }
        StringBuilder sb = new StringBuilder();
        sb.append("{\n    \"fileFormatVersion\": \"1.0.0\",\n    \"itemInfoEntries\": {\n");
        int i = 0;
        for (Map.Entry<String, String[]> e : entries.entrySet()) {
            String[] v = e.getValue();
            sb.append("        \"").append(e.getKey()).append("\": {\n")
                    .append("            \"author\": \"com.apple.CoreML\",\n")
                    .append("            \"description\": \"").append(v[0]).append("\",\n")
                    .append("            \"name\": \"").append(v[1]).append("\",\n")
                    .append("            \"path\": \"").append(v[2]).append("\"\n")
                    .append("        }").append(++i < entries.size() ? ",\n" : "\n");
        }
        sb.append("    },\n    \"rootModelIdentifier\": \"").append(modelId).append("\"\n}\n");
        return sb.toString();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
