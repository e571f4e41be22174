#!/usr/bin/env bash
# Grouped and per-channel k-means against per-tensor k-means, for one or more builds of Pare
# (README "Grouped and per-channel k-means"). Two parts, the builds interleaved round by round so
# that they see the same machine load:
#   kernel: dev.pare.passes.compression.math.GroupKMeansMeasurement (CPU time of one thread per
#           value: 4-bit per tensor, grouped 16 channels, per channel) on a 768x3072 float16 and a
#           4096x11008 float32 seeded weight; its last round is printed
#   whole:  `pare compile MODEL --pipeline P --quiet` for per tensor, grouped 16 and per channel,
#           wall and CPU (user + sys) of the process
# Prints the load average before and after each part.
#   scripts/bench-group-kmeans.sh [--model M] [--rounds N] [--skip-kernel] [--skip-whole] CP_FILE...
#     CP_FILE   a file holding a class path for `pare` (PARE_CLASSPATH), as scripts/same-output.sh
#               takes; the kernel runs with it plus this tree's passes/target/test-classes
#               (build them first: mvn -o -q -pl passes -am test-compile)
#     --model   default /work/scale-models/llama-125m.onnx (scripts/gen-llama.sh makes it)
#     --rounds  whole-run rounds (default 1)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=/work/scale-models/llama-125m.onnx
rounds=1
kernel=1
whole=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --skip-kernel) kernel=0; shift ;;
    --skip-whole) whole=0; shift ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { sed -n '2,17p' "${BASH_SOURCE[0]}" >&2; exit 2; }
work="$(mktemp -d /tmp/bench-group-kmeans.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if (( kernel )); then
  echo "kernel, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for shape in "768 3072 fp16" "4096 11008 fp32"; do
    for f in "$@"; do
      line="$(java -Xmx4g -cp "$(cat "$f"):$root/passes/target/test-classes" \
        dev.pare.passes.compression.math.GroupKMeansMeasurement $shape | tail -n 1)"
      echo "$(basename "$f"): $line"
    done
  done
  echo "kernel done, load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if (( whole )); then
  pipelines=('palettize{nbits=4}' 'palettize{nbits=4, granularity=per_grouped_channel, group_size=16}'
             'palettize{nbits=4, granularity=per_grouped_channel, group_size=1}')
  echo "whole runs of $(basename "$model"), load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for ((r = 1; r <= rounds; r++)); do
    for p in "${pipelines[@]}"; do
      for f in "$@"; do
        PARE_CLASSPATH="$(cat "$f")" /usr/bin/time -f "%e %U %S" -o "$work/time" \
          "$root/pare" compile "$model" -o "$work/out.onnx" --pipeline "$p" --quiet --force >/dev/null
        read -r wall user sys < "$work/time"
        cpu="$(echo "$user + $sys" | bc)"
        echo "round $r, $(basename "$f"), $p: ${wall} s wall, ${cpu} s CPU"
        rm -f "$work"/out.onnx*
      done
    done
  done
  echo "whole runs done, load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
