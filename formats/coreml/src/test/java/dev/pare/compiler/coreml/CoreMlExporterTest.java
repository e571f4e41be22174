package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.proto.CoreMlFeatureTypesProto;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.Attributes;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.Dim;
import dev.pare.ir.MilParams;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import dev.pare.spi.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Package layout, manifest, description, metadata, storage choice and file handling. */
class CoreMlExporterTest {

    @TempDir Path tmp;

    /** y = linear(x, W, b) with a dense f32 W[12, 16] (192 elements: a blob) and b[12]. */
    private static MilGraphs dense() {
        MilGraphs g = new MilGraphs(16);
        g.linear(g.constant("W", MilGraphs.f32(new long[]{12, 16}, 192, -3f)), g.constant("b", MilGraphs.f32(new long[]{12}, 12, 0f)));
        return g;
    }

    private static MilProto.Block block(MlPackage p, String opset) throws Exception {
        return p.program().getFunctionsOrThrow("main").getBlockSpecializationsOrThrow(opset);
    }

    @Test
    void denseModelRoundTripsThroughTheReaderClasses() throws Exception {
        MilGraphs g = dense();
        Path out = tmp.resolve("dense.mlpackage");
        CoreMlExporter.write(g.model, out);
        MlPackage p = MlPackage.read(out);
        assertEquals(8, p.model().getSpecificationVersion(), "default target for a model not read from Core ML is ios17");
        MilProto.Block b = block(p, "CoreML7");
        assertEquals(List.of("const", "const", "linear"), b.getOperationsList().stream().map(MilProto.Operation::getType).toList());
        assertEquals(List.of("y"), b.getOutputsList());
        MilProto.Value w = b.getOperations(0).getAttributesOrThrow("val");
        MilProto.Value bias = b.getOperations(1).getAttributesOrThrow("val");
        assertTrue(w.hasBlobFileValue(), "192 f32 elements go to weight.bin");
        assertTrue(bias.hasBlobFileValue(), "12 f32 elements (>= 10) go to weight.bin too");
        assertEquals(g.graph.value("W").orElseThrow().data().sha256(), p.blobValue(w).sha256(), "f32 weights stay f32");
        MilProto.Operation linear = b.getOperations(2);
        assertEquals("W", linear.getInputsOrThrow("weight").getArguments(0).getName());
        assertEquals("x", linear.getInputsOrThrow("x").getArguments(0).getName());
        assertEquals("y", linear.getAttributesOrThrow("name").getImmediateValue().getTensor().getStrings().getValues(0));
        assertEquals(List.of("x"), p.program().getFunctionsOrThrow("main").getInputsList().stream().map(MilProto.NamedValueType::getName).toList());
    }

    @Test
    void sameModelGivesByteIdenticalPackages() throws Exception {
        Path a = tmp.resolve("a.mlpackage");
        Path b = tmp.resolve("b.mlpackage");
        CoreMlExporter.write(dense().model, a);
        CoreMlExporter.write(dense().model, b);
        for (String f : List.of("Manifest.json", CoreMlExporter.MODEL_PATH, CoreMlExporter.WEIGHTS_PATH)) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
    }

    @Test
    void manifestNamesModelAndWeightsWithContentDerivedIds() throws Exception {
        Path out = tmp.resolve("m.mlpackage");
        CoreMlExporter.write(dense().model, out);
        byte[] model = Files.readAllBytes(out.resolve(CoreMlExporter.MODEL_PATH));
        String expected = CoreMlExporter.manifest(model, true);
        assertEquals(expected, Files.readString(out.resolve("Manifest.json")));
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) JsonValues.parse(expected);
        assertEquals("1.0.0", m.get("fileFormatVersion"));
        @SuppressWarnings("unchecked") Map<String, Map<String, Object>> entries = (Map<String, Map<String, Object>>) m.get("itemInfoEntries");
        assertEquals("com.apple.CoreML/model.mlmodel", entries.get((String) m.get("rootModelIdentifier")).get("path"));
        assertEquals(List.of("model.mlmodel", "weights"), entries.values().stream().map(e -> (String) e.get("name")).sorted().toList());
        assertFalse(CoreMlExporter.manifest(new byte[]{1}, true).equals(expected), "another model, other identifiers");
    }

    @Test
    void descriptionAndMetadataComeFromTheModel() throws Exception {
        MilGraphs g = dense();
        g.model.setProperty(CoreMlExporter.AUTHOR, "Ada");
        g.model.setProperty(CoreMlExporter.LICENSE, "MIT");
        g.model.setProperty(CoreMlExporter.VERSION_STRING, "1.2");
        g.model.setProperty(CoreMlExporter.SHORT_DESCRIPTION, "a tiny linear layer");
        g.model.setProperty(CoreMlExporter.PARE_VERSION_PROPERTY, "0.9.0");
        g.model.setProperty(CoreMlExporter.PARE_PIPELINE_PROPERTY, "palettize{nbits=4}");
        g.model.setMetadataProp("origin", "test");
        Path out = tmp.resolve("d.mlpackage");
        CoreMlExporter.write(g.model, out);
        CoreMlModelProto.ModelDescription d = MlPackage.read(out).model().getDescription();
        assertEquals("Ada", d.getMetadata().getAuthor());
        assertEquals("MIT", d.getMetadata().getLicense());
        assertEquals("1.2", d.getMetadata().getVersionString());
        assertEquals("a tiny linear layer", d.getMetadata().getShortDescription());
        assertEquals(Map.of("origin", "test", "com.github.pare.version", "0.9.0", "com.github.pare.pipeline", "palettize{nbits=4}"),
                d.getMetadata().getUserDefinedMap());
        CoreMlFeatureTypesProto.ArrayFeatureType in = d.getInput(0).getType().getMultiArrayType();
        assertEquals("x", d.getInput(0).getName());
        assertEquals(CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT32, in.getDataType());
        assertEquals(List.of(1L, 16L), in.getShapeList());
        assertFalse(in.hasShapeRange());
        assertEquals(List.of(1L, 12L), d.getOutput(0).getType().getMultiArrayType().getShapeList());
    }

    @Test
    void symbolicInputDimensionsBecomeAShapeRange() throws Exception {
        MilGraphs g = new MilGraphs(4);
        g.rw.setType(g.input(), new TensorType(DType.FLOAT32, List.of(new Dim.Symbolic("batch"), new Dim.Fixed(4))));
        Value y = g.op("y", "mil.relu", List.of(g.input()), new TensorType(DType.FLOAT32, List.of(Dim.UNKNOWN, new Dim.Fixed(4))),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x")))));
        g.rw.addOutput(y);
        Path out = tmp.resolve("flex.mlmodel");
        CoreMlExporter.write(g.model, out);
        CoreMlModelProto.Model spec = CoreMlModelProto.Model.parseFrom(Files.readAllBytes(out));
        CoreMlFeatureTypesProto.ArrayFeatureType in = spec.getDescription().getInput(0).getType().getMultiArrayType();
        assertEquals(List.of(1L, 4L), in.getShapeList(), "default shape: 1 for the symbolic dimension");
        assertEquals(2, in.getShapeRange().getSizeRangesCount());
        assertEquals(1, in.getShapeRange().getSizeRanges(0).getLowerBound());
        assertEquals(-1, in.getShapeRange().getSizeRanges(0).getUpperBound(), "unbounded");
        assertEquals(4, in.getShapeRange().getSizeRanges(1).getLowerBound());
        assertEquals(4, in.getShapeRange().getSizeRanges(1).getUpperBound());
        assertEquals(List.of(), spec.getDescription().getOutput(0).getType().getMultiArrayType().getShapeList(),
                "a non-static output shape is left out");
        MilProto.TensorType fnIn = spec.getMlProgram().getFunctionsOrThrow("main").getInputs(0).getType().getTensorType();
        assertTrue(fnIn.getDimensions(0).hasUnknown());
    }

    @Test
    void unrankedInputAsksForInputShape() {
        MilGraphs g = new MilGraphs(4);
        g.rw.setType(g.input(), TensorType.unranked(DType.FLOAT32));
        g.rw.addOutput(g.op("y", "mil.relu", List.of(g.input()), TensorType.unranked(DType.FLOAT32),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x"))))));
        Path out = tmp.resolve("u.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(g.model, out));
        assertEquals(out + ": input 'x' has unknown rank; give its shape with --input-shape x=D0,D1,...", e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void int64InputIsRefused() {
        MilGraphs g = new MilGraphs(4);
        g.rw.setType(g.input(), TensorType.of(DType.INT64, 1, 4));
        g.rw.addOutput(g.op("y", "mil.relu", List.of(g.input()), TensorType.of(DType.INT64, 1, 4),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x"))))));
        Path out = tmp.resolve("i.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(g.model, out));
        assertEquals(out + ": input 'x' has dtype i64; Core ML ML Program features must be f32, f16, i32 (or i8 from ios26)", e.getMessage());
    }

    @Test
    void singleFileNeedsNoBlobs() throws Exception {
        MilGraphs small = new MilGraphs(3);
        small.linear(small.constant("W", MilGraphs.f32(new long[]{2, 3}, 6, 1f)), small.constant("b", MilGraphs.f32(new long[]{2}, 2, 0f)));
        Path file = tmp.resolve("small.mlmodel");
        CoreMlExporter.write(small.model, file);
        CoreMlModelProto.Model spec = CoreMlModelProto.Model.parseFrom(Files.readAllBytes(file));
        MilProto.Value w = spec.getMlProgram().getFunctionsOrThrow("main").getBlockSpecializationsOrThrow("CoreML7")
                .getOperations(0).getAttributesOrThrow("val");
        assertEquals(small.graph.value("W").orElseThrow().data().sha256(), MilValues.immediate(w, file).sha256());

        Path big = tmp.resolve("big.mlmodel");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(dense().model, big));
        assertEquals(big + ": 2 weights are stored in weight.bin, which a single .mlmodel file cannot hold; "
                + "write a .mlpackage instead", e.getMessage());
        assertFalse(Files.exists(big));
    }

    @Test
    void existingPackageIsReplacedWhole() throws Exception {
        Path out = tmp.resolve("r.mlpackage");
        CoreMlExporter.write(dense().model, out);
        Files.writeString(out.resolve("Data/stale.txt"), "old");
        MilGraphs small = new MilGraphs(3);
        small.linear(small.constant("W", MilGraphs.f32(new long[]{2, 3}, 6, 1f)), small.constant("b", MilGraphs.f32(new long[]{2}, 2, 0f)));
        CoreMlExporter.write(small.model, out);
        assertFalse(Files.exists(out.resolve("Data/stale.txt")));
        assertFalse(Files.exists(out.resolve(CoreMlExporter.WEIGHTS_PATH)), "no weights, no weight.bin");
        assertEquals(List.of("r.mlpackage"), Files.list(tmp).map(p -> p.getFileName().toString()).toList(), "no temporary siblings");
        assertFalse(Files.readString(out.resolve("Manifest.json")).contains("weights"));
    }

    @Test
    void weightsAreStreamedFromTheirFile() throws Exception {
        // W lives in a file region that is mapped only while weight.bin is written.
        Path raw = tmp.resolve("w.raw");
        TensorData src = MilGraphs.f32(new long[]{12, 16}, 192, -3f);
        byte[] prefix = new byte[100];
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write(prefix);
        byte[] data = new byte[(int) src.byteSize()];
        src.bytes().get(data);
        bytes.write(data);
        Files.write(raw, bytes.toByteArray());
        DenseData fileBacked = DenseData.ofFileRegion(src.type(), raw, 100, src.byteSize(), Map.of());
        MilGraphs g = new MilGraphs(16);
        g.linear(g.constant("W", fileBacked), g.constant("b", MilGraphs.f32(new long[]{12}, 12, 0f)));
        Path out = tmp.resolve("s.mlpackage");
        CoreMlExporter.write(g.model, out);
        MlPackage p = MlPackage.read(out);
        assertEquals(src.sha256(), p.blobValue(block(p, "CoreML7").getOperations(0).getAttributesOrThrow("val")).sha256());
    }

    @Test
    void namesAreMadeValidMilIdentifiers() throws Exception {
        MilGraphs g = new MilGraphs(16);
        Value w = g.constant("layer.0/weight", MilGraphs.f32(new long[]{12, 16}, 192, -3f));
        Value b = g.constant("0bias", MilGraphs.f32(new long[]{12}, 12, 0f));
        Value y = g.op("out:0", "mil.linear", List.of(g.input(), w, b), TensorType.of(DType.FLOAT32, 1, 12),
                Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight", "bias")))));
        g.rw.addOutput(y);
        Path out = tmp.resolve("n.mlpackage");
        CoreMlExporter.write(g.model, out);
        MlPackage p = MlPackage.read(out);
        MilProto.Block b0 = block(p, "CoreML7");
        assertEquals(List.of("layer_0_weight", "_0bias", "out_0"), b0.getOperationsList().stream().map(o -> o.getOutputs(0).getName()).toList());
        assertEquals(List.of("out_0"), b0.getOutputsList());
        assertEquals("out_0", p.model().getDescription().getOutput(0).getName());
    }

    @Test
    void nonMilOpsAreRefused() {
        MilGraphs g = new MilGraphs(4);
        g.rw.addOutput(g.op("r", "onnx.Relu", List.of(g.input()), TensorType.of(DType.FLOAT32, 1, 4), Attributes.empty()));
        Path out = tmp.resolve("o.mlpackage");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CoreMlExporter.write(g.model, out));
        assertEquals(out + ": node 'r' is onnx.Relu, not a Core ML op (mil.*); convert the model with the convert_to_mil pass first",
                e.getMessage());
    }

    @Test
    void targetComesFromPropertyThenReadSpecVersion() {
        MilGraphs g = dense();
        assertEquals(CoreMlTarget.IOS17, CoreMlTarget.of(g.model));
        g.model.setProperty(CoreMlTarget.SPEC_VERSION_PROPERTY, "9");
        assertEquals(CoreMlTarget.IOS18, CoreMlTarget.of(g.model));
        g.model.setProperty(CoreMlTarget.SPEC_VERSION_PROPERTY, "6");
        assertEquals(CoreMlTarget.IOS16, CoreMlTarget.of(g.model), "an iOS15 program is written for iOS16");
        g.model.setProperty(CoreMlTarget.PROPERTY, "iOS17");
        assertEquals(CoreMlTarget.IOS17, CoreMlTarget.of(g.model), "the --target property wins");
        g.model.setProperty(CoreMlTarget.PROPERTY, "ios15");
        assertEquals("unknown Core ML target 'ios15' (property coreml.target); choose one of ios16, ios17, ios18, ios26",
                assertThrows(IllegalArgumentException.class, () -> CoreMlTarget.of(g.model)).getMessage());
    }

    @Test
    void whatTheReaderKeptIsWrittenBack() throws Exception {
        MilGraphs g = dense();
        // the description as read: x was an image, y had a doc string and another shape
        CoreMlModelProto.ModelDescription readDescription = CoreMlModelProto.ModelDescription.newBuilder()
                .addInput(CoreMlModelProto.FeatureDescription.newBuilder().setName("x").setShortDescription("pixels")
                        .setType(CoreMlFeatureTypesProto.FeatureType.newBuilder()
                                .setImageType(CoreMlFeatureTypesProto.ImageFeatureType.getDefaultInstance())))
                .addOutput(CoreMlModelProto.FeatureDescription.newBuilder().setName("y").setShortDescription("scores")
                        .setType(CoreMlFeatureTypesProto.FeatureType.newBuilder().setMultiArrayType(
                                CoreMlFeatureTypesProto.ArrayFeatureType.newBuilder().addShape(1).addShape(99)
                                        .setDataType(CoreMlFeatureTypesProto.ArrayFeatureType.ArrayDataType.FLOAT32))))
                .build();
        g.model.addOpaqueField(new dev.pare.ir.Model.OpaqueField(2,
                CoreMlModelProto.Model.newBuilder().setDescription(readDescription).build().toByteArray()));
        MilProto.Value info = MilValueEncoder.string("9.0");
        g.model.addOpaqueField(new dev.pare.ir.Model.OpaqueField(502, CoreMlModelProto.Model.newBuilder()
                .setMlProgram(MilProto.Program.newBuilder().setVersion(1).putAttributes("buildInfo", info)).build().toByteArray()));
        g.rw.setGraphMetadata(Map.of("coreml.functionAttributes", java.util.Base64.getEncoder().encodeToString(
                MilProto.Function.newBuilder().putAttributes("note", MilValueEncoder.string("f")).build().toByteArray())));
        g.model.setProperty("coreml.isUpdatable", "true");
        Path out = tmp.resolve("kept.mlpackage");
        CoreMlExporter.write(g.model, out);
        CoreMlModelProto.Model spec = MlPackage.read(out).model();
        assertEquals(readDescription.getInput(0), spec.getDescription().getInput(0), "the image input is kept as read");
        CoreMlModelProto.FeatureDescription y = spec.getDescription().getOutput(0);
        assertEquals("scores", y.getShortDescription(), "the doc string survives");
        assertEquals(List.of(1L, 12L), y.getType().getMultiArrayType().getShapeList(), "the shape follows the graph");
        assertEquals(info, spec.getMlProgram().getAttributesOrThrow("buildInfo"));
        assertEquals("f", spec.getMlProgram().getFunctionsOrThrow("main").getAttributesOrThrow("note")
                .getImmediateValue().getTensor().getStrings().getValues(0));
        assertTrue(spec.getIsUpdatable());
    }

    @Test
    void equalBlobsAreStoredOnce() throws Exception {
        MilGraphs g = new MilGraphs(16);
        Value w1 = g.constant("W1", MilGraphs.f32(new long[]{12, 16}, 192, -3f));
        Value w2 = g.constant("W2", MilGraphs.f32(new long[]{12, 16}, 192, -3f));
        Value b = g.constant("b", MilGraphs.f32(new long[]{12}, 12, 0f));
        Attributes params = Attributes.of(Map.of(MilParams.ATTRIBUTE, MilParams.attribute(List.of("x", "weight", "bias"))));
        Value y1 = g.op("y1", "mil.linear", List.of(g.input(), w1, b), TensorType.of(DType.FLOAT32, 1, 12), params);
        Value y2 = g.op("y2", "mil.linear", List.of(g.input(), w2, b), TensorType.of(DType.FLOAT32, 1, 12), params);
        g.rw.addOutput(y1);
        g.rw.addOutput(y2);
        Path out = tmp.resolve("dedup.mlpackage");
        CoreMlExporter.write(g.model, out);
        MlPackage p = MlPackage.read(out);
        MilProto.Block blk = block(p, "CoreML7");
        assertEquals(blk.getOperations(0).getAttributesOrThrow("val").getBlobFileValue().getOffset(),
                blk.getOperations(3).getAttributesOrThrow("val").getBlobFileValue().getOffset(), "W1 and W2 share one blob");
        assertEquals(2, BlobFile.open(out.resolve(CoreMlExporter.WEIGHTS_PATH)).count());
    }
}
