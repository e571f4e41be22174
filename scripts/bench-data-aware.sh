#!/usr/bin/env bash
# The cost of data-aware compression (README "Data-aware compression", "Cost"): times whole
# `pare compile` runs with the settings of the README's data-aware table and prints one Markdown
# row per run: wall time, CPU time (user + system, /usr/bin/time -v), peak heap (the largest heap
# occupancy any GC saw, -Xlog:gc), peak RSS and the 1-minute load average before and after.
#   scripts/bench-data-aware.sh [mnist] [mnist-targets] [minilm]     (default: mnist and minilm)
# mnist-targets: the default-options settings that meet the issue's accuracy bars in the README
# table (2-bit gptq, 50 % sparsegpt, 75 % sparsegpt with sparsity_allocation=output_error).
# Environment:
#   OUT            where logs and outputs go (default target/bench-data-aware)
#   PARE_CLASSPATH run another build of pare (e.g. the jars of main, for a before/after table)
#   THREADS        --threads of every compile (default: the machine's processors)
#   MINILM_CALIB   a folder of MiniLM calibration sequences to use instead of writing 128 of them
# mnist_dwnet: model.onnx with the 500 calib_x.f32 images; MiniLM: all-minilm-l6-v2.onnx
# (unpacked by the compiler module's build) with 128 token sequences of 16 to 64 tokens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
OUT="${OUT:-target/bench-data-aware}"
mkdir -p "$OUT"
D=compiler/src/test/resources/models/mnist_dwnet
M=compiler/target/test-models/minilm
THREADS="${THREADS:-$(nproc)}"
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(mnist minilm)

./pare --help >/dev/null # builds the CLI (and its start-up archive) once, outside the timings
D_CAL=(--calibration-data $D/calib_x.f32 --calibration-spec=-1,1,28,28)

echo "| model | pipeline | wall | CPU | peak heap | peak RSS | load avg (1 min) before / after |"
echo "| --- | --- | --- | --- | --- | --- | --- |"

run() { # name label model pipeline [calibration args...]
    local name=$1 label=$2 model=$3 pipeline=$4; shift 4
    local ext="${model##*.}"
    local load0; load0=$(cut -d' ' -f1 /proc/loadavg)
    rm -f "$OUT/$name.gc"
    JAVA_OPTS="${JAVA_OPTS:-} -Xlog:gc:file=$OUT/$name.gc" /usr/bin/time -v ./pare compile -q --force --threads "$THREADS" \
        "$model" -o "$OUT/$name.$ext" --pipeline "$pipeline" "$@" 2>"$OUT/$name.time" >/dev/null \
        || { cat "$OUT/$name.time" >&2; exit 1; }
    local load1; load1=$(cut -d' ' -f1 /proc/loadavg)
    local wall cpu rss heap
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.1f", s}' "$OUT/$name.time")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.1f", s}' "$OUT/$name.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$OUT/$name.time")
    heap=$(grep -o '[0-9]*M->' "$OUT/$name.gc" | sed 's/M->//' | sort -n | tail -1 || true)
    echo "| $label | \`$pipeline\` | ${wall} s | ${cpu} s | ${heap:-?} MiB | ${rss} MiB | $load0 / $load1 |"
}

for w in "${what[@]}"; do
    case "$w" in
    mnist)
        run p2_gptq "mnist_dwnet" $D/model.onnx "palettize{nbits=2, weight_threshold=512, algorithm=gptq}, CLEANUP" "${D_CAL[@]}"
        run p2_gptq_total "mnist_dwnet" $D/model.onnx \
            "palettize{nbits=2, weight_threshold=512, algorithm=gptq, bias_correction=total}, CLEANUP" "${D_CAL[@]}"
        run s50_total "mnist_dwnet" $D/model.onnx \
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=512, algorithm=sparsegpt, bias_correction=total}, CLEANUP" "${D_CAL[@]}"
        run s75_seq_total "mnist_dwnet" $D/model.onnx \
            "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=512, algorithm=sparsegpt, calibration=sequential, bias_correction=total} except op_name(\"*dw*\"), CLEANUP" "${D_CAL[@]}"
        ;;
    mnist-targets)
        run t_p2_gptq "mnist_dwnet" $D/model.onnx "palettize{nbits=2, algorithm=gptq}, CLEANUP" "${D_CAL[@]}"
        run t_s50 "mnist_dwnet" $D/model.onnx \
            "prune{mode=magnitude, target_sparsity=0.5, algorithm=sparsegpt}, CLEANUP" "${D_CAL[@]}"
        run t_s75_alloc "mnist_dwnet" $D/model.onnx \
            "prune{mode=magnitude, target_sparsity=0.75, algorithm=sparsegpt, sparsity_allocation=output_error}, CLEANUP" "${D_CAL[@]}"
        ;;
    minilm)
        calib="${MINILM_CALIB:-}"
        if [ -z "$calib" ]; then
            mvn -q -B -o -pl compiler -am test-compile dependency:build-classpath \
                -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
            cp="compiler/target/test-classes:compiler/target/classes:$(cat compiler/target/test-classpath.txt)"
            calib="$OUT/minilm-calib"
            rm -rf "$calib"
            java -Dpare.root="$root" -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm calibration \
                $M/all-minilm-l6-v2-tokenizer.json "$calib" 128 >&2
        fi
        run minilm_p3_gptq "MiniLM-L6" $M/all-minilm-l6-v2.onnx \
            "palettize{nbits=3, algorithm=gptq, sensitivity=hessian}, CLEANUP" --calibration-data "$calib"
        run minilm_int4_gptq "MiniLM-L6" $M/all-minilm-l6-v2.onnx \
            "quantize_weights{dtype=int4, granularity=per_block, block_size=32, algorithm=gptq}, CLEANUP" --calibration-data "$calib"
        ;;
    *) echo "unknown: $w (mnist, mnist-targets, minilm)" >&2; exit 2 ;;
    esac
done
