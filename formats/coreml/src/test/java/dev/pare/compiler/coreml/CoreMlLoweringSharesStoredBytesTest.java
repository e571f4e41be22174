package dev.pare.compiler.coreml;

import dev.pare.compiler.coreml.lower.CoreMlLowering;
import dev.pare.compiler.coreml.proto.MilProto;
import dev.pare.ir.DType;
import dev.pare.ir.DenseData;
import dev.pare.ir.FileTensorStore;
import dev.pare.ir.MilParams;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lower_to_coreml keeps a pruned weight's mask and kept values where the passes stored them (the
 * tensor store's file), and the writer streams them from there into weight.bin: nothing of them
 * is copied to the heap (a 7B PRUNE_50 model holds 0.8 GB of masks and 6.7 GB of kept values).
 * The kept codes of a joint pruned + palettized weight are gathered once, when the writer reads
 * them, not by the lowering and not twice (the lowering's trial run on a scratch copy included).
 */
class CoreMlLoweringSharesStoredBytesTest {

    @TempDir Path tmp;

    private static final long[] SHAPE = {128, 512};   // 65,536 elements: an 8 KiB mask, above the store's heap limit

    /** {@code data} put in {@code store}: mapped from its file when read, origin {@code store@offset}. */
    private static DenseData stored(FileTensorStore store, TensorData data) {
        DenseData d = store.put(data.type(), data.bytes());
        assertTrue(d.origin().startsWith("store@"), "large enough for the file: " + d.origin());
        return d;
    }

    /** A mask keeping about half the elements, at seeded random positions. */
    private static TensorData randomMask(long seed) {
        Random r = new Random(seed);
        long[] bits = new long[Math.toIntExact(SHAPE[0] * SHAPE[1])];
        for (int i = 0; i < bits.length; i++) bits[i] = r.nextBoolean() ? 1 : 0;
        return MilGraphs.packed(DType.UINT1, SHAPE, bits);
    }

    private static Node lowered(MilGraphs g, String type) {
        return g.graph.nodes().stream().filter(n -> n.op().equals("mil." + type)).findFirst().orElseThrow();
    }

    /** The bytes weight.bin holds for input {@code param} of the written op {@code type}. */
    private static byte[] blob(Path pkg, String type, String param) throws Exception {
        MilProto.Function main = MlPackage.read(pkg).program().getFunctionsOrThrow("main");
        MilProto.Operation op = main.getBlockSpecializationsOrThrow(CoreMlTarget.IOS18.opset()).getOperationsList().stream()
                .filter(o -> o.getType().equals(type)).findFirst().orElseThrow();
        long offset = op.getInputsOrThrow(param).getArguments(0).getValue().getBlobFileValue().getOffset();
        BlobFile bin = BlobFile.open(pkg.resolve(CoreMlExporter.WEIGHTS_PATH));
        return bytes(bin.rawData(bin.metadata(offset)));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void aStoredMaskAndKeptValuesAreWrittenFromTheStore() throws Exception {
        TensorData mask = randomMask(41);
        long kept = MilTensors.popcount(mask);
        try (FileTensorStore store = FileTensorStore.in(tmp)) {
            DenseData storedMask = stored(store, mask);
            DenseData storedValues = stored(store, MilGraphs.f16(new long[] {kept}, Math.toIntExact(kept), -3f));
            long storedBefore = store.storedBytes();
            MilGraphs g = new MilGraphs(SHAPE[1]).target("ios18");
            Value w = g.sparse("W", storedMask, g.constant("W_nz", storedValues));
            g.linear(w, g.constant("b", MilGraphs.f32(new long[] {SHAPE[0]}, Math.toIntExact(SHAPE[0]), 0f)));

            CoreMlLowering.lowerInPlace(g.model, store);
            Node sparse = lowered(g, "constexpr_sparse_to_dense");
            assertSame(storedMask, MilParams.get(sparse, "mask").orElseThrow().data(), "the stored mask itself, not a copy");
            assertSame(storedValues, MilParams.get(sparse, "nonzero_data").orElseThrow().data(), "the stored kept values");
            assertEquals(storedBefore, store.storedBytes(), "nothing stored again");

            Path out = tmp.resolve("sparse.mlpackage");
            CoreMlExporter.write(g.model, out);
            assertEquals(java.util.Arrays.toString(bytes(storedMask.bytes())),
                    java.util.Arrays.toString(blob(out, "constexpr_sparse_to_dense", "mask")));
            assertEquals(java.util.Arrays.toString(bytes(storedValues.bytes())),
                    java.util.Arrays.toString(blob(out, "constexpr_sparse_to_dense", "nonzero_data")));
        }
    }

    @Test
    void jointKeptIndicesAreGatheredOnceWhenWritten() throws Exception {
        TensorData mask = randomMask(42);
        long kept = MilTensors.popcount(mask);
        TensorData indices = MilGraphs.packed(DType.UINT4, SHAPE, MilGraphs.cycle(SHAPE[0] * SHAPE[1], 16));
        try (FileTensorStore store = FileTensorStore.in(tmp)) {
            DenseData storedMask = stored(store, mask);
            DenseData storedIndices = stored(store, indices);
            long storedBefore = store.storedBytes();
            MilGraphs g = new MilGraphs(SHAPE[1]).target("ios18");
            Value dense = g.lut("W_pal", storedIndices, MilGraphs.f32(new long[] {1, 1, 16, 1}, 16, -2f), DType.FLOAT32, SHAPE, null);
            g.linear(g.sparse("W", storedMask, dense), g.constant("b", MilGraphs.f32(new long[] {SHAPE[0]}, Math.toIntExact(SHAPE[0]), 0f)));

            CoreMlLowering.lowerInPlace(g.model, store);
            Node lutToSparse = lowered(g, "constexpr_lut_to_sparse");
            assertSame(storedMask, MilParams.get(lutToSparse, "indices_mask").orElseThrow().data(), "the stored mask itself");
            TensorData nz = MilParams.get(lutToSparse, "indices_nonzero_data").orElseThrow().data();
            assertEquals(TensorType.of(DType.UINT4, kept), nz.type());
            // the trial run on a scratch copy used to gather and store them too: twice the work and the disk
            assertEquals(storedBefore, store.storedBytes(), "no kept code gathered by the lowering");

            Path out = tmp.resolve("joint.mlpackage");
            CoreMlExporter.write(g.model, out);
            long nzBytes = (kept * 4 + 7) / 8;
            assertEquals(storedBefore + nzBytes, store.storedBytes(), "gathered once, into the store, as the writer read them");
            assertEquals(java.util.Arrays.toString(bytes(MilTensors.compact(indices, mask).bytes())),
                    java.util.Arrays.toString(blob(out, "constexpr_lut_to_sparse", "indices_nonzero_data")));
            assertEquals(java.util.Arrays.toString(bytes(storedMask.bytes())),
                    java.util.Arrays.toString(blob(out, "constexpr_lut_to_sparse", "indices_mask")));
        }
    }
}
