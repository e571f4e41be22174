#!/usr/bin/env bash
# Checks that two builds of the CLI write byte-identical outputs: compiles MODEL with each pipeline
# through build A and build B and compares the SHA-256 of every output file (model and external
# data). Use it after a change that must not alter results (a faster path, a streaming threshold).
#
#   scripts/same-output.sh [--format onnx|mlpackage] CLASSPATH_A CLASSPATH_B MODEL PIPELINE... [-- EXTRA_COMPILE_ARGS...]
#     --format       the output written and compared (default onnx; mlpackage: every file of the package)
#     CLASSPATH_A/B  a file holding a class path for `pare` (PARE_CLASSPATH), e.g. a frozen copy of
#                    main's cli/target jars and classpath.txt, and one of the branch's
#   e.g. scripts/same-output.sh main.cp branch.cp llama-125m.onnx QUANTIZE_INT4_BLOCK32 PALETTIZE_4BIT
#        scripts/same-output.sh --format mlpackage main.cp branch.cp llama-125m.onnx PRUNE_50 -- --target ios18 --input-shape input_ids=1,128
# Prints one line per pipeline ("same" or "DIFFERENT", with the digests) and exits 1 if any differ.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ext=onnx
if [[ "${1:-}" == "--format" ]]; then
  case "${2:-}" in onnx|mlpackage) ext="$2" ;; *) echo "same-output: --format must be onnx or mlpackage" >&2; exit 2 ;; esac
  shift 2
fi
[[ $# -ge 4 ]] || { sed -n '2,13p' "${BASH_SOURCE[0]}" >&2; exit 2; }
cp_a="$(cat "$1")"; cp_b="$(cat "$2")"; model="$3"; shift 3
pipelines=()
while [[ $# -gt 0 && "$1" != "--" ]]; do pipelines+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
work="$(mktemp -d /tmp/same-output.XXXXXX)"
trap 'rm -rf "$work"' EXIT
differ=0
for p in "${pipelines[@]}"; do
  for side in a b; do
    cp="$cp_a"; [[ $side == b ]] && cp="$cp_b"
    mkdir -p "$work/$side"
    PARE_CLASSPATH="$cp" "$root/pare" compile "$model" -o "$work/$side/out.$ext" --pipeline "$p" --quiet --force "$@" >/dev/null
  done
  # every output file (an .mlpackage is a folder), by its path inside the output
  sum_a="$(cd "$work/a" && find out.$ext* -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  sum_b="$(cd "$work/b" && find out.$ext* -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [[ "$sum_a" == "$sum_b" ]]; then
    echo "$p: same ($sum_a, $(du -cb "$work/a"/out.$ext* | tail -n 1 | cut -f1) bytes)"
  else
    echo "$p: DIFFERENT (A $sum_a, B $sum_b)"; differ=1
  fi
  rm -rf "$work/a" "$work/b"
done
exit "$differ"
