package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.CoreMlFixtures.Row;
import dev.pare.compiler.coreml.proto.CoreMlModelProto;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pare's own schema covers everything coremltools writes into model.mlmodel. */
class ModelProtoRoundTripTest {

    static List<Row> packages() { return CoreMlFixtures.packages(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packages")
    void everyFieldIsKnownAndReserializes(Row row) throws Exception {
        byte[] original = Files.readAllBytes(row.path().resolve("Data/com.apple.CoreML/model.mlmodel"));
        CoreMlModelProto.Model model = CoreMlModelProto.Model.parseFrom(original);
        assertTrue(model.getUnknownFields().asMap().isEmpty(), "unknown top-level fields");
        byte[] again = model.toByteArray();
        assertEquals(model, CoreMlModelProto.Model.parseFrom(again));
        assertArrayEquals(original, again);
    }
}
