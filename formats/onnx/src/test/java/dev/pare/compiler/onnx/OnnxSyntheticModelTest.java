package dev.pare.compiler.onnx;

import static dev.pare.compiler.onnx.Protos.entry;
import static dev.pare.compiler.onnx.Protos.floats;
import static dev.pare.compiler.onnx.Protos.intAttr;
import static dev.pare.compiler.onnx.Protos.longs;
import static dev.pare.compiler.onnx.Protos.node;
import static dev.pare.compiler.onnx.Protos.opset;
import static dev.pare.compiler.onnx.Protos.tensorInfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.pare.compiler.onnx.proto.OnnxProto.FunctionProto;
import dev.pare.compiler.onnx.proto.OnnxProto.GraphProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ModelProto;
import dev.pare.compiler.onnx.proto.OnnxProto.NodeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.SparseTensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorAnnotation;
import dev.pare.compiler.onnx.proto.OnnxProto.TensorProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TrainingInfoProto;
import dev.pare.compiler.onnx.proto.OnnxProto.TypeProto;
import dev.pare.compiler.onnx.proto.OnnxProto.ValueInfoProto;
import dev.pare.compiler.testing.ProtoDiff;
import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.Dim;
import dev.pare.ir.Graph;
import dev.pare.ir.Model;
import dev.pare.ir.Node;
import dev.pare.ir.SparseData;
import dev.pare.ir.StringData;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.ir.Verifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built models that use every ONNX feature the reader must keep. */
class OnnxSyntheticModelTest {

    @TempDir Path tmp;

    private static TensorProto typed(String name, int dataType, long[] dims, TensorProto.Builder data) {
        data.setName(name).setDataType(dataType);
        for (long d : dims) data.addDims(d);
        return data.build();
    }

    private static SparseTensorProto sparse(String name, long[] dims, float[] values, long[] indexShape, long... indices) {
        SparseTensorProto.Builder s = SparseTensorProto.newBuilder()
                .setValues(floats(name, new long[] {values.length}, values))
                .setIndices(longs("", indexShape, indices));
        for (long d : dims) s.addDims(d);
        return s.build();
    }

    private static GraphProto branch(String name, String outerInput, String out) {
        return GraphProto.newBuilder().setName(name)
                .addNode(node(name + "_relu", "Relu", List.of(outerInput), List.of(out)))
                .addOutput(tensorInfo(out, 1, "N", 4))
                .build();
    }

    /** A model that touches every attribute kind, storage form and container field. */
    static ModelProto everything() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("main").setDocString("the main graph");
        g.addInput(tensorInfo("x", 1, "N", 4).toBuilder().setDocString("input doc").build());
        g.addInput(tensorInfo("w_default", 1, 4));
        g.addInput(tensorInfo("cond", 9));

        // initializers in many storage forms
        g.addInitializer(floats("big", new long[] {2, 16}, new float[32]));
        g.addInitializer(floats("w_default", new long[] {4}, 1f, -2f, 3.5f, 0f));
        g.addInitializer(typed("f_typed", 1, new long[] {2, 2}, TensorProto.newBuilder().addFloatData(1.5f)
                .addFloatData(-0f).addFloatData(Float.NaN).addFloatData(7f)));
        g.addInitializer(typed("h16", 10, new long[] {3}, TensorProto.newBuilder().addInt32Data(0x3C00)
                .addInt32Data(0xC000).addInt32Data(0x7BFF)));
        g.addInitializer(typed("bf16", 16, new long[] {2}, TensorProto.newBuilder().addInt32Data(0x3F80).addInt32Data(0xBF00)));
        g.addInitializer(typed("i4", 22, new long[] {5}, TensorProto.newBuilder().addInt32Data(0x8F).addInt32Data(0x21).addInt32Data(0x07)));
        g.addInitializer(typed("u4_raw", 21, new long[] {3}, TensorProto.newBuilder().setRawData(ByteString.copyFrom(new byte[] {0x21, 0x0F}))));
        g.addInitializer(typed("strings", 8, new long[] {3}, TensorProto.newBuilder().addStringData(ByteString.copyFromUtf8("a"))
                .addStringData(ByteString.copyFromUtf8("b\u00e9")).addStringData(ByteString.copyFrom(new byte[] {(byte) 0xFF, 0}))));
        g.addInitializer(typed("flags", 9, new long[] {3}, TensorProto.newBuilder().addInt32Data(1).addInt32Data(0).addInt32Data(1)));
        g.addInitializer(typed("flags_raw", 9, new long[] {2}, TensorProto.newBuilder().setRawData(ByteString.copyFrom(new byte[] {0, 1}))));
        g.addInitializer(typed("i8", 3, new long[] {2}, TensorProto.newBuilder().addInt32Data(-5).addInt32Data(7)));
        g.addInitializer(typed("u16", 4, new long[] {2}, TensorProto.newBuilder().addInt32Data(65535).addInt32Data(3)));
        g.addInitializer(typed("f64", 11, new long[] {2}, TensorProto.newBuilder().addDoubleData(Math.PI).addDoubleData(-1e300)));
        g.addInitializer(typed("i64", 7, new long[] {2}, TensorProto.newBuilder().addInt64Data(Long.MIN_VALUE).addInt64Data(42)));
        g.addInitializer(typed("u32", 12, new long[] {1}, TensorProto.newBuilder().addUint64Data(4000000000L)));
        g.addInitializer(typed("u64", 13, new long[] {1}, TensorProto.newBuilder().addUint64Data(-1L)));
        g.addInitializer(typed("c64", 14, new long[] {1}, TensorProto.newBuilder().addFloatData(1f).addFloatData(-1f)));
        g.addInitializer(typed("empty", 1, new long[] {0, 3}, TensorProto.newBuilder()));
        g.addInitializer(floats("documented", new long[] {1}, 9f).toBuilder().setDocString("tensor doc")
                .addMetadataProps(entry("origin", "test")).build());
        g.addSparseInitializer(sparse("sp_linear", new long[] {3, 4}, new float[] {1f, 2f, 3f}, new long[] {3}, 0, 5, 11));
        g.addSparseInitializer(sparse("sp_coords", new long[] {3, 4}, new float[] {4f, 5f}, new long[] {2, 2}, 0, 1, 2, 3));

        // nodes: Constant forms, a custom domain op with every attribute kind, subgraphs, odd names
        g.addNode(node("c_tensor", "Constant", List.of(), List.of("c1"), AttributeProto.newBuilder().setName("value")
                .setType(AttributeType.TENSOR).setT(floats("c1_value", new long[] {2}, 1f, 2f)).build()));
        g.addNode(node("c_float", "Constant", List.of(), List.of("c2"), AttributeProto.newBuilder().setName("value_float")
                .setType(AttributeType.FLOAT).setF(0.25f).build()));
        g.addNode(node("c_ints", "Constant", List.of(), List.of("c3"), AttributeProto.newBuilder().setName("value_ints")
                .setType(AttributeType.INTS).addInts(1).addInts(-2).build()));
        TypeProto seqType = TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder()
                .setElemType(tensorInfo("", 1).getType())).build();
        NodeProto.Builder custom = node("custom", "Custom", List.of("x", "", "c1"), List.of("y_custom", ""),
                AttributeProto.newBuilder().setName("f").setType(AttributeType.FLOAT).setF(-0f).build(),
                intAttr("i", -7),
                AttributeProto.newBuilder().setName("s").setType(AttributeType.STRING).setS(ByteString.copyFromUtf8("text")).build(),
                AttributeProto.newBuilder().setName("s_binary").setType(AttributeType.STRING).setS(ByteString.copyFrom(new byte[] {(byte) 0xC3, 0x28})).build(),
                AttributeProto.newBuilder().setName("t").setType(AttributeType.TENSOR).setT(longs("t_value", new long[] {2}, 3, 4)).build(),
                AttributeProto.newBuilder().setName("g").setType(AttributeType.GRAPH).setG(branch("attr_graph", "x", "g_out")).build(),
                AttributeProto.newBuilder().setName("floats").setType(AttributeType.FLOATS).addFloats(1f).addFloats(2.5f).build(),
                AttributeProto.newBuilder().setName("ints").setType(AttributeType.INTS).build(),
                AttributeProto.newBuilder().setName("strings").setType(AttributeType.STRINGS).addStrings(ByteString.copyFromUtf8("p"))
                        .addStrings(ByteString.copyFromUtf8("q")).build(),
                AttributeProto.newBuilder().setName("tensors").setType(AttributeType.TENSORS)
                        .addTensors(floats("", new long[] {1}, 1f)).addTensors(longs("", new long[] {0})).build(),
                AttributeProto.newBuilder().setName("graphs").setType(AttributeType.GRAPHS)
                        .addGraphs(branch("g0", "x", "g0_out")).addGraphs(branch("g1", "w_default", "g1_out")).build(),
                AttributeProto.newBuilder().setName("sparse").setType(AttributeType.SPARSE_TENSOR)
                        .setSparseTensor(sparse("sa", new long[] {4}, new float[] {7f}, new long[] {1}, 2)).build(),
                AttributeProto.newBuilder().setName("sparses").setType(AttributeType.SPARSE_TENSORS)
                        .addSparseTensors(sparse("sb", new long[] {2}, new float[] {1f}, new long[] {1}, 1)).build(),
                AttributeProto.newBuilder().setName("tp").setType(AttributeType.TYPE_PROTO).setTp(tensorInfo("", 7, 2, "K").getType()).build(),
                AttributeProto.newBuilder().setName("tps").setType(AttributeType.TYPE_PROTOS).addTypeProtos(seqType)
                        .addTypeProtos(tensorInfo("", 10).getType()).build(),
                AttributeProto.newBuilder().setName("ref").setRefAttrName("outer_alpha").setType(AttributeType.FLOAT).build(),
                AttributeProto.newBuilder().setName("documented").setType(AttributeType.INT).setI(1).setDocString("attr doc").build(),
                AttributeProto.newBuilder().setName("untyped").setI(5).build()).toBuilder();
        custom.setDomain("com.example").setDocString("node doc").setOverload("v2").addMetadataProps(entry("k", "v"))
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(10, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8("device")).build()).build());
        g.addNode(custom);
        g.addNode(node("if", "If", List.of("cond"), List.of("y_if"), AttributeProto.newBuilder().setName("then_branch")
                .setType(AttributeType.GRAPH).setG(branch("then", "x", "then_out")).build(),
                AttributeProto.newBuilder().setName("else_branch").setType(AttributeType.GRAPH)
                        .setG(branch("else", "y_custom", "else_out")).build()));
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addInput(tensorInfo("iter", 7)).addInput(tensorInfo("cond_in", 9)).addInput(tensorInfo("acc", 1, 4))
                .addNode(node("body_add", "Add", List.of("acc", "w_default"), List.of("acc_out")))
                .addNode(node("body_cond", "Identity", List.of("cond_in"), List.of("cond_out")))
                .addOutput(tensorInfo("cond_out", 9)).addOutput(tensorInfo("acc_out", 1, 4))
                .build();
        g.addNode(node("loop", "Loop", List.of("", "cond", "w_default"), List.of("y_loop"), AttributeProto.newBuilder()
                .setName("body").setType(AttributeType.GRAPH).setG(body).build()));
        g.addNode(node(null, "Relu", List.of("y_if"), List.of("r1")));
        g.addNode(node("", "Relu", List.of("r1"), List.of("r2")).toBuilder().setDomain("").build());
        g.addNode(node("dup", "Neg", List.of("r2"), List.of("r3")));
        g.addNode(node("dup", "Neg", List.of("r3"), List.of("r4")));
        g.addNode(node("Relu", "Abs", List.of("r4"), List.of("r5")));

        g.addOutput(tensorInfo("r5", 1, "N", 4).toBuilder().setDocString("output doc").build());
        g.addOutput(tensorInfo("y_loop", 1, 4));
        g.addOutput(tensorInfo("c1", 1, 2));
        g.addValueInfo(tensorInfo("r1", 1, "N", 4).toBuilder().setDocString("vi doc").build());
        g.addValueInfo(tensorInfo("not_a_value", 1, 1));
        g.addValueInfo(tensorInfo("x", 1, "N", 4));
        g.addValueInfo(tensorInfo("r2", 1, "N", "M"));
        g.addQuantizationAnnotation(TensorAnnotation.newBuilder().setTensorName("r1")
                .addQuantParameterTensorNames(entry("SCALE_TENSOR", "s")));
        g.addMetadataProps(entry("graph_key", "graph_value"));

        FunctionProto fn = FunctionProto.newBuilder().setName("MyFn").setDomain("com.example").addInput("a").addOutput("b")
                .addNode(node("fn_relu", "Relu", List.of("a"), List.of("b")))
                .addOpsetImport(opset("", 21)).build();
        TrainingInfoProto training = TrainingInfoProto.newBuilder()
                .setAlgorithm(GraphProto.newBuilder().setName("train")).build();
        return ModelProto.newBuilder()
                .setIrVersion(10).setProducerName("pare-test").setProducerVersion("1").setDomain("dev.pare")
                .setModelVersion(3).setDocString("model doc")
                .addOpsetImport(opset("", 21)).addOpsetImport(opset("com.example", 1))
                .addMetadataProps(entry("author", "me")).addMetadataProps(entry("license", "none"))
                .setGraph(g).addFunctions(fn).addTrainingInfo(training)
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(26, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8("config")).build()).build())
                .build();
    }

    private Path roundTrip(ModelProto original, String name) throws Exception {
        Path in = Protos.save(original, tmp.resolve(name + ".onnx"));
        Model model = new OnnxFormat().read(in);
        Path out = tmp.resolve(name + "-out.onnx");
        new OnnxFormat().write(model, out);
        ModelProto written = ModelProto.parseFrom(Files.readAllBytes(out));
        assertNull(ProtoDiff.firstDifference(original, written));
        assertArrayEquals(original.toByteArray(), Files.readAllBytes(out));
        return out;
    }

    @Test
    void everythingRoundTripsExactly() throws Exception {
        roundTrip(everything(), "everything");
    }

    @Test
    void writingTwiceGivesTheSameBytes() throws Exception {
        Path in = Protos.save(everything(), tmp.resolve("m.onnx"));
        Model model = new OnnxFormat().read(in);
        new OnnxFormat().write(model, tmp.resolve("a.onnx"));
        new OnnxFormat().write(model, tmp.resolve("b.onnx"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a.onnx")), Files.readAllBytes(tmp.resolve("b.onnx")));
    }

    private static byte[] bytes(TensorData d) {
        ByteBuffer b = d.bytes();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] le(int width, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            if (width == 2) b.putShort((short) v);
            else if (width == 4) b.putInt((int) v);
            else b.putLong(v);
        }
        return b.array();
    }

    @Test
    void irHoldsTheDecodedModel() throws Exception {
        Model model = new OnnxFormat().read(Protos.save(everything(), tmp.resolve("m.onnx")));
        Graph g = model.graph();
        assertEquals(List.of(), Verifier.verify(g));
        assertEquals(List.of(new Model.OpsetImport("", 21), new Model.OpsetImport("com.example", 1)), model.opsets());
        assertEquals("10", model.properties().get("ir_version"));
        assertEquals("model doc", model.properties().get("doc_string"));
        assertEquals(Map.of("author", "me", "license", "none"), model.metadataProps());
        assertEquals(List.of(20, 25, 26), model.opaqueFields().stream().map(Model.OpaqueField::fieldNumber).toList());
        assertEquals("the main graph", g.metadata().get(OnnxKeys.DOC_STRING));

        // initializer that is also an input: an input with a default
        Value wDefault = g.value("w_default").orElseThrow();
        assertEquals(Value.Kind.INPUT, wDefault.kind());
        assertArrayEquals(le(4, Float.floatToIntBits(1f), Float.floatToIntBits(-2f), Float.floatToIntBits(3.5f), 0),
                bytes(wDefault.data()));
        assertEquals("input doc", g.inputs().get(0).metadata().get(OnnxKeys.INPUT_PREFIX + "doc_string"));

        // typed fields decoded to canonical little-endian bytes; storage remembered
        TensorData h16 = g.value("h16").orElseThrow().data();
        assertEquals(TensorType.of(DType.FLOAT16, 3), h16.type());
        assertArrayEquals(le(2, 0x3C00, 0xC000, 0x7BFF), bytes(h16));
        assertEquals("int32_data", h16.annotation(OnnxKeys.STORAGE));
        assertArrayEquals(le(2, 0x3F80, 0xBF00), bytes(g.value("bf16").orElseThrow().data()));
        assertArrayEquals(new byte[] {(byte) 0x8F, 0x21, 0x07}, bytes(g.value("i4").orElseThrow().data()));
        assertArrayEquals(new byte[] {0x21, 0x0F}, bytes(g.value("u4_raw").orElseThrow().data()));
        assertEquals(OnnxKeys.RAW_DATA, g.value("u4_raw").orElseThrow().data().annotation(OnnxKeys.STORAGE));
        assertArrayEquals(new byte[] {1, 0, 1}, bytes(g.value("flags").orElseThrow().data()));
        assertArrayEquals(new byte[] {-5, 7}, bytes(g.value("i8").orElseThrow().data()));
        assertArrayEquals(le(2, 65535, 3), bytes(g.value("u16").orElseThrow().data()));
        assertArrayEquals(le(4, 4000000000L), bytes(g.value("u32").orElseThrow().data()));
        assertArrayEquals(le(8, Long.MIN_VALUE, 42), bytes(g.value("i64").orElseThrow().data()));
        assertEquals(TensorType.of(DType.FLOAT32, 0, 3), g.value("empty").orElseThrow().data().type());
        StringData strings = (StringData) g.value("strings").orElseThrow().data();
        assertArrayEquals(new byte[] {(byte) 0xFF, 0}, strings.element(2));
        assertEquals("tensor doc", g.value("documented").orElseThrow().data().annotation(OnnxKeys.DOC_STRING));

        // sparse initializers, linear and coordinate indices
        SparseData linear = (SparseData) g.value("sp_linear").orElseThrow().data();
        float[] dense = new float[12];
        linear.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dense);
        assertArrayEquals(new float[] {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3}, dense);
        SparseData coords = (SparseData) g.value("sp_coords").orElseThrow().data();
        coords.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dense);
        assertArrayEquals(new float[] {0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}, dense);

        // Constant nodes stay nodes with a tensor attribute
        Node c = g.node("c_tensor").orElseThrow();
        assertEquals("onnx.Constant", c.op());
        assertInstanceOf(Attribute.TensorAttr.class, c.attributes().get("value").orElseThrow());

        // custom domain and attribute kinds
        Node custom = g.node("custom").orElseThrow();
        assertEquals("onnx.com.example.Custom", custom.op());
        assertEquals("com.example", custom.domain());
        assertEquals("node doc", custom.metadata().get(OnnxKeys.DOC_STRING));
        assertEquals("v2", custom.metadata().get(OnnxKeys.OVERLOAD));
        assertTrue(custom.operand(1).isAbsent());
        assertTrue(custom.result(1).isAbsent());
        assertEquals(new Attribute.IntAttr(-7), custom.attributes().get("i").orElseThrow());
        assertEquals(new Attribute.RefAttr("outer_alpha", 1), custom.attributes().get("ref").orElseThrow());
        assertEquals(new Attribute.IntAttr(5), custom.attributes().get("untyped").orElseThrow());
        assertInstanceOf(Attribute.SparseTensorAttr.class, custom.attributes().get("sparse").orElseThrow());
        assertEquals(new Attribute.TypeAttr(new TensorType(DType.INT64, List.of(Dim.of(2), Dim.of("K")))),
                custom.attributes().get("tp").orElseThrow());
        assertEquals(18, custom.attributes().size());

        // subgraphs see outer values as the very same Value objects
        Node ifNode = g.node("if").orElseThrow();
        Graph then = ((Attribute.GraphAttr) ifNode.attributes().get("then_branch").orElseThrow()).value();
        assertSame(g, then.parent());
        assertSame(g.value("x").orElseThrow(), then.nodes().get(0).operand(0));
        Graph elseBranch = ((Attribute.GraphAttr) ifNode.attributes().get("else_branch").orElseThrow()).value();
        assertSame(custom.result(0), elseBranch.nodes().get(0).operand(0));
        Graph body = ((Attribute.GraphAttr) g.node("loop").orElseThrow().attributes().get("body").orElseThrow()).value();
        assertSame(wDefault, body.node("body_add").orElseThrow().operand(1));

        // empty and duplicate node names get unique IR names, originals kept
        List<String> names = g.nodes().stream().map(Node::name).toList();
        assertEquals(List.of("c_tensor", "c_float", "c_ints", "custom", "if", "loop", "Relu_1", "Relu_2", "dup", "dup_1",
                "Relu"), names);
        assertEquals("", g.node("Relu_1").orElseThrow().metadata().get(OnnxKeys.ORIGINAL_NAME));
        assertEquals("dup", g.node("dup_1").orElseThrow().metadata().get(OnnxKeys.ORIGINAL_NAME));

        // value_info: types on values, order remembered
        Value r2 = g.value("r2").orElseThrow();
        assertEquals("3", r2.metadata().get(OnnxKeys.VALUE_INFO_INDEX));
        assertEquals("[N, M]", ((TensorType) r2.type()).dims().toString());
        assertEquals("vi doc", g.value("r1").orElseThrow().metadata().get(OnnxKeys.VALUE_INFO_PREFIX + "doc_string"));
    }

    @Test
    void outOfOrderNodesAreSorted() throws Exception {
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("g")
                .addInput(tensorInfo("x", 1, 2))
                .addNode(node("second", "Relu", List.of("a"), List.of("b")))
                .addNode(node("first", "Neg", List.of("x"), List.of("a")))
                .addNode(node("third", "If", List.of("x"), List.of("c"), AttributeProto.newBuilder().setName("then_branch")
                        .setType(AttributeType.GRAPH).setG(branch("t", "late", "t_out")).build()))
                .addNode(node("late_producer", "Abs", List.of("b"), List.of("late")))
                .addOutput(tensorInfo("c", 1, 2))).build();
        Model model = new OnnxFormat().read(Protos.save(m, tmp.resolve("m.onnx")));
        assertEquals(List.of("first", "second", "late_producer", "third"),
                model.graph().nodes().stream().map(Node::name).toList());
        assertEquals(List.of(), Verifier.verify(model.graph()));
        Path out = tmp.resolve("out.onnx");
        new OnnxFormat().write(model, out);
        assertEquals(List.of("first", "second", "late_producer", "third"), ModelProto.parseFrom(Files.readAllBytes(out))
                .getGraph().getNodeList().stream().map(NodeProto::getName).toList());
    }

    @Test
    void inMemoryProtoMatchesTheFile() throws Exception {
        ModelProto original = everything();
        Model model = OnnxFormat.fromProto(original, tmp, Path.of("mem.onnx"));
        assertNull(ProtoDiff.firstDifference(original, OnnxFormat.toProto(model)));
        Path out = tmp.resolve("mem.onnx");
        new OnnxFormat().write(model, out); // heap-backed tensors take the same streaming path
        assertArrayEquals(original.toByteArray(), Files.readAllBytes(out));
    }

    @Test
    void valueInfoOfAnInputAndExplicitDefaults() throws Exception {
        ValueInfoProto noType = ValueInfoProto.newBuilder().setName("y").build();
        ModelProto m = Protos.model(13).setGraph(GraphProto.newBuilder().setName("")
                .addInput(tensorInfo("x", 1, 2))
                .addNode(node("n", "Relu", List.of("x"), List.of("y")).toBuilder().setDomain("").setDocString("").build())
                .addOutput(noType).addValueInfo(tensorInfo("y", 1, 2).toBuilder()
                        .setType(tensorInfo("y", 1, 2).getType().toBuilder().setDenotation("TENSOR")))).build();
        roundTrip(m, "defaults");
    }
}
