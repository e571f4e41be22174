#!/usr/bin/env bash
# The small scale case: a Core ML package holding one 4096x4096 float32 weight (a MatMul), compressed
# by 4-bit k-means (PALETTIZE_4BIT) and int8 per-channel (QUANTIZE_INT8), timing the whole
# `./pare compile` process (JVM start-up included). The pipelines run interleaved (EMPTY, the
# start-up + read + write floor, alongside), after one warm-up round, and each gets the median of
# its wall and CPU (user + sys) times, the min/max wall and peak RSS; the load average is printed
# before and after, because on a shared machine wall time follows the load and CPU time much less.
#   scripts/bench-weight4096.sh [--models DIR] [--runs N] [--java-opts OPTS] [--out DIR] [PIPELINE...]
#     --models DIR   where matmul4096.onnx(.data) and matmul4096.mlpackage are (made if missing);
#                    default /work/scale-models
#     --runs N       timed rounds (default 5; the median needs an odd count to be a run's time)
#     --out DIR      keep each run's output package and time file there (default: a temporary folder)
#     PIPELINE       default: EMPTY PALETTIZE_4BIT QUANTIZE_INT8
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="/work/scale-models"
runs=5
out=""
java_opts="${JAVA_OPTS:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --java-opts) java_opts="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
pipelines=("$@")
[[ ${#pipelines[@]} -gt 0 ]] || pipelines=(EMPTY PALETTIZE_4BIT QUANTIZE_INT8)

mkdir -p "$models"
onnx="$models/matmul4096.onnx"
pkg="$models/matmul4096.mlpackage"
[[ -f "$onnx" ]] || "$root/scripts/gen-llama.sh" matmul4096 "$onnx"
if [[ ! -d "$pkg" ]]; then
  JAVA_OPTS="$java_opts" "$root/pare" compile "$onnx" -o "$pkg" --pipeline EMPTY --target ios18 --input-shape x=1,4096
fi
"$root/pare" --version >/dev/null   # build (and make the start-up archive) outside the timed runs

if [[ -n "$out" ]]; then
  work="$out"
  mkdir -p "$work"
else
  work="$(mktemp -d /tmp/bench-weight4096.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi
load() { sed 's/ [0-9]*\/.*//' /proc/loadavg; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$root" rev-parse --short HEAD), $(nproc) CPUs, load before: $(load)"
run() { # pipeline, time file
  JAVA_OPTS="$java_opts" /usr/bin/time -f "%e %U %S %M" -o "$2" "$root/pare" compile "$pkg" -o "$work/out-$1.mlpackage" \
    --force --pipeline "$1" --target ios18 >/dev/null 2>"$work/err-$1"
}
for p in "${pipelines[@]}"; do run "$p" "$work/warm" || { echo "\`$p\` failed: $(tail -n 1 "$work/err-$p")" >&2; exit 1; }; done
for ((r = 1; r <= runs; r++)); do
  for p in "${pipelines[@]}"; do
    run "$p" "$work/t" || { echo "\`$p\` failed: $(tail -n 1 "$work/err-$p")" >&2; exit 1; }
    cat "$work/t" >> "$work/times-$p"
  done
done
echo "| pipeline | wall s, median (min–max) of $runs | CPU s (user+sys), median | peak RSS MiB |"
echo "| --- | ---: | ---: | ---: |"
for p in "${pipelines[@]}"; do
  wall=$(awk '{print $1}' "$work/times-$p" | sort -g | tr '\n' ' ')
  cpu=$(awk '{print $2 + $3}' "$work/times-$p" | sort -g | tr '\n' ' ')
  rss=$(awk '$4 > m { m = $4 } END { printf "%.0f", m / 1024 }' "$work/times-$p")
  awk -v p="$p" -v w="$wall" -v c="$cpu" -v rss="$rss" 'BEGIN {
      nw = split(w, W, " "); nc = split(c, C, " ")
      mw = nw % 2 ? W[(nw + 1) / 2] : (W[nw / 2] + W[nw / 2 + 1]) / 2
      mc = nc % 2 ? C[(nc + 1) / 2] : (C[nc / 2] + C[nc / 2 + 1]) / 2
      printf "| `%s` | %.2f (%.2f–%.2f) | %.2f | %s |\n", p, mw, W[1], W[nw], mc, rss }'
done
echo "# load after: $(load)"
