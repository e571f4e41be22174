package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hand-built program with a {@code cond} (a const op inside a branch, a block attribute) and a
 * {@code while_loop} (block inputs, a block using a const of the function's block): read, written
 * and read again, the written function must equal the original message, op for op.
 */
class CoreMlNestedBlocksTest {

    @TempDir Path tmp;

    private static final TensorType F2 = TensorType.of(DType.FLOAT32, 2);
    private static final TensorType I32 = TensorType.of(DType.INT32);
    private static final TensorType BOOL = TensorType.of(DType.BOOL);

    private static MilProto.NamedValueType named(String name, TensorType t) {
        return MilProto.NamedValueType.newBuilder().setName(name).setType(MilValueEncoder.valueType(t)).build();
    }

    private static MilProto.Argument refs(String... names) {
        MilProto.Argument.Builder a = MilProto.Argument.newBuilder();
        for (String n : names) a.addArguments(MilProto.Argument.Binding.newBuilder().setName(n));
        return a.build();
    }

    private static MilProto.Operation.Builder op(String type, String name, TensorType out) {
        return MilProto.Operation.newBuilder().setType(type).putAttributes("name", MilValueEncoder.string(name))
                .addOutputs(named(name, out));
    }

    private static MilProto.Operation constOp(String name, TensorData value) {
        return op("const", name, value.type()).putAttributes("val", MilValueEncoder.immediate(value)).build();
    }

    /**
     * r = cond(pred, x + [1, 2], relu(x)); (i, v) = while_loop(i < 3, (i + 1, v + v)) from (0, r);
     * the output v is 8 r.
     */
    static MilProto.Function nestedFunction(boolean pred) {
        MilProto.Block then = MilProto.Block.newBuilder()
                .addOperations(constOp("k", TensorData.ofFloats(new long[] {2}, 1f, 2f)))
                .addOperations(op("add", "t", F2).putInputs("x", refs("x")).putInputs("y", refs("k")))
                .addOutputs("t")
                .putAttributes("note", MilValueEncoder.string("then branch")).build();
        MilProto.Block otherwise = MilProto.Block.newBuilder()
                .addOperations(op("relu", "f", F2).putInputs("x", refs("x")))
                .addOutputs("f").build();
        MilProto.Block loopCond = MilProto.Block.newBuilder()
                .addInputs(named("i_c", I32)).addInputs(named("v_c", F2))
                .addOperations(op("less", "lt", BOOL).putInputs("x", refs("i_c")).putInputs("y", refs("three")))
                .addOutputs("lt").build();
        MilProto.Block loopBody = MilProto.Block.newBuilder()
                .addInputs(named("i_b", I32)).addInputs(named("v_b", F2))
                .addOperations(constOp("one", MilTensors.int32Scalar(1)))
                .addOperations(op("add", "i_next", I32).putInputs("x", refs("i_b")).putInputs("y", refs("one")))
                .addOperations(op("add", "v_next", F2).putInputs("x", refs("v_b")).putInputs("y", refs("v_b")))
                .addOutputs("i_next").addOutputs("v_next").build();
        MilProto.Block main = MilProto.Block.newBuilder()
                .addOperations(constOp("p", TensorData.of(BOOL, new byte[] {(byte) (pred ? 1 : 0)})))
                .addOperations(constOp("three", MilTensors.int32Scalar(3)))
                .addOperations(constOp("i0", MilTensors.int32Scalar(0)))
                .addOperations(op("cond", "r", F2).putInputs("pred", refs("p")).addBlocks(then).addBlocks(otherwise))
                .addOperations(MilProto.Operation.newBuilder().setType("while_loop")
                        .putAttributes("name", MilValueEncoder.string("w"))
                        .putInputs("loop_vars", refs("i0", "r"))
                        .addBlocks(loopCond).addBlocks(loopBody)
                        .addOutputs(named("w_i", I32)).addOutputs(named("w_v", F2)))
                .addOutputs("w_v").build();
        return MilProto.Function.newBuilder().setOpset("CoreML7").addInputs(named("x", F2))
                .putBlockSpecializations("CoreML7", main).build();
    }

    private static CoreMlModelProto.FeatureDescription feature(String name) {
        return CoreMlModelProto.FeatureDescription.newBuilder().setName(name)
                .setType(CoreMlFeatureTypesProto.FeatureType.newBuilder().setMultiArrayType(
                        CoreMlFeatureTypesProto.ArrayFeatureType.newBuilder().addShape(2)
                                .setDataType(CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT32))).build();
    }

    private Path nestedModel() throws Exception {
        return nestedModel(true);
    }

    private Path nestedModel(boolean pred) throws Exception {
        CoreMlModelProto.Model m = CoreMlModelProto.Model.newBuilder().setSpecificationVersion(8)
                .setDescription(CoreMlModelProto.ModelDescription.newBuilder().addInput(feature("x")).addOutput(feature("w_v"))
                        .setMetadata(CoreMlModelProto.Metadata.newBuilder()))
                .setMlProgram(MilProto.Program.newBuilder().setVersion(1).putFunctions("main", nestedFunction(pred))).build();
        Path file = tmp.resolve("nested.mlmodel");
        Files.write(file, m.toByteArray());
        return file;
    }

    @Test
    void condAndWhileLoopAreWrittenAsTheyWereRead() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Path in = nestedModel();
        Model original = coreml.read(in);
        Path out = tmp.resolve("again.mlmodel");
        coreml.write(original, out);
        CoreMlModelProto.Model before = CoreMlModelProto.Model.parseFrom(Files.readAllBytes(in));
        CoreMlModelProto.Model after = CoreMlModelProto.Model.parseFrom(Files.readAllBytes(out));
        assertEquals(before.getMlProgram(), after.getMlProgram(), "program: ops, names, types, blocks, attributes");
        assertEquals(before.getDescription(), after.getDescription());
        assertEquals(before.getSpecificationVersion(), after.getSpecificationVersion());

        Model again = coreml.read(out);
        assertEquals(CoreMlRoundTripTest.describe(original.graph()), CoreMlRoundTripTest.describe(again.graph()));
        // x = [0.5, -3]: cond takes the then branch (x + [1, 2]), the loop doubles three times.
        java.util.Map<String, TensorData> inputs = java.util.Map.of("x", TensorData.ofFloats(new long[] {2}, 0.5f, -3f));
        for (Model m : List.of(original, again)) {
            TensorData y = new dev.pare.compiler.coreml.eval.MilInterpreter(m.graph()).run(inputs).get("w_v");
            assertEquals(List.of(12f, -8f), List.of(y.bytes().getFloat(0), y.bytes().getFloat(4)));
        }
        Graph then = again.graph().node("r").orElseThrow().subgraphs().get(0);
        MilProto.Block attributes = MilProto.Block.parseFrom(
                java.util.Base64.getDecoder().decode(then.metadata().get(CoreMlKeys.BLOCK_ATTRIBUTES)));
        assertEquals(java.util.Map.of("note", MilValueEncoder.string("then branch")), attributes.getAttributesMap());
    }

    @Test
    void theElseBranchRunsWhenPredIsFalse() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model original = coreml.read(nestedModel(false));
        Path out = tmp.resolve("else.mlmodel");
        coreml.write(original, out);
        java.util.Map<String, TensorData> inputs = java.util.Map.of("x", TensorData.ofFloats(new long[] {2}, 0.5f, -3f));
        TensorData y = new dev.pare.compiler.coreml.eval.MilInterpreter(coreml.read(out).graph()).run(inputs).get("w_v");
        assertEquals(List.of(4f, 0f), List.of(y.bytes().getFloat(0), y.bytes().getFloat(4)));
    }

    @Test
    void theModelExecutorRunsAProgramWithBlocks() throws Exception {
        // what pare compare and calibration use: such a graph is run as it is (not copied)
        Model m = new CoreMlFormat().read(nestedModel());
        java.util.Map<String, TensorData> inputs = java.util.Map.of("x", TensorData.ofFloats(new long[] {2}, 0.5f, -3f));
        try (dev.pare.spi.ModelExecutor.Session s = new dev.pare.compiler.coreml.eval.MilModelExecutor().open(m.graph(), List.of())) {
            TensorData y = s.run(inputs).get("w_v");
            assertEquals(List.of(12f, -8f), List.of(y.bytes().getFloat(0), y.bytes().getFloat(4)));
        }
    }

    @Test
    void aPareOpInsideANestedBlockIsRefused() throws Exception {
        CoreMlFormat coreml = new CoreMlFormat();
        Model m = coreml.read(nestedModel());
        Graph body = m.graph().node("w").orElseThrow().subgraphs().get(1);
        Value lut = body.rewriter().addConstant("lut", TensorData.ofFloats(new long[] {1, 2, 1}, 0f, 1f));
        Value idx = body.rewriter().addConstant("idx", TensorData.of(TensorType.of(DType.UINT1), new byte[] {1}));
        body.rewriter().createNode("dense", "pare.lut_to_dense", List.of(idx, lut), List.of("dense"),
                List.of(TensorType.of(DType.FLOAT32)), Attributes.builder().build(), dev.pare.ir.Location.UNKNOWN);
        Path out = tmp.resolve("pare.mlmodel");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoweredCoreMl.write(m, out));
        assertEquals(out + ": nested block 'w_block1' of node 'w': node 'dense' is pare.lut_to_dense; the Core ML "
                + "lowering handles pare.* ops only in a function's top-level block", e.getMessage());
        assertFalse(Files.exists(out));
    }
}
