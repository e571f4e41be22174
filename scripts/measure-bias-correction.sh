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
