#!/usr/bin/env bash
# The issue 14 benchmark matrix: runs scripts/bench-scale.sh once per cell, one cell at a time,
# and appends each cell's Markdown row to a table as soon as it is measured.
#
#   scripts/bench-matrix.sh [--models DIR] [--out DIR] MATRIX...
#     MATRIX       a cell list: bench/matrix-7b.tsv, bench/matrix-1.5b.tsv, or your own
#     --models DIR where the generated models are (default /work/scale-models; see gen-llama.sh)
#     --out DIR    logs and table (default: a fresh directory under /tmp); DIR/matrix.md is the
#                  table, DIR/cell-N/ each cell's bench-scale.sh logs; outputs are deleted after
#                  each row (a 7B output is 4-13 GB)
#
# A cell list has one cell per line, tab-separated: MODEL FORMAT JAVA_OPTS TIMEOUT_S PIPELINE
# [EXTRA_COMPILE_ARGS...] (MODEL relative to --models, TIMEOUT_S 0 for none, EXTRA split at
# spaces); '#' lines are comments. The list is copied to DIR/queue first and each cell is taken off
# the top of that copy when it starts, so cells can be added, removed or reordered in DIR/queue
# while the matrix runs; touch DIR/STOP to stop after the running cell. A cell that runs out of
# time shows exit 124 and, in "reached", the last progress line it printed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models=/work/scale-models
out_dir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: bench-matrix.sh [--models DIR] [--out DIR] MATRIX..." >&2; exit 2; }
[[ -n "$out_dir" ]] || out_dir="$(mktemp -d /tmp/bench-matrix.XXXXXX)"
mkdir -p "$out_dir"
queue="$out_dir/queue"
grep -h -v -e '^\s*#' -e '^\s*$' "$@" >"$queue"
table="$out_dir/matrix.md"
{
  echo "| model | format | pipeline | JAVA_OPTS | exit | wall s | CPU s (user+sys) | peak RSS MiB | peak heap MiB (live after GC) | output MiB | load (start → end) | reached |"
  echo "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
} >"$table"
echo "bench-matrix: table $table, queue $queue" >&2

n=0
while [[ -s "$queue" && ! -e "$out_dir/STOP" ]]; do
  line="$(head -n 1 "$queue")"
  sed -i 1d "$queue"
  IFS=$'\t' read -r model format java_opts timeout_s pipeline extra <<<"$line"
  n=$((n + 1))
  cell="$out_dir/cell-$n"
  read -r -a extra_args <<<"${extra:-}"
  echo "bench-matrix: $(date -u +%H:%M:%S) cell $n: $model $format $pipeline ${extra:-} ($java_opts)" >&2
  rows="$("$root/scripts/bench-scale.sh" --java-opts "$java_opts" --out "$cell" --timeout "$timeout_s" \
    "$models/$model" "$format" "$pipeline" -- ${extra_args[@]+"${extra_args[@]}"} 2>"$cell.err" || true)"
  row="$(grep '^| `' <<<"$rows" | head -n 1)"
  [[ -n "$row" ]] || row="| \`$pipeline\` | \`$java_opts\` | bench-scale.sh failed: $(tail -n 1 "$cell.err" | tr '|' '/') | | | | | | |"
  # the last progress line the run printed (weights done of total) if it did not finish
  reached=""
  if ! grep -q '| 0 |' <<<"$row"; then
    reached="$(grep -a -o -E '[0-9]+ of [0-9]+ weights|[0-9]+/[0-9]+ weights' "$cell/run-1/stderr.txt" 2>/dev/null | tail -n 1 || true)"
  fi
  echo "| $model | $format${extra:+ \`$extra\`} ${row#| } $reached |" >>"$table"
  tail -n 1 "$table" >&2
done
echo "bench-matrix: done ($n cells), $table" >&2
