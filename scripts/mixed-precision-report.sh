#!/usr/bin/env bash
# Measures mixed precision against uniform settings on mnist_dwnet (README "Mixed precision"):
# runs pare analyze once (JSON), compiles mixed_precision plans at the given bit targets from that
# analysis and uniform palettization, and measures each on all 2,000 labelled test digits with
# pare compare. Bits per weight are counted over the same weights as analyze and the pass count
# (every float weight operand, small ones included), from pare inspect --json of the written file:
# numerator = the bytes the file stores those weights in (a compressed weight's every decode
# constant: indices with their padding, LUTs, scales, masks, unpack constants, LUT offsets; a float
# weight's raw bytes), denominator = their element count. The plans' predicted SNR (on the
# calibration samples) is printed next to the SNR measured on the 2,000 test digits.
#   scripts/mixed-precision-report.sh [--samples N] [--targets "2.5 3.0"] [--candidates STEPS] [--uniform OPTIONS] [--out DIR]
# (--candidates "" uses pare analyze's defaults, the data_aware set; --candidates rtn the round-to-nearest
# set; --uniform "" compares round-to-nearest uniform palettization)
#   scripts/mixed-precision-report.sh --minilm [--samples N] [--targets 3.5] [--out DIR]
# MiniLM (compiler/target/test-models/minilm, unpacked at generate-test-resources): pare analyze on
# N calibration token sequences (DataAwareMiniLm calibration: windows of ir/*.md), palettization
# candidates 8/6/4/3/2-bit per tensor, mixed_precision at the targets against uniform 4-bit
# per-tensor palettization; quality is the cosine of the sentence embeddings to the float model's
# on 16 held-out sentences (DataAwareMiniLm cosine: mean and minimum).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pare="$root/pare"
D="$root/compiler/src/test/resources/models/mnist_dwnet"
samples=128
targets="2.05 2.5 3.0"
out="$root/compiler/target/mixed-precision"
# palettization at 4, 3 and 2 bits per tensor and 2 bits with one LUT per 16 output channels, all
# data-aware (GPTQ, biases corrected for the drift of the whole model): the plan is applied as one
# palettize step, so bias_correction=total sees every planned weight (README "Mixed precision")
da="weight_threshold=0, algorithm=gptq, bias_correction=total"
candidates="palettize{nbits=4, $da}, palettize{nbits=3, $da}, palettize{nbits=2, $da}, \
palettize{nbits=2, granularity=per_grouped_channel, group_size=16, skip_inapplicable=true, $da}"
# the uniform settings compared with the plans: the same data-aware options, every weight (threshold 0)
# or those above 512 elements (the two 288-element convs stay float)
uniform="algorithm=gptq, bias_correction=total"
minilm=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minilm) minilm=1; D="$root/compiler/target/test-models/minilm"; samples=16; targets="3.5"
              out="$root/compiler/target/mixed-precision-minilm"
              candidates="palettize{nbits=8, weight_threshold=0}, palettize{nbits=6, weight_threshold=0}, \
palettize{nbits=4, weight_threshold=0}, palettize{nbits=3, weight_threshold=0}, palettize{nbits=2, weight_threshold=0}"
              shift ;;
    --samples) samples="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --candidates) candidates="$2"; shift 2 ;;
    --uniform) uniform="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

bits_of() { # file analysis.json -> "bits/weight bytes", over the analysis' weights, as the file stores them
  "$pare" inspect "$1" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
a = json.load(open(sys.argv[1]))
names = [w["name"] for w in a["weights"]]
elements = sum(w["elements"] for w in a["weights"])
stored = {c["name"]: c["stored_bytes"] for c in r["compressed_weights"] if c["graph"] == ""}
dense = {w["name"]: w["bytes"] for w in r["weights"] if w["graph"] == ""}
total = sum(stored.get(n, dense.get(n, 0)) for n in names)
print("%.3f %d" % (total * 8 / elements, total))' "$2"
}

if [[ $minilm == 1 ]]; then
  model="$D/all-minilm-l6-v2.onnx"
  tok="$D/all-minilm-l6-v2-tokenizer.json"
  (cd "$root" && mvn -q -B -o -pl compiler -am test-compile dependency:build-classpath \
      -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2)
  cp="$root/compiler/target/test-classes:$root/compiler/target/classes:$(cat "$root/compiler/target/test-classpath.txt")"
  rm -rf "$out/calib"
  java -Dpare.root="$root" -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm calibration "$tok" "$out/calib" "$samples"
  start=$(date +%s)
  "$pare" analyze "$model" --calibration-data "$out/calib" --samples "$samples" --candidates "$candidates" -q \
      --save-json "$out/analysis.json" > "$out/analysis.txt"
  echo "analyze: $(( $(date +%s) - start )) s, $samples sequences; table in $out/analysis.txt" >&2
  row() { # name file
    local b c
    b=$(bits_of "$2" "$out/analysis.json")
    c=$(java -cp "$cp" dev.pare.compiler.report.DataAwareMiniLm cosine "$tok" "$model" "$2")
    printf '| %s | %s | %s | %s |\n' "$1" "${b% *}" "${b#* }" "$c"
  }
  echo "| model | bits/weight (.onnx) | weight bytes | held-out sentence embeddings |"
  echo "| --- | ---: | ---: | --- |"
  for t in $targets; do
    "$pare" compile "$model" -o "$out/mixed_$t.onnx" --force -q --verbose \
        --pipeline "mixed_precision{target_bits_per_weight=$t, analysis=\"$out/analysis.json\"}, CLEANUP" 2> "$out/mixed_$t.notes"
    predicted=$(grep -o 'predicted SNR [-0-9.inf]* dB' "$out/mixed_$t.notes" | head -1)
    row "mixed_precision{target_bits_per_weight=$t} (plan: $predicted)" "$out/mixed_$t.onnx"
  done
  "$pare" compile "$model" -o "$out/pal4.onnx" --force -q --pipeline "palettize{nbits=4}, CLEANUP" >&2
  row "palettize{nbits=4} (per tensor)" "$out/pal4.onnx"
  "$pare" compile "$model" -o "$out/pal4_all.onnx" --force -q --pipeline "palettize{nbits=4, weight_threshold=0}, CLEANUP" >&2
  row "palettize{nbits=4, weight_threshold=0} (per tensor)" "$out/pal4_all.onnx"
  exit 0
fi

spec=(--calibration-spec=-1,1,28,28)
cand=()
[[ -n "$candidates" ]] && cand=(--candidates "$candidates")
start=$(date +%s)
"$pare" analyze "$D/model.onnx" --calibration-data "$D/calib_x.f32" "${spec[@]}" --samples "$samples" "${cand[@]}" -q \
    --save-json "$out/analysis.json" > "$out/analysis.txt"
echo "analyze: $(( $(date +%s) - start )) s, $samples samples; table in $out/analysis.txt" >&2

measure() { # name file
  local name="$1" file="$2"
  local acc snr bits
  read -r snr acc < <("$pare" compare "$D/model.onnx" "$file" --data "$D/test_x.f32" --data-spec=-1,1,28,28 \
      --labels "$D/test_y.u8" --json | python3 -c '
import json, sys
o = json.load(sys.stdin)["outputs"][0]
print(o["snr_db"], o["accuracy_b"])')
  bits=$(bits_of "$file" "$out/analysis.json")
  printf '| %s | %s | %s | %s | %s |\n' "$name" "${bits% *}" "${bits#* }" "$snr" "$acc"
}

echo "| model | bits/weight | weight bytes | SNR dB (2000 digits) | test accuracy |"
echo "| --- | ---: | ---: | ---: | ---: |"
for t in $targets; do
  "$pare" compile "$D/model.onnx" -o "$out/mixed_$t.onnx" --force -q --verbose "${spec[@]}" --calibration-data "$D/calib_x.f32" \
      --pipeline "mixed_precision{target_bits_per_weight=$t, samples=$samples, analysis=\"$out/analysis.json\"}, CLEANUP" 2> "$out/mixed_$t.notes"
  snrs=$(grep -o 'measured SNR [-0-9.inf]* dB on [0-9]* calibration samples with the plan applied (predicted [-0-9.inf]* dB)' "$out/mixed_$t.notes" | head -1)
  measure "mixed_precision{target_bits_per_weight=$t} (${snrs})" "$out/mixed_$t.onnx"
done
for n in 2 3; do
  for t in 0 512; do
    "$pare" compile "$D/model.onnx" -o "$out/pal${n}_t$t.onnx" --force -q "${spec[@]}" --calibration-data "$D/calib_x.f32" \
        --pipeline "palettize{nbits=$n, weight_threshold=$t${uniform:+, $uniform}}, CLEANUP" >&2
    measure "palettize{nbits=$n, weight_threshold=$t${uniform:+, $uniform}}" "$out/pal${n}_t$t.onnx"
  done
done
