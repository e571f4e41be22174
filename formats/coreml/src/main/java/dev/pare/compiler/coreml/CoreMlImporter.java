package dev.pare.compiler.coreml;

import dev.pare.ir.WeightHistory;
import com.google.protobuf.UnknownFieldSet;
import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attribute;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Location;
import dev.pare.ir.MilParams;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.OpaqueType;
import dev.pare.ir.Rewriter;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Type;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the IR ({@code mil} dialect, ir/MIL_DIALECT.md) from a read Core ML package: the main
 * function becomes {@link Model#graph()}, other functions {@link Model#functions()}; each MIL op a
 * {@code mil.<type>} node whose {@code params} attribute names its operands; {@code const} ops,
 * inline bindings and iOS16 constexpr attributes become constants. Blob values stay in the
 * weight file (regions mapped on first use); only their metadata records are read and checked.
 * What the IR does not model is kept under the names in {@link CoreMlKeys}.
 */
public final class CoreMlImporter {

    private static final String CONST = "const";
    private static final String CONSTEXPR_PREFIX = "constexpr_";

    private final MlPackage pkg;
    private final Path modelFile;
    private final String fileName;

    private CoreMlImporter(MlPackage pkg) {
        this.pkg = pkg;
        this.modelFile = pkg.modelFile();
        this.fileName = modelFile.getFileName().toString();
    }

    /** The IR of the package's ML Program; fails with one line naming file, op and field. */
    public static Model importModel(MlPackage pkg) throws ModelFormatException {
        try {
            return new CoreMlImporter(pkg).importModel();
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            // A check the reader does not make itself: still one line naming the file, never a trace.
            throw new ModelFormatException(pkg.modelFile(), "invalid model: " + e.getMessage());
        }
    }

    private Model importModel() throws ModelFormatException {
        CoreMlModelProto.Model proto = pkg.model();
        checkModelType(proto);
        MilProto.Program program = proto.getMlProgram();
        if (program.getVersion() != 1) {
            throw error("field mlProgram.version", "ML Program version " + program.getVersion()
                    + " is not supported; expected 1");
        }
        if (program.getFunctionsCount() == 0) throw error("field mlProgram.functions", "the program has no functions");
        String mainName = mainFunction(proto, program);

        Model model = new Model(CoreMlKeys.FORMAT, importFunction(mainName, program.getFunctionsOrThrow(mainName)));
        for (Map.Entry<String, MilProto.Function> f : program.getFunctionsMap().entrySet()) {
            if (!f.getKey().equals(mainName)) model.addFunction(importFunction(f.getKey(), f.getValue()));
        }

        markEnumeratedShapes(model.graph(), proto.getDescription().getInputList());
        for (CoreMlModelProto.FunctionDescription f : proto.getDescription().getFunctionsList()) {
            if (f.getName().equals(mainName)) markEnumeratedShapes(model.graph(), f.getInputList());
            for (Graph g : model.functions()) if (g.name().equals(f.getName())) markEnumeratedShapes(g, f.getInputList());
        }
        model.setProperty(CoreMlKeys.SPECIFICATION_VERSION, Integer.toString(proto.getSpecificationVersion()));
        model.setProperty(CoreMlKeys.OPSET, program.getFunctionsOrThrow(mainName).getOpset());
        CoreMlModelProto.Metadata meta = proto.getDescription().getMetadata();
        setIfPresent(model, CoreMlKeys.SHORT_DESCRIPTION, meta.getShortDescription());
        setIfPresent(model, CoreMlKeys.VERSION_STRING, meta.getVersionString());
        setIfPresent(model, CoreMlKeys.AUTHOR, meta.getAuthor());
        setIfPresent(model, CoreMlKeys.LICENSE, meta.getLicense());
        if (proto.getIsUpdatable()) model.setProperty(CoreMlKeys.IS_UPDATABLE, "true");
        String history = meta.getUserDefinedOrDefault(CoreMlKeys.DECOMPRESSED_FROM, "");
        boolean restored = !history.isEmpty() && restoreDecompressedFrom(model.graph(), history);
        String originals = meta.getUserDefinedOrDefault(CoreMlKeys.ORIGINAL_NAMES, "");
        boolean named = !originals.isEmpty() && restoreOriginalNames(model.graph(), originals);
        String dtypes = meta.getUserDefinedOrDefault(CoreMlKeys.ORIGINAL_DTYPES, "");
        boolean typed = !dtypes.isEmpty() && restoreOriginalDTypes(model.graph(), dtypes);
        meta.getUserDefinedMap().forEach((k, v) -> {
            // our records move onto the values (the writer rebuilds them); one we cannot read stays as it is
            if (!(restored && k.equals(CoreMlKeys.DECOMPRESSED_FROM)) && !(named && k.equals(CoreMlKeys.ORIGINAL_NAMES))
                    && !(typed && k.equals(CoreMlKeys.ORIGINAL_DTYPES))) {
                model.setMetadataProp(k, v);
            }
        });

        if (proto.hasDescription()) {
            model.addOpaqueField(new Model.OpaqueField(CoreMlKeys.DESCRIPTION_FIELD,
                    CoreMlModelProto.Model.newBuilder().setDescription(proto.getDescription()).build().toByteArray()));
        }
        if (!program.getDocString().isEmpty() || program.getAttributesCount() > 0) {
            MilProto.Program head = program.toBuilder().clearFunctions().build();
            model.addOpaqueField(new Model.OpaqueField(CoreMlKeys.ML_PROGRAM_FIELD,
                    CoreMlModelProto.Model.newBuilder().setMlProgram(head).build().toByteArray()));
        }
        for (Map.Entry<Integer, UnknownFieldSet.Field> e : proto.getUnknownFields().asMap().entrySet()) {
            UnknownFieldSet one = UnknownFieldSet.newBuilder().addField(e.getKey(), e.getValue()).build();
            model.addOpaqueField(new Model.OpaqueField(e.getKey(), one.toByteArray()));
        }
        return model;
    }

    /**
     * Puts the writer's record of recompressed weights back on their values (entries naming no value
     * are dropped). False, changing nothing, when the entry is not a JSON object of strings: it is
     * only metadata, so it never makes a package unreadable.
     */
    private static boolean restoreDecompressedFrom(Graph g, String json) {
        Map<?, ?> entries = stringMap(json);
        if (entries == null) return false;
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            Value v = g.value(String.valueOf(e.getKey())).orElse(null);
            if (v == null || !(e.getValue() instanceof String was)) continue;
            Map<String, String> m = new java.util.LinkedHashMap<>(v.metadata());
            m.put(WeightHistory.DECOMPRESSED_FROM, was);
            g.rewriter().setMetadata(v, m);
        }
        return true;
    }

    /**
     * Puts the original names of the main function's inputs and outputs on them
     * ({@link CoreMlKeys#ORIGINAL_NAME}); entries naming no input or output are dropped. False,
     * changing nothing, when the entry is not a JSON object of strings.
     */
    private static boolean restoreOriginalNames(Graph g, String json) {
        Map<?, ?> entries = stringMap(json);
        if (entries == null) return false;
        List<Value> features = new java.util.ArrayList<>(g.inputs());
        features.addAll(g.outputs());
        for (Value v : features) {
            if (!(entries.get(v.name()) instanceof String original) || v.metadata().containsKey(CoreMlKeys.ORIGINAL_NAME)) continue;
            Map<String, String> m = new java.util.LinkedHashMap<>(v.metadata());
            m.put(CoreMlKeys.ORIGINAL_NAME, original);
            g.rewriter().setMetadata(v, m);
        }
        return true;
    }

    /**
     * Puts the dtypes the main function's inputs and outputs had before conversion on them
     * ({@link dev.pare.ir.FeatureTypes#ORIGINAL_DTYPE}); entries naming no input or output, or no
     * dtype, are dropped. False, changing nothing, when the entry is not a JSON object of strings.
     */
    private static boolean restoreOriginalDTypes(Graph g, String json) {
        Map<?, ?> entries = stringMap(json);
        if (entries == null) return false;
        List<Value> features = new java.util.ArrayList<>(g.inputs());
        features.addAll(g.outputs());
        for (Value v : features) {
            if (!(entries.get(v.name()) instanceof String was) || dev.pare.ir.DType.fromShortName(was).isEmpty()) continue;
            Map<String, String> m = new java.util.LinkedHashMap<>(v.metadata());
            m.put(dev.pare.ir.FeatureTypes.ORIGINAL_DTYPE, was);
            g.rewriter().setMetadata(v, m);
        }
        return true;
    }

    /** The entry as a JSON object whose values are all strings, or null when it is anything else. */
    private static Map<?, ?> stringMap(String json) {
        Object parsed;
        try {
            parsed = JsonValues.parse(json);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (!(parsed instanceof Map<?, ?> entries)) return null;
        for (Object v : entries.values()) if (!(v instanceof String)) return null;
        return entries;
    }

    /** Puts the described enumerated shapes of inputs on the graph inputs (CoreMlKeys.ENUMERATED_SHAPES). */
    private static void markEnumeratedShapes(Graph g, List<CoreMlModelProto.FeatureDescription> inputs) {
        for (CoreMlModelProto.FeatureDescription f : inputs) {
            if (!f.getType().hasMultiArrayType() || !f.getType().getMultiArrayType().hasEnumeratedShapes()) continue;
            List<long[]> shapes = new ArrayList<>();
            for (CoreMlFeatureTypesProto.ArrayFeatureType.Shape s : f.getType().getMultiArrayType().getEnumeratedShapes().getShapesList()) {
                shapes.add(s.getShapeList().stream().mapToLong(Long::longValue).toArray());
            }
            Value v = g.inputs().stream().filter(in -> in.name().equals(f.getName())).findFirst().orElse(null);
            // Only well-formed sets (non-empty shapes of sizes >= 1) are marked; the description keeps any set as read.
            boolean wellFormed = !shapes.isEmpty() && shapes.stream().allMatch(s -> s.length > 0 && s.length == shapes.get(0).length
                    && java.util.Arrays.stream(s).allMatch(d -> d >= 1));
            if (v == null || !wellFormed) continue;
            Map<String, String> m = new LinkedHashMap<>(v.metadata());
            m.put(CoreMlKeys.ENUMERATED_SHAPES, EnumeratedShapes.format(shapes));
            g.rewriter().setMetadata(v, m);
        }
    }

    private static void setIfPresent(Model model, String key, String value) {
        if (!value.isEmpty()) model.setProperty(key, value);
    }

    /** The description's default function, else {@code main}, else the only function. */
    private String mainFunction(CoreMlModelProto.Model proto, MilProto.Program program) throws ModelFormatException {
        String declared = proto.getDescription().getDefaultFunctionName();
        if (!declared.isEmpty()) {
            if (!program.containsFunctions(declared)) {
                throw error("field description.defaultFunctionName", "names function '" + declared
                        + "', which the program does not have (has " + program.getFunctionsMap().keySet() + ")");
            }
            return declared;
        }
        if (program.containsFunctions("main")) return "main";
        if (program.getFunctionsCount() == 1) return program.getFunctionsMap().keySet().iterator().next();
        throw error("field mlProgram.functions", "no function is called 'main' and the description names no "
                + "defaultFunctionName (functions " + program.getFunctionsMap().keySet() + ")");
    }

    /** Refuses models that are not ML Programs, naming what they are. */
    private void checkModelType(CoreMlModelProto.Model proto) throws ModelFormatException {
        if (proto.hasMlProgram()) return;
        for (int field : proto.getUnknownFields().asMap().keySet()) {
            String kind = ModelTypes.name(field);
            if (kind == null) continue;
            if (ModelTypes.isNeuralNetwork(field)) {
                throw new ModelFormatException(modelFile, "is a " + kind + " model (specificationVersion "
                        + proto.getSpecificationVersion() + "); Pare needs an ML Program (convert with coremltools "
                        + "using convert_to=\"mlprogram\")");
            }
            throw new ModelFormatException(modelFile, "is a " + kind + " model; Pare reads only ML Programs");
        }
        throw new ModelFormatException(modelFile, "holds no model of a known type (field Model.Type is empty); "
                + "Pare reads only ML Programs");
    }

    // ---- functions and blocks ------------------------------------------------------------------

    private Graph importFunction(String name, MilProto.Function fn) throws ModelFormatException {
        String where = "function '" + name + "'";
        String opset = fn.getOpset();
        MilProto.Block block = fn.getBlockSpecializationsMap().get(opset);
        if (block == null) {
            throw error(where + " field block_specializations", "has no block for the function's opset '" + opset
                    + "' (has " + fn.getBlockSpecializationsMap().keySet() + ")");
        }
        if (fn.getBlockSpecializationsCount() > 1) {
            throw error(where + " field block_specializations", "has " + fn.getBlockSpecializationsCount()
                    + " specializations " + fn.getBlockSpecializationsMap().keySet() + "; Pare reads functions with one");
        }
        Set<String> reserved = new HashSet<>();
        for (MilProto.NamedValueType in : fn.getInputsList()) reserved.add(in.getName());
        reserveNames(block, reserved);

        Graph g = new Graph(name);
        Rewriter rw = g.rewriter();
        for (MilProto.NamedValueType in : fn.getInputsList()) {
            Type t = type(in.getType(), where + " input '" + in.getName() + "'");
            define(() -> rw.addInput(in.getName(), t), where + " input '" + in.getName() + "'");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CoreMlKeys.FUNCTION_OPSET, opset);
        if (fn.getAttributesCount() > 0) {
            meta.put(CoreMlKeys.FUNCTION_ATTRIBUTES, Base64.getEncoder().encodeToString(
                    MilProto.Function.newBuilder().putAllAttributes(fn.getAttributesMap()).build().toByteArray()));
        }
        importBlock(block, g, reserved, meta, name.equals("main") ? "" : where + " ");
        return g;
    }

    /** Every value name the block defines, nested blocks included, so generated names avoid them. */
    private static void reserveNames(MilProto.Block block, Set<String> reserved) {
        for (MilProto.NamedValueType in : block.getInputsList()) reserved.add(in.getName());
        for (MilProto.Operation op : block.getOperationsList()) {
            for (MilProto.NamedValueType out : op.getOutputsList()) reserved.add(out.getName());
            for (MilProto.Block b : op.getBlocksList()) reserveNames(b, reserved);
        }
    }

    private void importBlock(MilProto.Block block, Graph g, Set<String> reserved, Map<String, String> meta,
                             String scope) throws ModelFormatException {
        Rewriter rw = g.rewriter();
        if (block.getAttributesCount() > 0) {
            meta.put(CoreMlKeys.BLOCK_ATTRIBUTES, Base64.getEncoder().encodeToString(
                    MilProto.Block.newBuilder().putAllAttributes(block.getAttributesMap()).build().toByteArray()));
        }
        rw.setGraphMetadata(meta);
        for (int i = 0; i < block.getOperationsCount(); i++) {
            MilProto.Operation op = block.getOperations(i);
            if (op.getType().equals(CONST)) {
                importConst(op, i, g, scope);
            } else {
                importOp(op, i, g, reserved, scope);
            }
        }
        for (String out : block.getOutputsList()) {
            Value v = g.resolve(out).orElseThrow(() -> error(scope + "block '" + g.name() + "' outputs",
                    "names unknown value '" + out + "'"));
            rw.addOutput(v);
        }
    }

    // ---- ops -----------------------------------------------------------------------------------

    private static String opName(MilProto.Operation op) {
        MilProto.Value name = op.getAttributesMap().get("name");
        if (name != null && name.hasImmediateValue() && name.getImmediateValue().getTensor().hasStrings()
                && name.getImmediateValue().getTensor().getStrings().getValuesCount() == 1) {
            return name.getImmediateValue().getTensor().getStrings().getValues(0);
        }
        return op.getOutputsCount() > 0 ? op.getOutputs(0).getName() : "";
    }

    private void importConst(MilProto.Operation op, int index, Graph g, String scope) throws ModelFormatException {
        String name = opName(op);
        String where = scope + "op '" + name + "' (const)";
        if (op.getOutputsCount() != 1) throw error(where, "has " + op.getOutputsCount() + " outputs; expected 1");
        for (String attr : op.getAttributesMap().keySet()) {
            if (!attr.equals("name") && !attr.equals("val")) {
                throw error(where + " attribute '" + attr + "'", "is not a const attribute Pare keeps (only name, val)");
            }
        }
        MilProto.Value val = op.getAttributesMap().get("val");
        if (val == null) throw error(where, "has no 'val' attribute");
        MilProto.NamedValueType out = op.getOutputs(0);
        TensorData data = tensor(val, where + " attribute 'val'");
        Type declared = type(out.getType(), where + " output '" + out.getName() + "'");
        if (!declared.equals(data.type())) {
            throw error(where + " attribute 'val'", "holds " + data.type() + " but the op declares output '"
                    + out.getName() + "' as " + declared);
        }
        Rewriter rw = g.rewriter();
        Value c = define(() -> rw.addConstant(out.getName(), data), where + " output '" + out.getName() + "'");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(CoreMlKeys.OP_INDEX, Integer.toString(index));
        if (!name.equals(out.getName())) meta.put(CoreMlKeys.OP_NAME, name);
        rw.setMetadata(c, meta);
    }

    private void importOp(MilProto.Operation op, int index, Graph g, Set<String> reserved, String scope)
            throws ModelFormatException {
        String type = op.getType();
        String name = opName(op);
        String where = scope + "op '" + name + "' (" + type + ")";
        boolean constexpr = type.startsWith(CONSTEXPR_PREFIX);
        List<Value> operands = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (Map.Entry<String, MilProto.Argument> in : op.getInputsMap().entrySet()) {
            String param = in.getKey();
            List<MilProto.Argument.Binding> bindings = in.getValue().getArgumentsList();
            for (int k = 0; k < bindings.size(); k++) {
                MilProto.Argument.Binding b = bindings.get(k);
                String field = where + " input '" + param + "'" + (bindings.size() > 1 ? "[" + k + "]" : "");
                if (b.hasValue()) {
                    String hint = name + "_" + param + (bindings.size() > 1 ? "_" + k : "");
                    operands.add(inlineConstant(g, reserved, hint, b.getValue(), field));
                } else if (!b.getName().isEmpty()) {
                    operands.add(g.resolve(b.getName()).orElseThrow(() ->
                            error(field, "refers to unknown value '" + b.getName() + "'")));
                } else {
                    throw error(field, "binding names no value");
                }
                params.add(param);
            }
        }
        Attributes.Builder attrs = Attributes.builder();
        for (Map.Entry<String, MilProto.Value> a : op.getAttributesMap().entrySet()) {
            if (a.getKey().equals("name")) continue;
            String field = where + " attribute '" + a.getKey() + "'";
            if (constexpr) {
                // iOS16 constexpr ops carry their parameters as attributes; the IR makes them operands.
                operands.add(inlineConstant(g, reserved, name + "_" + a.getKey(), a.getValue(), field));
                params.add(a.getKey());
            } else {
                attrs.put(a.getKey(), new Attribute.TensorAttr(tensor(a.getValue(), field)));
            }
        }
        attrs.put(MilParams.ATTRIBUTE, MilParams.attribute(params));
        if (op.getBlocksCount() > 0) {
            List<Graph> blocks = new ArrayList<>();
            for (int j = 0; j < op.getBlocksCount(); j++) {
                MilProto.Block block = op.getBlocks(j);
                Graph sub = new Graph(name + "_block" + j, g);
                Rewriter srw = sub.rewriter();
                for (MilProto.NamedValueType in : block.getInputsList()) {
                    String field = where + " block " + j + " input '" + in.getName() + "'";
                    Type t = type(in.getType(), field);
                    define(() -> srw.addInput(in.getName(), t), field);
                }
                importBlock(block, sub, reserved, new LinkedHashMap<>(), where + " block " + j + ": ");
                blocks.add(sub);
            }
            attrs.put("blocks", new Attribute.GraphsAttr(blocks));
        }
        List<String> resultNames = new ArrayList<>();
        List<Type> resultTypes = new ArrayList<>();
        for (MilProto.NamedValueType out : op.getOutputsList()) {
            resultNames.add(out.getName());
            resultTypes.add(type(out.getType(), where + " output '" + out.getName() + "'"));
        }
        Attributes attributes = attrs.build();
        Location location = new Location(fileName, name, index);
        define(() -> g.rewriter().createNode(name, "mil." + type, operands, resultNames, resultTypes, attributes,
                location), where);
    }

    /** A value the file binds in place becomes a constant with a name no MIL value uses. */
    private Value inlineConstant(Graph g, Set<String> reserved, String hint, MilProto.Value value, String where)
            throws ModelFormatException {
        TensorData data = tensor(value, where);
        String name = hint;
        for (int i = 1; reserved.contains(name) || g.isNameTaken(name); i++) name = hint + "_" + i;
        reserved.add(name);
        String chosen = name;
        Rewriter rw = g.rewriter();
        Value c = define(() -> rw.addConstant(chosen, data), where);
        rw.setMetadata(c, Map.of(CoreMlKeys.INLINE, "true"));
        return c;
    }

    // ---- values and types ------------------------------------------------------------------------

    /** A tensor value: blob values as lazily mapped file regions, immediates decoded. */
    private TensorData tensor(MilProto.Value value, String where) throws ModelFormatException {
        if (!value.getType().hasTensorType()) {
            throw error(where, "holds a " + value.getType().getTypeCase() + " value; Pare reads tensor values only");
        }
        TensorType t = checkedType(value.getType().getTensorType(), where);
        if (t.dtype() == DType.UNDEFINED) {
            throw error(where, "has unsupported data type " + value.getType().getTensorType().getDataType());
        }
        try {
            if (value.hasBlobFileValue()) {
                MilProto.Value.BlobFileValue ref = value.getBlobFileValue();
                Map<String, String> notes = new LinkedHashMap<>();
                notes.put(CoreMlKeys.STORAGE, "blob");
                notes.put(CoreMlKeys.BLOB_FILE, ref.getFileName());
                notes.put(CoreMlKeys.BLOB_OFFSET, Long.toUnsignedString(ref.getOffset()));
                return pkg.blobRegion(value, notes);
            }
            if (value.hasImmediateValue()) {
                return MilValues.immediate(value, modelFile).withAnnotations(Map.of(CoreMlKeys.STORAGE, "immediate"));
            }
        } catch (ModelFormatException e) {
            throw within(where, e);
        } catch (IllegalArgumentException e) {
            throw error(where, e.getMessage());
        }
        throw error(where, "holds no value (neither immediate nor blob)");
    }

    /** The IR type of a MIL value type: tensors map, other types are kept encoded. */
    private Type type(MilProto.ValueType vt, String where) throws ModelFormatException {
        if (vt.hasTensorType()) {
            MilProto.TensorType tt = vt.getTensorType();
            TensorType t = checkedType(tt, where);
            if (t.dtype() == DType.UNDEFINED) throw error(where, "has unsupported data type " + tt.getDataType());
            if (tt.getRank() != tt.getDimensionsCount()) {
                throw error(where, "has rank " + tt.getRank() + " but " + tt.getDimensionsCount() + " dimensions");
            }
            return t;
        }
        if (vt.getTypeCase() == MilProto.ValueType.TypeCase.TYPE_NOT_SET) throw error(where, "has no type");
        return new OpaqueType(CoreMlKeys.FORMAT, summary(vt), vt.toByteArray());
    }

    /** The IR type of {@code tt}; an error naming the value if a dimension is negative or the size overflows. */
    private TensorType checkedType(MilProto.TensorType tt, String where) throws ModelFormatException {
        List<Long> shape = new ArrayList<>();
        for (MilProto.Dimension d : tt.getDimensionsList()) shape.add(d.hasConstant() ? d.getConstant().getSize() : -1L);
        for (MilProto.Dimension d : tt.getDimensionsList()) {
            if (d.hasConstant() && d.getConstant().getSize() < 0) {
                throw error(where, "has negative dimension " + d.getConstant().getSize() + " in shape " + shape);
            }
        }
        TensorType t = MilTypes.tensorType(tt);
        if (t.isStatic() && t.dtype().bits() > 0) {
            try {
                t.byteSize();
            } catch (ArithmeticException e) {
                throw error(where, "declares shape " + shape + " whose size overflows 64 bits");
            }
        }
        return t;
    }

    private static String summary(MilProto.ValueType vt) {
        switch (vt.getTypeCase()) {
            case TENSORTYPE: return MilTypes.tensorType(vt.getTensorType()).toString();
            case LISTTYPE: return "list<" + summary(vt.getListType().getType()) + ">";
            case TUPLETYPE: {
                List<String> parts = new ArrayList<>();
                for (MilProto.ValueType t : vt.getTupleType().getTypesList()) parts.add(summary(t));
                return "tuple<" + String.join(", ", parts) + ">";
            }
            case DICTIONARYTYPE: return "dict<" + summary(vt.getDictionaryType().getKeyType()) + ", "
                    + summary(vt.getDictionaryType().getValueType()) + ">";
            case STATETYPE: return "state<" + summary(vt.getStateType().getWrappedType()) + ">";
            default: return "?";
        }
    }

    // ---- errors ----------------------------------------------------------------------------------

    private interface Definition<T> {
        T define();
    }

    /** Runs a rewriter definition, turning its name clashes into a format error. */
    private <T> T define(Definition<T> d, String where) throws ModelFormatException {
        try {
            return d.define();
        } catch (IllegalArgumentException e) {
            throw error(where, e.getMessage());
        }
    }

    private ModelFormatException error(String where, String message) {
        return new ModelFormatException(modelFile, where + ": " + message);
    }

    /** Re-raises a lower-level error (possibly about the weight file) with the op and field that hit it. */
    private static ModelFormatException within(String where, ModelFormatException e) {
        String m = e.getMessage();
        String prefix = e.file() + ": ";
        if (m.startsWith(prefix)) m = m.substring(prefix.length());
        return new ModelFormatException(e.file(), where + ": " + m, e);
    }
}
