package dev.pare.compiler.onnx.lower;

import dev.pare.ir.Attribute;
import dev.pare.ir.DType;
import dev.pare.ir.LutBits;
import dev.pare.ir.TensorData;
import dev.pare.ir.TensorType;
import dev.pare.ir.Value;
import java.util.List;

/**
 * {@code pare.lut_to_dense} → ONNX (no ONNX op takes a LUT, so: index decode + {@code Gather}).
 * <ul>
 *   <li>Indices: 8-bit stay {@code uint8} and 4-bit stay {@code uint4} (opset 21, IR 10), each
 *       followed by {@code Cast(to=INT32)}; 1-, 2-, 3- and 6-bit indices keep their packed bytes and
 *       are unpacked by {@link BitUnpack} (int64, opset 13).</li>
 *   <li>The LUT is stored as {@code [numLuts, 2^nbits]} ({@code [numLuts, 2^nbits, cluster_dim]}
 *       for vectors) and {@code Reshape}d to one flat table, so one {@code Gather(axis=0)} serves
 *       every group: with grouped LUTs, an offset {@code group · 2^nbits} is added to each index.
 *       The offsets vary only along grouped axes, so they are stored with size 1 on every other
 *       axis and broadcast by {@code Add}.</li>
 *   <li>Vector LUTs gather {@code [..., cluster_dim]} rows; a {@code Transpose} moves that axis
 *       next to {@code vector_axis} and a {@code Reshape} merges the two.</li>
 * </ul>
 */
final class LutLowering {

    private LutLowering() {}

    /**
     * LUTs grouped along axis 0 only: the indices as {@code [numLuts, n / numLuts]} rows (row g
     * holds exactly group g's indices, since the groups are blocks of whole leading rows), decoded by
     * {@code GatherElements} from the {@code [numLuts, entries]} table, reshaped to the weight.
     */
    private static Value lowerRowGroups(Emitter e, Value idxV, TensorData lut, int numLuts, int entries, long[] denseShape,
                                        String resultName) {
        TensorData idx = idxV.data();
        long[] rows = {numLuts, Tensors.count(idx.type().shape()) / numLuts};
        DType it = idx.dtype();
        if (!LutBits.isIndexType(it)) throw e.error("indices must be " + LutBits.describeTypes() + ", got " + it.shortName());
        Value codes;
        if (it == DType.UINT8 || it == DType.UINT4) {
            if (it == DType.UINT4) {
                e.req.opset(21, "uint4 LUT indices");
                e.req.ir(10);
            }
            codes = e.cast(e.constant("indices", Tensors.reshape(idx, rows)), DType.INT32, rows);
        } else {
            codes = BitUnpack.unpack(e, idx, it.bits(), rows, null);
        }
        e.req.opset(13, "LUT decode (GatherElements)");
        Value table = e.constant("lut", Tensors.reshape(lut, numLuts, entries));
        Value gathered = e.op("GatherElements", List.of(table, codes), TensorType.of(lut.dtype(), rows),
                Emitter.attrs("axis", 1), null);
        return e.reshape(gathered, denseShape, resultName);
    }

    static Value lower(Emitter e, List<Value> operands, long[] denseShape, long vectorAxisAttr, String resultName) {
        if (operands.size() != 2) throw e.error("expects 2 operands, got " + operands.size());
        Value idxV = operands.get(0);
        Value lutV = operands.get(1);
        if (!idxV.isConstant() || !lutV.isConstant()) throw e.error("indices and lut must be constants");
        TensorData idx = idxV.data();
        TensorData lut = lutV.data();
        long[] iShape = idx.type().shape();
        long[] lShape = lut.type().shape();
        int rank = iShape.length;
        if (lShape.length != rank + 2) throw e.error("lut has rank " + lShape.length + ", expected " + (rank + 2));
        DType lt = lut.dtype();
        if (lt != DType.FLOAT32 && lt != DType.FLOAT16) throw e.error("lut must be f32 or f16, got " + lt.shortName());
        int entries = (int) lShape[rank];
        int clusterDim = (int) lShape[rank + 1];
        int vectorAxis = -1;
        if (clusterDim > 1) {
            if (vectorAxisAttr < 0) throw e.error("cluster_dim " + clusterDim + " needs the vector_axis attribute");
            vectorAxis = (int) vectorAxisAttr;
            if (vectorAxis >= rank) throw e.error("vector_axis " + vectorAxis + " is out of range for rank " + rank);
        }
        for (int d = 0; d < rank; d++) {
            long expect = d == vectorAxis ? iShape[d] * clusterDim : iShape[d];
            if (expect != denseShape[d]) {
                throw e.error("indices shape " + idx.type() + " does not fit the result shape " + java.util.Arrays.toString(denseShape));
            }
            if (lShape[d] < 1 || denseShape[d] % lShape[d] != 0) {
                throw e.error("lut groups " + lShape[d] + " do not divide dimension " + d + " (" + denseShape[d] + ")");
            }
            if (d == vectorAxis && (denseShape[d] / lShape[d]) % clusterDim != 0) {
                throw e.error("a vector of " + clusterDim + " would straddle two LUT groups on axis " + d);
            }
        }
        int numLuts = 1;
        for (int d = 0; d < rank; d++) numLuts *= (int) lShape[d];
        if (numLuts > 1 && clusterDim == 1 && numLuts == lShape[0]) {
            return lowerRowGroups(e, idxV, lut, numLuts, entries, denseShape, resultName);
        }

        // indices → integer tensor of the index shape
        Value codes;
        DType it = idx.dtype();
        DType codeType;
        if (!LutBits.isIndexType(it)) throw e.error("indices must be " + LutBits.describeTypes() + ", got " + it.shortName());
        if (it == DType.UINT8 || it == DType.UINT4) { // ONNX types: a Cast; the other widths are unpacked
            if (it == DType.UINT4) {
                e.req.opset(21, "uint4 LUT indices");
                e.req.ir(10);
            }
            codes = e.cast(idxV, DType.INT32, iShape);
            codeType = DType.INT32;
        } else {
            codes = BitUnpack.unpack(e, idx, it.bits(), iShape, null);
            codeType = DType.INT64;
        }
        e.req.opset(13, "LUT decode (Gather)");

        // per-group offsets into the flat table
        if (numLuts > 1) {
            long[] oShape = new long[rank];
            for (int d = 0; d < rank; d++) oShape[d] = lShape[d] == 1 ? 1 : iShape[d];
            long[] gridStrides = Tensors.strides(java.util.Arrays.copyOf(lShape, rank));
            long[] oStrides = Tensors.strides(oShape);
            int n = Tensors.count(oShape);
            long[] offsets = new long[n];
            for (int k = 0; k < n; k++) {
                long rest = k;
                long group = 0;
                for (int d = 0; d < rank; d++) {
                    long j = rest / oStrides[d];
                    rest %= oStrides[d];
                    if (lShape[d] == 1) continue;
                    long element = d == vectorAxis ? j * clusterDim : j;
                    group += element / (denseShape[d] / lShape[d]) * gridStrides[d];
                }
                offsets[k] = group * entries;
            }
            TensorData off;
            if (codeType == DType.INT32) {
                int[] o = new int[n];
                for (int k = 0; k < n; k++) o[k] = Math.toIntExact(offsets[k]);
                off = Tensors.ints32(oShape, o);
            } else {
                off = Tensors.longs(oShape, offsets);
            }
            codes = e.op("Add", List.of(codes, e.constant("lut_offsets", off)), TensorType.of(codeType, iShape));
        }

        long[] tableShape = clusterDim > 1 ? new long[] {numLuts, entries, clusterDim} : new long[] {numLuts, entries};
        long[] flatShape = clusterDim > 1 ? new long[] {(long) numLuts * entries, clusterDim} : new long[] {(long) numLuts * entries};
        Value table = e.constant("lut", Tensors.reshape(lut, tableShape));
        Value flat = e.reshape(table, flatShape, null);
        boolean finalGather = clusterDim == 1;
        long[] gShape = iShape;
        if (clusterDim > 1) {
            gShape = java.util.Arrays.copyOf(iShape, rank + 1);
            gShape[rank] = clusterDim;
        }
        Value gathered = e.op("Gather", List.of(flat, codes), TensorType.of(lt, gShape),
                Emitter.attrs("axis", 0), finalGather ? resultName : null);
        if (finalGather) return gathered;
        Value moved = gathered;
        if (vectorAxis != rank - 1) {
            long[] perm = new long[rank + 1];
            long[] tShape = new long[rank + 1];
            int t = 0;
            for (int d = 0; d <= vectorAxis; d++) perm[t++] = d;
            perm[t++] = rank;
            for (int d = vectorAxis + 1; d < rank; d++) perm[t++] = d;
            for (int k = 0; k <= rank; k++) tShape[k] = gShape[(int) perm[k]];
            moved = e.op("Transpose", List.of(gathered), TensorType.of(lt, tShape),
                    Emitter.attrs("perm", Attribute.ofInts(perm)), null);
        }
        return e.reshape(moved, denseShape, resultName);
    }
}
