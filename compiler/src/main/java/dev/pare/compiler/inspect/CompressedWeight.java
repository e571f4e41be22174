package dev.pare.compiler.inspect;

import dev.pare.ir.DType;
import java.util.List;

/**
 * A weight stored in compressed form and decoded when the model runs (what Core ML Tools'
 * {@code get_weights_metadata} tells about a weight): either Pare's own {@code pare.*} ops, or
 * their ONNX forms as Pare writes them ({@code DequantizeLinear} on constants, a LUT
 * {@code Gather}, a sparse initializer or a mask + values decode).
 *
 * @param graphPath   the subgraph that holds it; empty for the main graph
 * @param name        the dense weight value (what the model's ops consume)
 * @param shape       the dense shape
 * @param dtype       the dense element type
 * @param kind        decode steps, outermost first: {@code affine}, {@code lut}, {@code lut+scale},
 *                    {@code sparse}, {@code sparse+lut}, {@code sparse+affine}, …
 * @param nbits       bits per stored code (quantized value or LUT index); 0 if none
 * @param luts        number of lookup tables; 0 if not palettized
 * @param clusterDim  values per LUT entry (vector palettization); 0 if not palettized
 * @param granularity how parameters are shared, e.g. {@code per-tensor}, {@code per-channel axis 0},
 *                    {@code per-block 1x16}, {@code grouped axis 0}; empty if not applicable
 * @param sparsity    fraction of zeros kept implicit by the storage; -1 if not sparse
 * @param denseBytes  bytes of the decoded weight
 * @param storedBytes bytes of the constants the decode reads
 * @param parts       the constants the decode reads, in graph order
 * @param method      how the file's own ops encode it, when that says more than {@code kind}: for
 *                    Core ML, e.g. {@code palettized 4-bit (constexpr_lut_to_dense, iOS18)}; empty
 *                    otherwise
 * @param decompressedFrom how the weight was stored before Pare decompressed it and compressed it
 *                    again (e.g. {@code int8-quantized (constexpr_affine_dequantize)}); empty if it was not
 */
public record CompressedWeight(String graphPath, String name, List<Long> shape, DType dtype, String kind, int nbits,
                               long luts, int clusterDim, String granularity, double sparsity, long denseBytes,
                               long storedBytes, List<String> parts, String method,
                               String decompressedFrom) {
    public CompressedWeight {
        shape = List.copyOf(shape);
        parts = List.copyOf(parts);
    }

    public boolean isSparse() { return sparsity >= 0; }
}
