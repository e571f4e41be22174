#!/usr/bin/env bash
# Bias correction alone (round-to-nearest weights + bias_correction=own|total) on mnist_dwnet:
# 2-bit k-means palettization and 50 % magnitude pruning, top-1 on the 2,000 labelled test digits,
# with the compile's wall time and peak RSS (GNU time). Calibration: the 500 calib_x.f32 images.
# Usage: scripts/measure-bias-correction.sh [OUT_DIR]   (run from the repository root)
set -euo pipefail
D=compiler/src/test/resources/models/mnist_dwnet
OUT=${1:-target/bias-correction}
mkdir -p "$OUT"
run() { # name pipeline
    local name=$1 pipeline=$2
    /usr/bin/time -f "%e s, peak RSS %M KB" -o "$OUT/$name.time" ./pare compile $D/model.onnx -o "$OUT/$name.onnx" --force \
        --pipeline "$pipeline" --calibration-data $D/calib_x.f32 --calibration-spec=-1,1,28,28 --pass-statistics \
        > "$OUT/$name.log" 2>&1
    local acc
    acc=$(./pare compare $D/model.onnx "$OUT/$name.onnx" --data $D/test_x.f32 --data-spec -1,1,28,28 --labels $D/test_y.u8 \
        | awk '$1 == "logits" && NF == 4 {print $4}')
    printf '%-12s %-70s top-1 %s  (%s)\n' "$name" "$pipeline" "$acc" "$(cat "$OUT/$name.time")"
}
run pal2_rtn   'palettize{nbits=2}'
run pal2_own   'palettize{nbits=2, bias_correction=own}'
run pal2_total 'palettize{nbits=2, bias_correction=total}'
run pal2_auto  'palettize{nbits=2, bias_correction=auto}'
run pr50_rtn   'prune{mode=magnitude, target_sparsity=0.5}'
run pr50_own   'prune{mode=magnitude, target_sparsity=0.5, bias_correction=own}'
run pr50_total 'prune{mode=magnitude, target_sparsity=0.5, bias_correction=total}'

# MiniLM (compiler/target/test-models, from generate-test-resources): statistics collection time and
# peak RSS with 128 sequences of 64 random token ids (numpy writes the .npz), quantize_weights int8 + own.
M=compiler/target/test-models/minilm/all-minilm-l6-v2.onnx
if [ -f "$M" ]; then
    python3 -c "
import numpy as np
r = np.random.default_rng(0); n, l = 128, 64
ids = r.integers(1000, 29000, size=(n, l)).astype(np.int64); ids[:, 0] = 101; ids[:, -1] = 102
np.savez('$OUT/minilm_calib.npz', input_ids=ids, attention_mask=np.ones((n, l), np.int64), token_type_ids=np.zeros((n, l), np.int64))"
    /usr/bin/time -f "%e s, peak RSS %M KB" -o "$OUT/minilm.time" ./pare compile "$M" -o "$OUT/minilm_own.onnx" --force \
        --pipeline 'quantize_weights{bias_correction=own}' --calibration-data "$OUT/minilm_calib.npz" --pass-statistics > "$OUT/minilm.log" 2>&1
    printf 'minilm       %s; %s\n' "$(grep -o 'statistics: done.*' "$OUT/minilm.log" | tail -1)" "$(cat "$OUT/minilm.time")"
fi
