package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Graph;
import dev.pare.ir.IrPrinter;
import dev.pare.ir.Model;
import dev.pare.ir.Verifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Hand-built ML Programs for what the fixtures do not show: .mlmodel files, nested blocks, several functions. */
class CoreMlImporterTest {

    @TempDir Path tmp;

    // ---- a tiny MIL builder ----------------------------------------------------------------------

    private static MilProto.ValueType f32(long... shape) {
        MilProto.TensorType.Builder t = MilProto.TensorType.newBuilder().setDataType(MilProto.DataType.FLOAT32)
                .setRank(shape.length);
        for (long s : shape) {
            t.addDimensions(MilProto.Dimension.newBuilder()
                    .setConstant(MilProto.Dimension.ConstantDimension.newBuilder().setSize(s)));
        }
        return MilProto.ValueType.newBuilder().setTensorType(t).build();
    }

    private static MilProto.ValueType bool() {
        return MilProto.ValueType.newBuilder().setTensorType(MilProto.TensorType.newBuilder()
                .setDataType(MilProto.DataType.BOOL)).build();
    }

    private static MilProto.Value floats(float... v) {
        MilProto.TensorValue.RepeatedFloats.Builder f = MilProto.TensorValue.RepeatedFloats.newBuilder();
        for (float x : v) f.addValues(x);
        return MilProto.Value.newBuilder().setType(f32(v.length)).setImmediateValue(MilProto.Value.ImmediateValue
                .newBuilder().setTensor(MilProto.TensorValue.newBuilder().setFloats(f))).build();
    }

    private static MilProto.Value string(String s) {
        return MilProto.Value.newBuilder().setType(MilProto.ValueType.newBuilder().setTensorType(
                        MilProto.TensorType.newBuilder().setDataType(MilProto.DataType.STRING)))
                .setImmediateValue(MilProto.Value.ImmediateValue.newBuilder().setTensor(MilProto.TensorValue.newBuilder()
                        .setStrings(MilProto.TensorValue.RepeatedStrings.newBuilder().addValues(s)))).build();
    }

    private static MilProto.Argument ref(String name) {
        return MilProto.Argument.newBuilder().addArguments(MilProto.Argument.Binding.newBuilder().setName(name)).build();
    }

    private static MilProto.Operation.Builder op(String type, String name, MilProto.ValueType out) {
        return MilProto.Operation.newBuilder().setType(type).putAttributes("name", string(name))
                .addOutputs(MilProto.NamedValueType.newBuilder().setName(name).setType(out));
    }

    private static MilProto.Operation constOp(String name, MilProto.Value val) {
        return op("const", name, val.getType()).putAttributes("val", val).build();
    }

    private static MilProto.Function function(MilProto.Block block) {
        return MilProto.Function.newBuilder().setOpset("CoreML7")
                .addInputs(MilProto.NamedValueType.newBuilder().setName("x").setType(f32(2)))
                .putBlockSpecializations("CoreML7", block).build();
    }

    private static CoreMlModelProto.Model model(Map<String, MilProto.Function> functions) {
        CoreMlModelProto.FeatureDescription x = CoreMlModelProto.FeatureDescription.newBuilder().setName("x")
                .setType(CoreMlFeatureTypesProto.FeatureType.newBuilder().setMultiArrayType(
                        CoreMlFeatureTypesProto.ArrayFeatureType.newBuilder().addShape(2)
                                .setDataType(CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT32))).build();
        return CoreMlModelProto.Model.newBuilder().setSpecificationVersion(8)
                .setDescription(CoreMlModelProto.ModelDescription.newBuilder().addInput(x)
                        .setMetadata(CoreMlModelProto.Metadata.newBuilder().setAuthor("me").putUserDefined("k", "v")))
                .setMlProgram(MilProto.Program.newBuilder().setVersion(1).putAllFunctions(functions)).build();
    }

    /** main: y = x + [1, 2]. */
    private static MilProto.Block addBlock() {
        return MilProto.Block.newBuilder()
                .addOperations(constOp("c", floats(1, 2)))
                .addOperations(op("add", "y", f32(2)).putInputs("x", ref("x")).putInputs("y", ref("c")))
                .addOutputs("y").build();
    }

    private Model readMlModel(CoreMlModelProto.Model m) throws Exception {
        Path file = tmp.resolve("m.mlmodel");
        Files.write(file, m.toByteArray());
        return new CoreMlFormat().read(file);
    }

    // ---- tests -------------------------------------------------------------------------------------

    @Test
    void singleMlModelFileWithImmediateValues() throws Exception {
        CoreMlModelProto.Model proto = model(Map.of("main", function(addBlock())));
        Model m = readMlModel(proto);
        assertEquals("""
                graph main(%x: f32[2]) {
                  %c: f32[2] = const dense<f32[2]: [1, 2]>
                  %y: f32[2] = mil.add(%x, %c) {params=["x", "y"]} @y
                  return %y
                }
                """, IrPrinter.print(m.graph()));
        assertEquals("8", m.properties().get(CoreMlKeys.SPECIFICATION_VERSION));
        assertEquals("CoreML7", m.properties().get(CoreMlKeys.OPSET));
        assertEquals("me", m.properties().get(CoreMlKeys.AUTHOR));
        assertEquals(Map.of("k", "v"), m.metadataProps());
        // The description is kept whole, so a writer can reproduce it byte for byte.
        Model.OpaqueField desc = m.opaqueFields().get(0);
        assertEquals(CoreMlKeys.DESCRIPTION_FIELD, desc.fieldNumber());
        assertArrayEquals(CoreMlModelProto.Model.newBuilder().setDescription(proto.getDescription()).build().toByteArray(),
                desc.encoded());
    }

    @Test
    void nestedBlocksBecomeSubgraphs() throws Exception {
        MilProto.Block then = MilProto.Block.newBuilder()
                .addOperations(op("relu", "t", f32(2)).putInputs("x", ref("x")))
                .addOutputs("t").build();
        MilProto.Block otherwise = MilProto.Block.newBuilder().addOutputs("x").build();
        MilProto.Block main = MilProto.Block.newBuilder()
                .addOperations(constOp("p", MilProto.Value.newBuilder().setType(bool()).setImmediateValue(
                        MilProto.Value.ImmediateValue.newBuilder().setTensor(MilProto.TensorValue.newBuilder()
                                .setBools(MilProto.TensorValue.RepeatedBools.newBuilder().addValues(true)))).build()))
                .addOperations(op("cond", "r", f32(2)).putInputs("pred", ref("p")).addBlocks(then).addBlocks(otherwise))
                .addOutputs("r").build();
        Model m = readMlModel(model(Map.of("main", function(main))));
        assertEquals("""
                graph main(%x: f32[2]) {
                  %p: bool[] = const dense<bool[]: [true]>
                  %r: f32[2] = mil.cond(%p) {params=["pred"], blocks=[graph r_block0() {
                    %t: f32[2] = mil.relu(%x) {params=["x"]} @t
                    return %t
                  }, graph r_block1() {
                    return %x
                  }]} @r
                  return %r
                }
                """, IrPrinter.print(m.graph()));
        assertEquals(List.of(), Verifier.verify(m.graph()));
    }

    @Test
    void otherFunctionsAreKept() throws Exception {
        Map<String, MilProto.Function> fns = new java.util.LinkedHashMap<>();
        fns.put("main", function(addBlock()));
        fns.put("second", function(MilProto.Block.newBuilder()
                .addOperations(op("relu", "z", f32(2)).putInputs("x", ref("x"))).addOutputs("z").build()));
        Model m = readMlModel(model(fns));
        assertEquals("main", m.graph().name());
        assertEquals(1, m.functions().size());
        Graph second = m.functions().get(0);
        assertEquals("second", second.name());
        assertEquals("mil.relu", second.nodes().get(0).op());
        assertEquals("CoreML7", second.metadata().get(CoreMlKeys.FUNCTION_OPSET));
    }

    @Test
    void inlineBindingsGetNamesNoMilValueUses() throws Exception {
        // The generated name y_y would clash with a later op output, so it takes a suffix.
        MilProto.Block block = MilProto.Block.newBuilder()
                .addOperations(op("add", "y", f32(2)).putInputs("x", ref("x")).putInputs("y",
                        MilProto.Argument.newBuilder().addArguments(MilProto.Argument.Binding.newBuilder()
                                .setValue(floats(3, 4))).build()))
                .addOperations(op("relu", "y_y", f32(2)).putInputs("x", ref("y")))
                .addOutputs("y_y").build();
        Model m = readMlModel(model(Map.of("main", function(block))));
        assertEquals("""
                graph main(%x: f32[2]) {
                  %y_y_1: f32[2] = const dense<f32[2]: [3, 4]>
                  %y: f32[2] = mil.add(%x, %y_y_1) {params=["x", "y"]} @y
                  %y_y: f32[2] = mil.relu(%y) {params=["x"]} @y_y
                  return %y_y
                }
                """, IrPrinter.print(m.graph()));
        assertEquals("true", m.graph().constants().get(0).metadata().get(CoreMlKeys.INLINE));
    }

    /**
     * A weight file past the 2 GiB mapping limit (sparse on disk): the blob at offset 2^31 is read
     * as a file region, and a lone .mlmodel finds its weights folder next to it.
     */
    @Test
    void weightFileBeyondTwoGiB() throws Exception {
        long at = 1L << 31;
        Path weights = tmp.resolve("weights/weight.bin");
        Files.createDirectories(weights.getParent());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(weights.toFile(), "rw")) {
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            header.putInt(0, 1).putInt(4, 2);
            f.write(header.array());
            java.nio.ByteBuffer meta = java.nio.ByteBuffer.allocate(64 + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            meta.putInt(0, BlobFile.SENTINEL).putInt(4, BlobDataType.FLOAT32.code()).putLong(8, 8).putLong(16, at + 64);
            meta.putFloat(64, 1.5f).putFloat(68, -2f);
            f.seek(at);
            f.write(meta.array());
        }
        MilProto.Value blob = MilProto.Value.newBuilder().setType(f32(2)).setBlobFileValue(
                MilProto.Value.BlobFileValue.newBuilder().setFileName("@model_path/weights/weight.bin").setOffset(at)).build();
        MilProto.Block block = MilProto.Block.newBuilder()
                .addOperations(constOp("c", blob))
                .addOperations(op("add", "y", f32(2)).putInputs("x", ref("x")).putInputs("y", ref("c")))
                .addOutputs("y").build();
        Model m = readMlModel(model(Map.of("main", function(block))));
        dev.pare.ir.DenseData c = (dev.pare.ir.DenseData) m.graph().constants().get(0).data();
        assertEquals("file weight.bin@" + (at + 64), c.origin());
        assertEquals(false, c.isMaterialized());
        assertEquals(1.5f, c.bytes().getFloat(0));
        assertEquals(-2f, c.bytes().getFloat(4));
    }

    /** iOS18 state inputs (and other non-tensor types) are kept as opaque types holding the encoded ValueType. */
    @Test
    void stateInputsAreOpaque() throws Exception {
        MilProto.ValueType state = MilProto.ValueType.newBuilder().setStateType(
                MilProto.StateType.newBuilder().setWrappedType(f32(2))).build();
        MilProto.Function fn = function(MilProto.Block.newBuilder()
                .addOperations(op("read_state", "s", f32(2)).putInputs("input", ref("cache")))
                .addOperations(op("add", "y", f32(2)).putInputs("x", ref("x")).putInputs("y", ref("s")))
                .addOutputs("y").build()).toBuilder()
                .addInputs(MilProto.NamedValueType.newBuilder().setName("cache").setType(state)).build();
        Model m = readMlModel(model(Map.of("main", fn)));
        dev.pare.ir.Value cache = m.graph().inputs().get(1);
        assertEquals(new dev.pare.ir.OpaqueType("coreml", "state<f32[2]>", state.toByteArray()), cache.type());
        assertEquals(List.of(), Verifier.verify(m.graph()));
    }

    @Test
    void programAttributesAreKept() throws Exception {
        CoreMlModelProto.Model proto = model(Map.of("main", function(addBlock())));
        proto = proto.toBuilder().setMlProgram(proto.getMlProgram().toBuilder().putAttributes("buildInfo", string("x")))
                .build();
        Model m = readMlModel(proto);
        Model.OpaqueField program = m.opaqueFields().get(1);
        assertEquals(CoreMlKeys.ML_PROGRAM_FIELD, program.fieldNumber());
        CoreMlModelProto.Model head = CoreMlModelProto.Model.parseFrom(program.encoded());
        assertEquals(0, head.getMlProgram().getFunctionsCount());
        assertEquals(string("x"), head.getMlProgram().getAttributesOrThrow("buildInfo"));
    }
}
