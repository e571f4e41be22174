#!/usr/bin/env bash
# Start-up A/B: the same `pare compile` of the 4096x4096 package (scripts/bench-weight4096.sh) run by
# two checkouts' launchers, interleaved run by run, after one warm-up round each; prints each side's
# CPU time (user + sys) and wall time, sorted, with the median, and whether the two outputs are
# byte-identical. On a shared machine compare CPU: wall time follows the load.
#   scripts/bench-startup-ab.sh [--runs N] [--models DIR] BEFORE_ROOT AFTER_ROOT [PIPELINE...]
#     BEFORE_ROOT, AFTER_ROOT  checkouts holding a `pare` launcher (e.g. a clone of main and this one);
#                              each builds itself and its start-up archive outside the timed runs
#     --runs N                 timed rounds (default 7)
#     --models DIR             where matmul4096.mlpackage is (default /work/scale-models)
#     PIPELINE                 default: EMPTY
set -euo pipefail

runs=7
models="/work/scale-models"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || { echo "usage: $0 [--runs N] [--models DIR] BEFORE_ROOT AFTER_ROOT [PIPELINE...]" >&2; exit 2; }
sides=("$1" "$2"); shift 2
pipelines=("$@")
[[ ${#pipelines[@]} -gt 0 ]] || pipelines=(EMPTY)
pkg="$models/matmul4096.mlpackage"
[[ -d "$pkg" ]] || { echo "$pkg is missing: run scripts/bench-weight4096.sh once to make it" >&2; exit 2; }

work="$(mktemp -d /tmp/bench-startup-ab.XXXXXX)"
trap 'rm -rf "$work"' EXIT
for s in 0 1; do "${sides[$s]}/pare" --version >/dev/null; done
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(load)"
for ((r = 0; r <= runs; r++)); do   # round 0 is the warm-up
  for p in "${pipelines[@]}"; do
    for s in 0 1; do
      /usr/bin/time -f "%e %U %S" -o "$work/t" "${sides[$s]}/pare" compile "$pkg" -o "$work/out-$s-$p.mlpackage" --force \
        --pipeline "$p" --target ios18 >/dev/null 2>"$work/err" || { echo "${sides[$s]}: \`$p\` failed: $(tail -n 1 "$work/err")" >&2; exit 1; }
      (( r > 0 )) && cat "$work/t" >> "$work/times-$s-$p"
    done
  done
done
echo "# load after: $(load)"
median() { sort -g | awk '{ v[NR] = $1; printf "%s ", $1 } END { printf "(median %s)", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for p in "${pipelines[@]}"; do
  for s in 0 1; do
    echo "$p ${sides[$s]}: CPU s $(awk '{ print $2 + $3 }' "$work/times-$s-$p" | median); wall s $(awk '{ print $1 }' "$work/times-$s-$p" | median)"
  done
  if diff -r "$work/out-0-$p.mlpackage" "$work/out-1-$p.mlpackage" >/dev/null; then echo "$p: outputs identical"; else echo "$p: outputs DIFFER"; fi
done
