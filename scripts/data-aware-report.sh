#!/usr/bin/env bash
# Measures data-aware compression against round-to-nearest (README "Data-aware compression"):
# every row is one `pare compile` (timed whole with /usr/bin/time -v: wall time and peak RSS
# include reading the model, calibration, compression and writing) and one `pare compare`.
#   scripts/data-aware-report.sh [mnist] [coreml] [minilm]      (default: all three)
# Results go to stdout as a Markdown table and to $OUT (default target/data-aware/).
# Bits per weight are counted over the compressed layers: every tensor the compressed weights
# became (indices, LUTs, scales, zero points, masks, kept values) at its stored width, divided by
# the weights those layers held; the int64 shape/shift constants of the ONNX unpacking are not
# counted (a Core ML package has none). Pruning rows give the sparsity instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
OUT="${OUT:-target/data-aware}"
mkdir -p "$OUT"
D=compiler/src/test/resources/models/mnist_dwnet
F=compiler/src/test/resources/models/coreml
M=compiler/target/test-models/minilm
WT=${WEIGHT_THRESHOLD:-512} # 2048 = the passes' default (layers of at most 2,048 weights stay float); 512 compresses all but two
what=("$@")
[ ${#what[@]} -eq 0 ] && what=(mnist coreml minilm)

./pare --help >/dev/null # builds the CLI once, outside the timings

# bits per weight over the weights that `pare inspect` no longer lists in OUT_MODEL
bits() {
    python3 - "$1" "$2" <<'PY'
import re, subprocess, sys
def weights(path):
    out = subprocess.run(["./pare", "inspect", path], capture_output=True, text=True, check=True).stdout
    rows, on = {}, False
    for line in out.splitlines():
        if line.startswith("Weights:"): on = True; continue
        if not on: continue
        if not line.strip(): break  # the weights table ends; a table of compressed weights follows
        m = re.match(r"\s+(\S+)\s+\[([0-9,]*)\]\s+(\S+)\s", line)
        if not m: continue
        n = 1
        for d in filter(None, m.group(2).split(",")): n *= int(d)
        rows[m.group(1)] = (n, m.group(3))
    return rows
width = {"f32": 32, "f16": 16, "i8": 8, "u8": 8, "i4": 4, "u4": 4, "bool": 8, "i32": 32, "i64": 64}
a, b = weights(sys.argv[1]), weights(sys.argv[2])
gone = sum(n for k, (n, t) in a.items() if k not in b)
new = sum(n * width[t] for k, (n, t) in b.items() if k not in a and t != "i64")
print("%.3f" % (new / gone if gone else float("nan")))
PY
}

compile() { # name model out pipeline [calibration args...]
    local name=$1 model=$2 out=$3 pipeline=$4; shift 4
    /usr/bin/time -v ./pare compile -q --force "$model" -o "$out" --pipeline "$pipeline" "$@" 2>"$OUT/$name.time" >/dev/null \
        || { cat "$OUT/$name.time" >&2; exit 1; }
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; printf "%.1f", s}' "$OUT/$name.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$OUT/$name.time")
}

accuracy() { # float compressed
    ./pare compare "$1" "$2" --data $D/test_x.f32 --data-spec=-1,1,28,28 --labels $D/test_y.u8 2>/dev/null \
        | awk '/^Accuracy against/ {on=1} on && $1 == "logits" {print $NF}'
}

sparsity() { # model: fraction of zeros over the pruned layers, from the masks' kept counts
    python3 - "$1" "$2" <<'PY'
import re, subprocess, sys
def weights(path):
    out = subprocess.run(["./pare", "inspect", path], capture_output=True, text=True, check=True).stdout
    rows, on = {}, False
    for line in out.splitlines():
        if line.startswith("Weights:"): on = True; continue
        if on and not line.strip(): break
        m = re.match(r"\s+(\S+)\s+\[([0-9,]*)\]\s+(\S+)\s", line) if on else None
        if m:
            n = 1
            for d in filter(None, m.group(2).split(",")): n *= int(d)
            rows[m.group(1)] = n
    return rows
a, b = weights(sys.argv[1]), weights(sys.argv[2])
gone = sum(n for k, n in a.items() if k not in b)
kept = sum(n for k, n in b.items() if k not in a and re.search(r"_(values|nonzero_data)(_\d+)?$", k))
print("%.3f" % (1 - kept / gone))
PY
}

echo "| model | compression | naive (rtn) | data-aware | bits/weight or sparsity | time, peak RSS (data-aware) |"
echo "| --- | --- | --- | --- | --- | --- |"

mnist_row() { # label rtn-pipeline data-aware-pipeline kind(bits|sparsity) source extension
    local label=$1 rtn=$2 aware=$3 kind=$4 src=$5 ext=$6
    local tag; tag=$(echo "$label" | tr -c 'a-zA-Z0-9' '_')
    compile "rtn_$tag" "$src" "$OUT/rtn_$tag.$ext" "$rtn, CLEANUP"
    local a_rtn; a_rtn=$(accuracy "$src" "$OUT/rtn_$tag.$ext")
    compile "aware_$tag" "$src" "$OUT/aware_$tag.$ext" "$aware, CLEANUP" \
        --calibration-data $D/calib_x.f32 --calibration-spec=-1,1,28,28
    local a_aware; a_aware=$(accuracy "$src" "$OUT/aware_$tag.$ext")
    local size
    if [ "$kind" = bits ]; then size="$(bits "$src" "$OUT/aware_$tag.$ext") / $(bits "$src" "$OUT/rtn_$tag.$ext") bits"
    else size="$(sparsity "$src" "$OUT/aware_$tag.$ext") / $(sparsity "$src" "$OUT/rtn_$tag.$ext") zeros"; fi
    echo "| $7 | \`$aware\` | $a_rtn | $a_aware | $size | ${secs} s, ${rss} MiB |"
}

for w in "${what[@]}"; do
    case "$w" in
    mnist|coreml)
        if [ "$w" = mnist ]; then src=$D/model.onnx; ext=onnx; label="mnist_dwnet ONNX"; else src=$F/mnist_dwnet_fp32_ios18.mlpackage; ext=mlpackage; label="mnist_dwnet Core ML"; fi
        mnist_row "$w p2" "palettize{nbits=2, weight_threshold=$WT}" \
            "palettize{nbits=2, weight_threshold=$WT, algorithm=gptq}" bits "$src" "$ext" "$label"
        mnist_row "$w s50" "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT}" \
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT, algorithm=sparsegpt}" sparsity "$src" "$ext" "$label"
        mnist_row "$w p2t" "palettize{nbits=2, weight_threshold=$WT}" \
            "palettize{nbits=2, weight_threshold=$WT, algorithm=gptq, bias_correction=total}" bits "$src" "$ext" "$label"
        mnist_row "$w s50t" "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT}" \
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT, algorithm=sparsegpt, bias_correction=total}" sparsity "$src" "$ext" "$label"
        mnist_row "$w s50o" "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT}" \
            "prune{mode=magnitude, target_sparsity=0.5, weight_threshold=$WT, algorithm=sparsegpt, bias_correction=own}" sparsity "$src" "$ext" "$label"
        # 75 % of the compressed layers' weights, spread by each layer's output-error curve
        mnist_row "$w s75a" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
            "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt, sparsity_allocation=output_error}" sparsity "$src" "$ext" "$label"
        if [ "$w" = mnist ]; then
            mnist_row "$w s75t" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
                "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt, bias_correction=total}" sparsity "$src" "$ext" "$label"
            mnist_row "$w s75" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
                "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt}" sparsity "$src" "$ext" "$label"
            mnist_row "$w s75o" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
                "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt, bias_correction=own}" sparsity "$src" "$ext" "$label"
            mnist_row "$w s75ao" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
                "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt, sparsity_allocation=output_error, bias_correction=own}" sparsity "$src" "$ext" "$label"
            mnist_row "$w s75at" "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT}" \
                "prune{mode=magnitude, target_sparsity=0.75, weight_threshold=$WT, algorithm=sparsegpt, sparsity_allocation=output_error, bias_correction=total}" sparsity "$src" "$ext" "$label"
        fi
        ;;
    minilm)
        mvn -q -B -o -pl compiler -am test-compile dependency:build-classpath \
            -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
        cp="compiler/target/test-classes:compiler/target/classes:$(cat compiler/target/test-classpath.txt)"
        tok=$M/all-minilm-l6-v2-tokenizer.json
        rm -rf "$OUT/minilm-calib"
        java -Dpare.root="$root" -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm calibration $tok "$OUT/minilm-calib" 128
        for pair in "palettize{nbits=3}|palettize{nbits=3, algorithm=gptq}" \
                    "palettize{nbits=3}|palettize{nbits=3, algorithm=gptq, sensitivity=hessian}" \
                    "palettize{nbits=3}|palettize{nbits=3, algorithm=gptq, sensitivity=hessian, bias_correction=own}" \
                    "quantize_weights{dtype=int4, granularity=per_block, block_size=32}|quantize_weights{dtype=int4, granularity=per_block, block_size=32, algorithm=gptq}"; do
            rtn=${pair%%|*}; aware=${pair##*|}
            compile minilm_rtn $M/all-minilm-l6-v2.onnx "$OUT/minilm_rtn.onnx" "$rtn, CLEANUP"
            c_rtn=$(java -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm cosine $tok $M/all-minilm-l6-v2.onnx "$OUT/minilm_rtn.onnx")
            compile minilm_aware $M/all-minilm-l6-v2.onnx "$OUT/minilm_aware.onnx" "$aware, CLEANUP" --calibration-data "$OUT/minilm-calib"
            c_aware=$(java -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm cosine $tok $M/all-minilm-l6-v2.onnx "$OUT/minilm_aware.onnx")
            echo "| MiniLM-L6 (16 held-out sentences, embedding $c_rtn → data-aware) | \`$aware\` | ${c_rtn#cosine } | ${c_aware#cosine } | $(bits $M/all-minilm-l6-v2.onnx "$OUT/minilm_aware.onnx") bits | ${secs} s, ${rss} MiB |"
        done
        ;;
    *) echo "unknown: $w (mnist, coreml, minilm)" >&2; exit 2 ;;
    esac
done
