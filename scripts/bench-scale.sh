#!/usr/bin/env bash
# Whole-run benchmark of `./pare compile`: one row per pipeline (and run) with wall time, CPU time,
# peak RSS, peak Java heap and output size, as a Markdown table on stdout (bench/SCALE.md).
#
#   scripts/bench-scale.sh [options] MODEL FORMAT PIPELINE... [-- EXTRA_COMPILE_ARGS...]
#     MODEL      input model (.onnx or .mlpackage)
#     FORMAT     onnx | mlpackage: the output format
#     PIPELINE   a built-in name (EMPTY, PALETTIZE_4BIT, ...) or inline steps, one argument each
#   options:
#     --java-opts OPTS   JVM options for every run, e.g. -Xmx2g (default: $JAVA_OPTS)
#     --out DIR          where outputs and logs go (default: a fresh directory under /tmp);
#                        each output is deleted after its run unless --keep
#     --keep             keep the outputs
#     --runs N           runs per pipeline (default 1); every run is a row
#     --timeout S        stop a run after S seconds (exit 124 in the table)
#   e.g. scripts/bench-scale.sh --java-opts -Xmx2g llama-7b.onnx onnx EMPTY QUANTIZE_INT4_BLOCK32
#        scripts/bench-scale.sh m.onnx mlpackage PALETTIZE_4BIT -- --target ios18
#
# Columns: wall and CPU (user + sys) of the whole java process, from /usr/bin/time -v; peak RSS,
# the process's maximum resident set (heap, metaspace, JIT, native buffers, mapped files touched);
# peak heap, the largest Java heap occupancy the GC log shows: heap used just before any GC, or at
# exit (-Xlog:gc,gc+heap+exit). It is what the heap really held at its fullest observed moment
# (live data plus garbage not yet collected), a lower bound of the true peak between GCs; "live"
# is the largest heap used right after a GC, i.e. roughly the largest live set. load: the 1-minute
# load average (/proc/loadavg) when the run started and ended (the machine may be shared). None
# needs any change in the CLI. A run that fails shows its exit code and the last line of its stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java_opts="${JAVA_OPTS:-}"
out_dir=""
keep=0
runs=1
timeout_s=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --java-opts) java_opts="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    -h|--help) sed -n '2,27p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) break ;;
  esac
done
[[ $# -ge 3 ]] || { echo "usage: bench-scale.sh [options] MODEL FORMAT PIPELINE... [-- EXTRA_COMPILE_ARGS]" >&2; exit 2; }
model="$1"; format="$2"; shift 2
case "$format" in onnx) ext=onnx ;; mlpackage) ext=mlpackage ;; *) echo "bench-scale: FORMAT must be onnx or mlpackage" >&2; exit 2 ;; esac
pipelines=()
while [[ $# -gt 0 && "$1" != "--" ]]; do pipelines+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
[[ -e "$model" ]] || { echo "bench-scale: no such model: $model" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench-scale: /usr/bin/time (GNU time) is needed" >&2; exit 4; }
[[ -n "$out_dir" ]] || out_dir="$(mktemp -d /tmp/bench-scale.XXXXXX)"
mkdir -p "$out_dir"

# build the CLI once, outside the timed runs
"$root/pare" --version >/dev/null

# heap sizes in a G1/Serial/Parallel gc log line: "123M->45M(512M)"; prints "before_max after_max" in MiB
gc_peaks() {
  awk '
    function mib(v, u) { v += 0; return u == "K" ? v / 1024 : u == "G" ? v * 1024 : u == "B" ? v / 1048576 : v }
    match($0, /[0-9]+[BKMG]->[0-9]+[BKMG]\(/) {
      s = substr($0, RSTART, RLENGTH - 1); split(s, p, "->")
      b = mib(substr(p[1], 1, length(p[1]) - 1), substr(p[1], length(p[1])))
      a = mib(substr(p[2], 1, length(p[2]) - 1), substr(p[2], length(p[2])))
      if (b > before) before = b; if (a > after) after = a
    }
    /garbage-first heap|def new generation|PSYoungGen/ && match($0, /used [0-9]+K/) {
      u = substr($0, RSTART + 5, RLENGTH - 6) / 1024; if (u > exitused) exitused = u
    }
    END { if (exitused > before) before = exitused; printf "%.0f %.0f\n", before, after }' "$1"
}

echo "| pipeline | JAVA_OPTS | exit | wall s | CPU s (user+sys) | peak RSS MiB | peak heap MiB (live after GC) | output MiB | load (start → end) |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
i=0
for p in "${pipelines[@]}"; do
  for ((r = 1; r <= runs; r++)); do
    i=$((i + 1))
    run="$out_dir/run-$i"
    rm -rf "$run"; mkdir -p "$run/out"
    load_start="$(cut -d' ' -f1 /proc/loadavg)"
    set +e
    JAVA_OPTS="$java_opts -Xlog:gc,gc+heap+exit:file=$run/gc.log" \
      /usr/bin/time -v -o "$run/time.txt" timeout "$timeout_s" "$root/pare" compile "$model" -o "$run/out/model.$ext" \
      --pipeline "$p" "${extra[@]}" >"$run/stdout.txt" 2>"$run/stderr.txt"
    code=$?
    set -e
    load_end="$(cut -d' ' -f1 /proc/loadavg)"
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + t[k]; printf "%.2f", s }' "$run/time.txt")"
    cpu="$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$run/time.txt")"
    rss="$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$run/time.txt")"
    read -r heap live < <(gc_peaks "$run/gc.log" 2>/dev/null || echo "? ?")
    size="$(du -sb "$run/out" | awk '{ printf "%.1f", $1 / 1048576 }')"
    status="$code"
    if [[ "$code" == 124 ]]; then
      status="124: stopped after ${timeout_s} s (--timeout)"
    elif [[ "$code" != 0 ]]; then
      why="$(grep -v '^\s*$' "$run/stderr.txt" | grep -v '^\s*at ' | tail -n 1 | cut -c1-120 | tr '|' '/')"
      status="$code: ${why:-see $run/stderr.txt}"
    fi
    echo "| \`$p\` | \`${java_opts:-default}\` | $status | $wall | $cpu | $rss | $heap ($live) | $size | $load_start → $load_end |"
    (( keep )) || rm -rf "$run/out"
  done
done
echo
echo "logs: $out_dir (gc.log, time.txt, stdout/stderr per run)"
