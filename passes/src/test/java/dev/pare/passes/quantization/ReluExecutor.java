package dev.pare.passes.quantization;

import dev.pare.ir.Graph;
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
 * A model executor for test graphs whose captured values are {@code onnx.Relu} (or {@code mil.relu}) of a graph input: it
 * computes them, so calibration sees real values without ONNX Runtime. Counts open sessions.
 */
final class ReluExecutor implements ModelExecutor {

    int open;

    @Override public Session open(Graph graph, List<Value> captured) throws ModelExecutionException {
        for (Value v : captured) {
            if (v.producer() == null || !(v.producer().op().equals("onnx.Relu") || v.producer().op().equals("mil.relu")) || v.producer().operand(0).kind() != Value.Kind.INPUT) {
                throw new ModelExecutionException("ReluExecutor cannot compute '" + v.name() + "'");
            }
        }
        open++;
        return new Session() {
            @Override public Map<String, TensorData> run(Map<String, TensorData> inputs) {
                Map<String, TensorData> out = new LinkedHashMap<>();
                for (Value v : captured) {
                    TensorData in = inputs.get(v.producer().operand(0).name());
                    FloatBuffer b = in.bytes().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                    float[] r = new float[b.remaining()];
                    for (int i = 0; i < r.length; i++) r[i] = Math.max(0f, b.get(i));
                    out.put(v.name(), TensorData.ofFloats(in.type().shape(), r));
                }
                return out;
            }

            @Override public void close() { open--; }
        };
    }
}
