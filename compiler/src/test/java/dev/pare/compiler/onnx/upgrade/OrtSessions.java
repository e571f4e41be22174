package dev.pare.compiler.onnx.upgrade;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pare.compiler.testing.OrtRunner.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime with graph optimizations switched off (one thread), for comparing what two models
 * compute without ORT's version-dependent fusions in between. Float outputs only.
 */
final class OrtSessions {

    private OrtSessions() {}

    static Map<String, Tensor> runUnoptimized(Path model, Map<String, Tensor> inputs) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model.toString(), opts)) {
                Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                try {
                    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                        Tensor t = e.getValue();
                        feeds.put(e.getKey(), t.floats() != null
                                ? OnnxTensor.createTensor(env, FloatBuffer.wrap(t.floats()), t.shape())
                                : OnnxTensor.createTensor(env, LongBuffer.wrap(t.longs()), t.shape()));
                    }
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    try (OrtSession.Result result = session.run(feeds)) {
                        for (Map.Entry<String, OnnxValue> e : result) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] v = new float[fb.remaining()];
                            fb.get(v);
                            out.put(e.getKey(), Tensor.ofFloats(t.getInfo().getShape(), v));
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : feeds.values()) t.close();
                }
            }
        }
    }
}
