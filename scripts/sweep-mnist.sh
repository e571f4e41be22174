#!/usr/bin/env bash
# The README's sweep example ("Sweep: size against accuracy"): twelve pipelines over the MNIST
# test model, each compiled to ONNX and to a Core ML package (iOS 18, so that grouped LUTs and
# int4 blocks are allowed) and evaluated on labelled test digits (ONNX Runtime for the .onnx
# files, the MIL interpreter for the packages; all 2,000 unless --samples N is passed through),
# into OUT (default target/sweep-mnist).
# Prints the progress and the Pareto front, the wall time, and the results.csv columns the README
# table shows. Re-running into the same OUT skips finished points; pass --force to measure again.
# Extra arguments go to pare sweep (e.g. --jobs 2).
#   scripts/sweep-mnist.sh [OUT] [pare sweep flags...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/sweep-mnist}"
shift || true
m="$root/compiler/src/test/resources/models/mnist_dwnet"
"$root/pare" --help > /dev/null # builds the CLI once, outside the timing
start=$(date +%s)
"$root/pare" sweep "$m/model.onnx" --data "$m/test_x.f32" --data-spec -1,1,28,28 --labels "$m/test_y.u8" \
  --format onnx,mlpackage --target ios18 \
  --pipelines PALETTIZE_4BIT,QUANTIZE_INT8,QUANTIZE_INT4_BLOCK32,JOINT_PRUNE_PALETTIZE \
  --grid 'palettize{nbits=2|3, granularity=per_tensor|per_grouped_channel, group_size=16, skip_inapplicable=true}, CLEANUP' \
  --grid 'quantize_weights{dtype=int4, granularity=per_block, block_size=16|64, skip_inapplicable=true}, CLEANUP' \
  --grid 'prune{mode=magnitude, target_sparsity=0.25}, palettize{nbits=3|4}, CLEANUP' \
  -o "$out" "$@"
echo "wall time: $(( $(date +%s) - start )) s" >&2
# name, format, size in bytes, accuracy, SNR, Pareto
python3 - "$out/results.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
print("| point | format | size | accuracy | SNR dB | Pareto |")
print("| --- | --- | ---: | ---: | ---: | :---: |")
for r in sorted(rows, key=lambda r: (int(r["bytes"] or 0), r["format"])):
    size = int(r["bytes"] or 0)
    if r["error"]:
        print(f"| `{r['name']}` | {r['format']} | | | failed: {r['error']} | |")
        continue
    print(f"| `{r['name']}` | {r['format']} | {size/1024:.1f} KiB | {float(r['accuracy']):.4f} | {float(r['snr_db']):.2f} | {'★' if r['pareto']=='true' else ''} |")
total = sum(float(r["compile_seconds"] or 0) for r in rows), sum(float(r["eval_seconds"] or 0) for r in rows)
print(f"\ncompile {total[0]:.0f} s, evaluate {total[1]:.0f} s over {len(rows)} points")
PY
