#!/usr/bin/env bash
# The small scale case: a Core ML package holding one 4096x4096 float32 weight (a MatMul), compressed
# by 4-bit k-means (PALETTIZE_4BIT) and int8 per-channel (QUANTIZE_INT8), timing the whole
# `./pare compile` process (JVM start-up included) over repeated runs. With hyperfine on PATH it
# runs the timing (Markdown table); otherwise a loop under /usr/bin/time prints each run and the mean.
#   scripts/bench-weight4096.sh [--models DIR] [--runs N] [--java-opts OPTS] [PIPELINE...]
#     --models DIR   where matmul4096.onnx(.data) and matmul4096.mlpackage are (made if missing);
#                    default /work/scale-models
#     --runs N       timed runs per pipeline (default 5, after one warm-up run)
#     PIPELINE       default: PALETTIZE_4BIT QUANTIZE_INT8
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="/work/scale-models"
runs=5
java_opts="${JAVA_OPTS:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --java-opts) java_opts="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
pipelines=("$@")
[[ ${#pipelines[@]} -gt 0 ]] || pipelines=(PALETTIZE_4BIT QUANTIZE_INT8)

mkdir -p "$models"
onnx="$models/matmul4096.onnx"
pkg="$models/matmul4096.mlpackage"
[[ -f "$onnx" ]] || "$root/scripts/gen-llama.sh" matmul4096 "$onnx"
if [[ ! -d "$pkg" ]]; then
  JAVA_OPTS="$java_opts" "$root/pare" compile "$onnx" -o "$pkg" --pipeline EMPTY --target ios18 --input-shape x=1,4096
fi
"$root/pare" --version >/dev/null   # build outside the timed runs

work="$(mktemp -d /tmp/bench-weight4096.XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$root" rev-parse --short HEAD), load:$(uptime | sed 's/.*load average://')"
for p in "${pipelines[@]}"; do
  cmd="JAVA_OPTS='$java_opts' '$root/pare' compile '$pkg' -o '$work/out.mlpackage' --force --pipeline '$p' --target ios18"
  if command -v hyperfine >/dev/null; then
    hyperfine --style basic --warmup 1 --runs "$runs" --export-markdown "$work/table.md" -n "$p" "$cmd" >&2
    tail -n +3 "$work/table.md"
  else
    bash -c "$cmd" >/dev/null 2>&1   # warm-up: page cache
    for ((r = 1; r <= runs; r++)); do
      /usr/bin/time -f "%e %U %S %M" -o "$work/t" bash -c "$cmd" >/dev/null 2>"$work/err" \
        || { echo "| \`$p\` | failed: $(tail -n 1 "$work/err") |"; continue 2; }
      cat "$work/t" >> "$work/times-$p"
    done
    awk -v p="$p" '{ w += $1; c += $2 + $3; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1; if ($4 > rss) rss = $4 }
      END { printf "| `%s` | %.2f s mean (min %.2f, max %.2f) over %d runs | CPU %.2f s | peak RSS %.0f MiB |\n", p, w / NR, min, max, NR, c / NR, rss / 1024 }' "$work/times-$p"
  fi
done
