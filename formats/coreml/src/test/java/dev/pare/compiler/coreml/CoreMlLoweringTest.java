package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.CoreMlLowering;
import dev.pare.compiler.coreml.lower.CoreMlLoweringException;
import dev.pare.compiler.coreml.lower.LoweredCoreMl;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each pare.* op lowers to the constexpr ops of the target, with the parameter dtypes, shapes and
 * storage (blob, immediate, or a binding to another op's output) that coremltools 9.0 wrote for the
 * same kind of weight in the fixture packages.
 */
class CoreMlLoweringTest {

    @TempDir Path tmp;

    private static final long[] CONV_W = {64, 64, 1, 1};

    // ---- signatures -------------------------------------------------------------------------

    /** "param -> DTYPE[shape] storage" of an op we wrote (attributes or inputs), plus its outputs. */
    static Map<String, String> signature(MilProto.Operation op) {
        Map<String, String> sig = new TreeMap<>();
        op.getAttributesMap().forEach((k, v) -> { if (!k.equals("name")) sig.put(k, describe(v)); });
        op.getInputsMap().forEach((k, a) -> sig.put(k, a.getArgumentsList().stream()
                .map(b -> b.hasValue() ? describe(b.getValue()) : "var").collect(Collectors.joining(","))));
        List<String> outs = new ArrayList<>();
        for (MilProto.NamedValueType o : op.getOutputsList()) outs.add(type(o.getType().getTensorType()));
        sig.put("->", String.join(",", outs));
        return sig;
    }

    private static String describe(MilProto.Value v) {
        return type(v.getType().getTensorType()) + (v.hasBlobFileValue() ? " blob" : " immediate");
    }

    private static String type(MilProto.TensorType t) {
        return t.getDataType() + t.getDimensionsList().stream().map(d -> Long.toString(d.getConstant().getSize()))
                .collect(Collectors.joining(",", "[", "]"));
    }

    /** The same signature of a fixture op, read from its expected.json. */
    @SuppressWarnings("unchecked")
    static Map<String, String> fixtureSignature(String fixture, String opName) throws Exception {
        CoreMlFixtures.Row row = CoreMlFixtures.PACKAGES.stream().filter(r -> r.name().equals(fixture)).findFirst().orElseThrow();
        Map<String, Object> main = (Map<String, Object>) CoreMlFixtures.expected(row).get("main");
        for (Object o : (List<Object>) main.get("ops")) {
            Map<String, Object> op = (Map<String, Object>) o;
            if (!op.get("name").equals(opName)) continue;
            Map<String, String> sig = new TreeMap<>();
            Map<String, Object> attrs = (Map<String, Object>) op.getOrDefault("attributes", Map.of());
            attrs.forEach((k, v) -> { if (!k.equals("name")) sig.put(k, fixtureValue((Map<String, Object>) v)); });
            Map<String, Object> inputs = (Map<String, Object>) op.getOrDefault("inputs", Map.of());
            inputs.forEach((k, v) -> sig.put(k, ((List<Object>) v).stream()
                    .map(b -> b instanceof Map ? fixtureValue((Map<String, Object>) ((Map<String, Object>) b).get("inline_value")) : "var")
                    .collect(Collectors.joining(","))));
            List<String> outs = new ArrayList<>();
            for (Object out : (List<Object>) op.get("outputs")) outs.add(fixtureType((Map<String, Object>) out));
            sig.put("->", String.join(",", outs));
            sig.put("type", (String) op.get("type"));
            return sig;
        }
        throw new AssertionError("no op " + opName + " in " + fixture);
    }

    @SuppressWarnings("unchecked")
    private static String fixtureType(Map<String, Object> v) {
        return v.get("dtype") + ((List<Object>) v.get("shape")).stream().map(Object::toString).collect(Collectors.joining(",", "[", "]"));
    }

    private static String fixtureValue(Map<String, Object> v) {
        return fixtureType(v) + " " + v.get("storage");
    }

    /** The ops we wrote, without const ops and the consumer (the weight's constexpr chain). */
    private List<MilProto.Operation> write(MilGraphs g, String target) throws Exception {
        g.target(target);
        Path out = tmp.resolve(target + "-" + System.nanoTime() + ".mlpackage");
        LoweredCoreMl.write(g.model, out);
        MlPackage pkg = MlPackage.read(out);
        CoreMlTarget t = CoreMlTarget.parse(target).orElseThrow();
        assertEquals(t.specificationVersion(), pkg.model().getSpecificationVersion());
        MilProto.Function main = pkg.program().getFunctionsOrThrow("main");
        assertEquals(t.opset(), main.getOpset());
        List<MilProto.Operation> chain = new ArrayList<>();
        for (MilProto.Operation op : main.getBlockSpecializationsOrThrow(t.opset()).getOperationsList()) {
            if (op.getType().startsWith("constexpr_") || op.getType().equals("quantize") || op.getType().equals("dequantize")) chain.add(op);
        }
        return chain;
    }

    private static Map<String, String> withType(MilProto.Operation op) {
        Map<String, String> s = signature(op);
        s.put("type", op.getType());
        return s;
    }

    // ---- fixture comparisons ----------------------------------------------------------------

    @Test
    void palettized4BitPerTensorIos16LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.lut("W", MilGraphs.packed(DType.UINT4, CONV_W, MilGraphs.cycle(4096, 16)),
                MilGraphs.f16(new long[]{1, 1, 1, 1, 16, 1}, 16, -1f), DType.FLOAT16, CONV_W, null));
        List<MilProto.Operation> ops = write(g, "ios16");
        assertEquals(1, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_pal4_ios16", "const_8_to_fp16_palettized"), withType(ops.get(0)));
    }

    @Test
    void int8PerChannelIos16LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.affine("W", MilGraphs.bytes(DType.INT8, CONV_W, MilGraphs.cycle(4096, 100)),
                MilGraphs.f16(new long[]{64, 1, 1, 1}, 64, 0.01f), MilGraphs.bytes(DType.INT8, new long[]{64, 1, 1, 1}, MilGraphs.cycle(64, 3))));
        List<MilProto.Operation> ops = write(g, "ios16");
        assertEquals(1, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_int8_ios16", "const_8_to_fp16_quantized"), withType(ops.get(0)));
    }

    @Test
    void prunedIos16LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        long[] bits = new long[4096];
        for (int i = 1; i < 4094; i += 2) bits[i] = 1;   // 2047 kept, as in the fixture
        TensorData mask = MilGraphs.packed(DType.UINT1, CONV_W, bits);
        g.conv(g.sparse("W", mask, g.constant("W_nz", MilGraphs.f16(new long[]{2047}, 2047, 0.5f))));
        List<MilProto.Operation> ops = write(g, "ios16");
        assertEquals(1, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_prune50_ios16", "const_8_to_fp16_sparsified"), withType(ops.get(0)));
    }

    @Test
    void groupedPalettizationIos18LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.lut("W", MilGraphs.packed(DType.UINT4, CONV_W, MilGraphs.cycle(4096, 16)),
                MilGraphs.f32(new long[]{4, 1, 1, 1, 16, 1}, 64, -1f), DType.FLOAT32, CONV_W, null));
        List<MilProto.Operation> ops = write(g, "ios18");
        assertEquals(1, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_pal4g16_ios18", "const_8_palettized"), withType(ops.get(0)));
    }

    @Test
    void int4PerBlockIos18LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(512);
        long[] shape = {10, 512};
        long[] q = MilGraphs.cycle(5120, 15);
        for (int i = 0; i < q.length; i++) q[i] -= 7;
        g.linear(g.affine("W", MilGraphs.packed(DType.INT4, shape, q), MilGraphs.f32(new long[]{10, 16}, 160, 0.01f), null),
                g.constant("b", MilGraphs.f32(new long[]{10}, 10, 0f)));
        List<MilProto.Operation> ops = write(g, "ios18");
        assertEquals(1, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_int4b32_ios18", "fc_weight_quantized"), withType(ops.get(0)));
    }

    @Test
    void jointSparsePalettizedIos18LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(512);
        long[] shape = {10, 512};
        TensorData mask = MilGraphs.mask(shape, 2);           // every other element kept: 2560
        assertEquals(2560, MilGraphs.kept(mask));
        Value dense = g.lut("W_pal", MilGraphs.packed(DType.UINT4, shape, MilGraphs.cycle(5120, 16)),
                MilGraphs.f32(new long[]{1, 1, 16, 1}, 16, -1f), DType.FLOAT32, shape, null);
        g.linear(g.sparse("W", mask, dense), g.constant("b", MilGraphs.f32(new long[]{10}, 10, 0f)));
        List<MilProto.Operation> ops = write(g, "ios18");
        assertEquals(2, ops.size());
        assertEquals(fixtureSignature("mnist_dwnet_joint_prune_pal_ios18", "fc_weight_sparsified_nonzero_data_0_palettized"),
                withType(ops.get(0)));
        assertEquals(fixtureSignature("mnist_dwnet_joint_prune_pal_ios18", "fc_weight_sparsified"), withType(ops.get(1)));
        // the sparse op reads the two outputs of lut_to_sparse
        assertEquals(ops.get(0).getOutputs(0).getName(), ops.get(1).getInputsOrThrow("mask").getArguments(0).getName());
        assertEquals(ops.get(0).getOutputs(1).getName(), ops.get(1).getInputsOrThrow("nonzero_data").getArguments(0).getName());
    }

    @Test
    void activationQuantizationIos17LikeFixture() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 16, 64});
        TensorType f = TensorType.of(DType.FLOAT32, 1, 16, 64);
        Value scale = g.constant("s", TensorData.ofFloats(new long[0], 0.0333f));
        Value zp = g.constant("zp", MilGraphs.bytes(DType.INT8, new long[0], new long[]{0}));
        Value q = g.op("q", "pare.quantize", List.of(g.input(), scale, zp), f.withDType(DType.INT8), Attributes.empty());
        Value dq = g.op("dq", "pare.dequantize", List.of(q, scale, zp), f, Attributes.empty());
        g.rw.addOutput(g.op("y", "mil.relu", List.of(dq), f,
                Attributes.of(Map.of("params", dev.pare.ir.MilParams.attribute(List.of("x"))))));
        List<MilProto.Operation> ops = write(g, "ios17");
        assertEquals(List.of("quantize", "dequantize"), ops.stream().map(MilProto.Operation::getType).toList());
        Map<String, String> quantize = fixtureSignature("block_w8a8_ios17", "quantize_0");
        Map<String, String> dequantize = fixtureSignature("block_w8a8_ios17", "dequantize_0");
        // same parameters bound the same way (to const ops); the fixture model is f16, ours f32
        assertEquals(quantize.keySet(), withType(ops.get(0)).keySet());
        assertEquals("var", signature(ops.get(0)).get("scale"));
        assertEquals("INT8[1,16,64]", signature(ops.get(0)).get("->"));
        assertEquals(dequantize.keySet(), withType(ops.get(1)).keySet());
        assertEquals("FLOAT32[1,16,64]", signature(ops.get(1)).get("->"));
    }

    // ---- the same weight on other targets ---------------------------------------------------

    private static MilGraphs pal4() {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.lut("W", MilGraphs.packed(DType.UINT4, CONV_W, MilGraphs.cycle(4096, 16)),
                MilGraphs.f16(new long[]{1, 1, 1, 1, 16, 1}, 16, -1f), DType.FLOAT16, CONV_W, null));
        return g;
    }

    @Test
    void palettizedPerTensorOnEachTarget() throws Exception {
        assertEquals(withType(write(pal4(), "ios16").get(0)), withType(write(pal4(), "ios17").get(0)));
        assertEquals(Map.of("type", "constexpr_lut_to_dense", "indices", "UINT4[64,64,1,1] blob",
                "lut", "FLOAT16[1,1,1,1,16,1] blob", "->", "FLOAT16[64,64,1,1]"), withType(write(pal4(), "ios18").get(0)));
    }

    @Test
    void threeBitAndVectorPalettizationIos18() throws Exception {
        MilGraphs g = new MilGraphs(8);
        g.linear(g.lut("W", MilGraphs.packed(DType.UINT3, new long[]{4, 8}, MilGraphs.cycle(32, 8)),
                MilGraphs.f32(new long[]{1, 1, 8, 1}, 8, -1f), DType.FLOAT32, new long[]{4, 8}, null),
                g.constant("b", MilGraphs.f32(new long[]{4}, 4, 0f)));
        // 8 LUT entries are fewer than 10: immediate, as coremltools writes them
        assertEquals(Map.of("type", "constexpr_lut_to_dense", "indices", "UINT3[4,8] blob", "lut", "FLOAT32[1,1,8,1] immediate",
                "->", "FLOAT32[4,8]"), withType(write(g, "ios18").get(0)));

        MilGraphs v = new MilGraphs(128);
        v.linear(v.lut("W", MilGraphs.packed(DType.UINT2, new long[]{64, 128}, MilGraphs.cycle(8192, 4)),
                MilGraphs.f32(new long[]{1, 1, 4, 4}, 16, -1f), DType.FLOAT32, new long[]{256, 128}, 0),
                v.constant("b", MilGraphs.f32(new long[]{256}, 256, 0f)));
        assertEquals(Map.of("type", "constexpr_lut_to_dense", "indices", "UINT2[64,128] blob", "lut", "FLOAT32[1,1,4,4] blob",
                "vector_axis", "INT32[] immediate", "->", "FLOAT32[256,128]"), withType(write(v, "ios18").get(0)));
    }

    @Test
    void int8PerChannelIos18IsBlockwiseShiftScaleWithoutZeroOffset() throws Exception {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.affine("W", MilGraphs.bytes(DType.INT8, CONV_W, MilGraphs.cycle(4096, 100)),
                MilGraphs.f16(new long[]{64, 1, 1, 1}, 64, 0.01f), MilGraphs.bytes(DType.INT8, new long[]{64, 1, 1, 1}, new long[64])));
        assertEquals(Map.of("type", "constexpr_blockwise_shift_scale", "data", "INT8[64,64,1,1] blob",
                "scale", "FLOAT16[64,1,1,1] blob", "->", "FLOAT16[64,64,1,1]"), withType(write(g, "ios18").get(0)));
    }

    @Test
    void uint8WithOffsetIos18KeepsOffset() throws Exception {
        MilGraphs g = new MilGraphs(16);
        g.linear(g.affine("W", MilGraphs.bytes(DType.UINT8, new long[]{8, 16}, MilGraphs.cycle(128, 250)),
                MilGraphs.f32(new long[]{1, 1}, 1, 0.01f), MilGraphs.bytes(DType.UINT8, new long[]{1, 1}, new long[]{128})),
                g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        assertEquals(Map.of("type", "constexpr_blockwise_shift_scale", "data", "UINT8[8,16] blob", "scale", "FLOAT32[1,1] immediate",
                "offset", "UINT8[1,1] immediate", "->", "FLOAT32[8,16]"), withType(write(g, "ios18").get(0)));
    }

    @Test
    void perTensorInt8Ios16HasScalarScaleAndZeroPoint() throws Exception {
        MilGraphs g = new MilGraphs(16);
        g.linear(g.affine("W", MilGraphs.bytes(DType.UINT8, new long[]{8, 16}, MilGraphs.cycle(128, 250)),
                MilGraphs.f32(new long[]{1, 1}, 1, 0.01f), null), g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        assertEquals(Map.of("type", "constexpr_affine_dequantize", "quantized_data", "UINT8[8,16] blob", "scale", "FLOAT32[] immediate",
                "zero_point", "UINT8[] immediate", "axis", "INT32[] immediate", "->", "FLOAT32[8,16]"), withType(write(g, "ios16").get(0)));
    }

    @Test
    void sparseIos18HasUint1Mask() throws Exception {
        MilGraphs g = new MilGraphs(16);
        TensorData mask = MilGraphs.mask(new long[]{8, 16}, 4);
        g.linear(g.sparse("W", mask, g.constant("W_nz", MilGraphs.f32(new long[]{MilGraphs.kept(mask)}, 96, 1f))),
                g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        assertEquals(Map.of("type", "constexpr_sparse_to_dense", "mask", "UINT1[8,16] blob", "nonzero_data", "FLOAT32[96] blob",
                "->", "FLOAT32[8,16]"), withType(write(g, "ios18").get(0)));
    }

    @Test
    void jointSparseQuantizedIos18() throws Exception {
        MilGraphs g = new MilGraphs(16);
        long[] shape = {8, 16};
        TensorData mask = MilGraphs.mask(shape, 4);
        Value q = g.affine("W_q", MilGraphs.bytes(DType.INT8, shape, MilGraphs.cycle(128, 100)), MilGraphs.f32(new long[]{8, 1}, 8, 0.01f), null);
        g.linear(g.sparse("W", mask, q), g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        List<MilProto.Operation> ops = write(g, "ios18");
        assertEquals(Map.of("type", "constexpr_sparse_blockwise_shift_scale", "data_mask", "UINT1[8,16] blob",
                "nonzero_data", "INT8[96] blob", "scale", "FLOAT32[8,1] immediate", "->", "UINT1[8,16],FLOAT32[96]"), withType(ops.get(0)));
        assertEquals(Map.of("type", "constexpr_sparse_to_dense", "mask", "var", "nonzero_data", "var", "->", "FLOAT32[8,16]"),
                withType(ops.get(1)));
    }

    @Test
    void palettizedWithPerChannelScaleIos18ScalesTheLutFirst() throws Exception {
        MilGraphs g = new MilGraphs(16);
        long[] shape = {8, 16};
        Value pal = g.lut("W_pal", MilGraphs.packed(DType.UINT4, shape, MilGraphs.cycle(128, 16)),
                MilGraphs.f32(new long[]{1, 1, 16, 1}, 16, -1f), DType.FLOAT32, shape, null);
        Value scaled = g.op("W", "pare.affine_dequantize", List.of(pal, g.constant("W_pcs", MilGraphs.f32(new long[]{8, 1}, 8, 0.5f))),
                TensorType.of(DType.FLOAT32, shape), Attributes.empty());
        g.linear(scaled, g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        List<MilProto.Operation> ops = write(g, "ios18");
        // Core ML Tools' order below iOS26 (ir/MIL_DIALECT.md, Constexpr ops): the LUT repeated per scale row, scaled, then looked up.
        assertEquals(List.of("constexpr_blockwise_shift_scale", "constexpr_lut_to_dense"), ops.stream().map(MilProto.Operation::getType).toList());
        assertEquals(Map.of("data", "FLOAT32[8,1,16,1] blob", "scale", "FLOAT32[8,1,1,1] immediate", "->", "FLOAT32[8,1,16,1]"),
                signature(ops.get(0)));
        assertEquals(Map.of("indices", "UINT4[8,16] blob", "lut", "var", "->", "FLOAT32[8,16]"), signature(ops.get(1)));
    }

    // ---- refusals -----------------------------------------------------------------------------

    /** The lower_to_coreml refusal for the target (a pass diagnostic now; the writer is never reached). */
    private String refused(MilGraphs g, String target) {
        g.target(target);
        CoreMlLoweringException e = assertThrows(CoreMlLoweringException.class, () -> CoreMlLowering.lowerInPlace(g.model));
        assertTrue(g.model.graph().nodes().stream().anyMatch(n -> n.op().startsWith("pare.")), "the refused op stays");
        return e.getMessage();
    }

    @Test
    void threeBitNeedsIos18() {
        MilGraphs g = new MilGraphs(8);
        g.linear(g.lut("conv1.weight", MilGraphs.packed(DType.UINT3, new long[]{4, 8}, MilGraphs.cycle(32, 8)),
                MilGraphs.f32(new long[]{1, 1, 8, 1}, 8, -1f), DType.FLOAT32, new long[]{4, 8}, null),
                g.constant("b", MilGraphs.f32(new long[]{4}, 4, 0f)));
        assertEquals("weight 'conv1.weight' (node y): 3-bit palettization needs --target ios18 or later "
                + "(iOS16/17 constexpr_lut_to_dense allows LUT sizes 2, 4, 16, 64, 256)", refused(g, "ios16"));
    }

    @Test
    void groupedAndVectorPalettizationNeedIos18() {
        MilGraphs g = new MilGraphs(new long[]{1, 64, 1, 1});
        g.conv(g.lut("W", MilGraphs.packed(DType.UINT4, CONV_W, MilGraphs.cycle(4096, 16)),
                MilGraphs.f32(new long[]{4, 1, 1, 1, 16, 1}, 64, -1f), DType.FLOAT32, CONV_W, null));
        assertEquals("weight 'W' (node y): per-grouped-channel palettization (LUT shape f32[4,1,1,1,16,1]) needs --target ios18 or later "
                + "(iOS16/17 constexpr_lut_to_dense has one scalar LUT per weight)", refused(g, "ios17"));

        MilGraphs v = new MilGraphs(128);
        v.linear(v.lut("V", MilGraphs.packed(DType.UINT2, new long[]{64, 128}, MilGraphs.cycle(8192, 4)),
                MilGraphs.f32(new long[]{1, 1, 4, 4}, 16, -1f), DType.FLOAT32, new long[]{256, 128}, 0),
                v.constant("b", MilGraphs.f32(new long[]{256}, 256, 0f)));
        assertEquals("weight 'V' (node y): vector palettization (cluster_dim 4) needs --target ios18 or later "
                + "(iOS16/17 constexpr_lut_to_dense has one scalar LUT per weight)", refused(v, "ios16"));
    }

    @Test
    void int4AndPerBlockQuantizationNeedIos18() {
        MilGraphs g = new MilGraphs(64);
        long[] q = MilGraphs.cycle(640, 8);
        g.linear(g.affine("W", MilGraphs.packed(DType.INT4, new long[]{10, 64}, q), MilGraphs.f32(new long[]{10, 1}, 10, 0.01f), null),
                g.constant("b", MilGraphs.f32(new long[]{10}, 10, 0f)));
        assertEquals("weight 'W' (node y): i4 quantization needs --target ios18 or later "
                + "(iOS16/17 constexpr_affine_dequantize takes i8/u8 data, per tensor or per channel)", refused(g, "ios17"));

        MilGraphs b = new MilGraphs(64);
        b.linear(b.affine("W", MilGraphs.bytes(DType.INT8, new long[]{10, 64}, MilGraphs.cycle(640, 100)),
                MilGraphs.f32(new long[]{10, 2}, 20, 0.01f), null), b.constant("b", MilGraphs.f32(new long[]{10}, 10, 0f)));
        assertEquals("weight 'W' (node y): per-block quantization (scale shape f32[10,2] for i8[10,64]) needs --target ios18 or later "
                + "(iOS16/17 constexpr_affine_dequantize takes i8/u8 data, per tensor or per channel)", refused(b, "ios16"));
    }

    @Test
    void partialLastBlocksAreReblockedLosslessly() throws Exception {
        // 40 elements in blocks of 16 (16 + 16 + 8): Core ML blocks must divide the axis, so the
        // writer uses blocks of gcd(16, 40) = 8 with each scale repeated: [s0 s0 s1 s1 s2].
        MilGraphs g = new MilGraphs(40);
        TensorData data = MilGraphs.bytes(DType.INT8, new long[]{4, 40}, MilGraphs.cycle(160, 100));
        TensorData scale = TensorData.ofFloats(new long[]{4, 3}, 0.5f, 0.25f, 2f, 1f, 3f, 0.125f, 4f, 8f, 0.75f, 1.5f, 6f, 0.0625f);
        Value d = g.constant("W_q", data);
        Value s = g.constant("W_scale", scale);
        Value w = g.op("W", "pare.affine_dequantize", List.of(d, s), TensorType.of(DType.FLOAT32, 4, 40),
                Attributes.builder().put("block_sizes", dev.pare.ir.Attribute.ofInts(1, 16)).build());
        g.linear(w, g.constant("b", MilGraphs.f32(new long[]{4}, 4, 0f)));
        List<MilProto.Operation> chain = write(g, "ios18");
        assertEquals(1, chain.size());
        assertEquals("constexpr_blockwise_shift_scale", chain.get(0).getType());
        Map<String, String> sig = signature(chain.get(0));
        assertEquals("INT8[4,40] blob", sig.get("data"));
        assertEquals("FLOAT32[4,5] blob", sig.get("scale"));

        TensorData intended = dev.pare.ir.PareDialectEvaluator.affineDequantize(data, scale, null, new long[]{1, 16});
        Path out = tmp.resolve("reblocked.mlpackage");
        LoweredCoreMl.write(g.model, out);
        dev.pare.ir.Model read = new CoreMlFormat().read(out);
        dev.pare.ir.Node constexpr = read.graph().nodes().stream()
                .filter(n -> n.op().equals("mil.constexpr_blockwise_shift_scale")).findFirst().orElseThrow();
        TensorData written = dev.pare.ir.MilConstexprEvaluator.evaluate(constexpr, Value::data).get(0);
        assertEquals(intended.bytes(), written.bytes());
    }

    @Test
    void jointCompressionNeedsIos18() {
        MilGraphs g = new MilGraphs(16);
        long[] shape = {8, 16};
        Value q = g.affine("W_q", MilGraphs.bytes(DType.INT8, shape, MilGraphs.cycle(128, 100)), MilGraphs.f32(new long[]{8, 1}, 8, 0.01f), null);
        g.linear(g.sparse("W", MilGraphs.mask(shape, 4), q), g.constant("b", MilGraphs.f32(new long[]{8}, 8, 0f)));
        assertEquals("weight 'W' (node y): joint sparse + quantized compression needs --target ios18 or later "
                + "(iOS16/17 constexpr_sparse_to_dense takes the kept values as a constant)", refused(g, "ios17"));
    }

    @Test
    void activationQuantizationNeedsIos17() {
        MilGraphs g = new MilGraphs(16);
        TensorType f = TensorType.of(DType.FLOAT32, 1, 16);
        Value q = g.op("q", "pare.quantize", List.of(g.input(), g.constant("s", TensorData.ofFloats(new long[0], 0.1f)),
                g.constant("zp", MilGraphs.bytes(DType.INT8, new long[0], new long[]{0}))), f.withDType(DType.INT8), Attributes.empty());
        g.rw.addOutput(q);
        assertEquals("node 'q' (pare.quantize): activation quantization needs --target ios17 or later "
                + "(Core ML quantize/dequantize ops start at iOS17)", refused(g, "ios16"));
    }
}
