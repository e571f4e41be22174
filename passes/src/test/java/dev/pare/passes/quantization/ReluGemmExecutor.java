package dev.pare.passes.quantization;

import dev.pare.ir.Graph;
import dev.pare.ir.Node;
import dev.pare.ir.TensorData;
import dev.pare.ir.Value;
import dev.pare.spi.ModelExecutionException;
import dev.pare.spi.ModelExecutor;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model executor for {@code %r = onnx.Relu(%x)}, optionally through {@code pare.quantize} /
 * {@code pare.dequantize}, into {@code onnx.Gemm(%r, %w, %b)} with constant [K, N] weights and [N]
 * bias (no transposes, alpha 1, beta from the node): computes the captured Relu and Gemm outputs
 * as ONNX Runtime would without optimizations, reading the bias as it is when the session opens.
 */
final class ReluGemmExecutor implements ModelExecutor {

    @Override public Session open(Graph graph, List<Value> captured) throws ModelExecutionException {
        for (Value v : captured) {
            String op = v.producer() == null ? "" : v.producer().op();
            if (!op.equals("onnx.Relu") && !op.equals("onnx.Gemm")) throw new ModelExecutionException("cannot compute '" + v.name() + "'");
        }
        return new Session() {
            @Override public Map<String, TensorData> run(Map<String, TensorData> inputs) {
                Map<String, TensorData> out = new LinkedHashMap<>();
                for (Value v : captured) out.put(v.name(), compute(v.producer(), inputs));
                return out;
            }

            @Override public void close() {}
        };
    }

    private static float[] floats(TensorData d) {
        FloatBuffer b = d.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        return f;
    }

    /** Relu of the input, then a round trip through the codes when {@code v} is dequantized. */
    private static float[] activation(Value v, Map<String, TensorData> inputs) {
        Node p = v.producer();
        if (p.op().equals("pare.dequantize")) {
            float[] r = activation(p.operand(0).producer().operand(0), inputs);
            float scale = floats(p.operand(1).data())[0];
            int zp = p.operand(2).data().bytes().get(0);
            boolean signed = p.operand(2).data().dtype() == dev.pare.ir.DType.INT8;
            int lo = signed ? -128 : 0;
            int hi = signed ? 127 : 255;
            if (!signed) zp &= 0xFF;
            for (int i = 0; i < r.length; i++) {
                long q = Math.max(lo, Math.min(hi, Math.round(Math.rint(r[i] / scale)) + zp));
                r[i] = (q - zp) * scale;
            }
            return r;
        }
        float[] x = floats(inputs.get(p.operand(0).name()));
        for (int i = 0; i < x.length; i++) x[i] = Math.max(0f, x[i]);
        return x;
    }

    private static TensorData compute(Node n, Map<String, TensorData> inputs) {
        if (n.op().equals("onnx.Relu")) return TensorData.ofFloats(inputs.get(n.operand(0).name()).type().shape(), activation(n.result(0), inputs));
        float[] a = activation(n.operand(0), inputs);
        long[] ws = n.operand(1).data().type().shape();
        int k = (int) ws[0];
        int cols = (int) ws[1];
        float[] w = floats(n.operand(1).data());
        float[] b = floats(n.operand(2).data());
        float beta = n.attributes().getFloat("beta", 1f);
        int rows = a.length / k;
        float[] y = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double s = beta * b[c];
                for (int j = 0; j < k; j++) s += (double) a[r * k + j] * w[j * cols + c];
                y[r * cols + c] = (float) s;
            }
        }
        return TensorData.ofFloats(new long[] {rows, cols}, y);
    }
}
