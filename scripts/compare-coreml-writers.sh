#!/usr/bin/env bash
# Compiles the same models with two builds of Pare over every compression pipeline and Core ML
# target, and checks that the packages are byte-identical and that refusals agree (same exit code,
# same refusal text). Used to check that moving the per-target lowering out of the Core ML writer
# into the lower_to_coreml pass changed no output.
#   scripts/compare-coreml-writers.sh BASE_CP_FILE NEW_CP_FILE [OUT_DIR] [MINILM_ONNX]
# A CP file holds a class path: cli/target/pare-cli-*.jar plus cli/target/classpath.txt of a tree
# built with mvn -DskipTests package -pl cli -am. Each build runs every case in one JVM (Batch.java).
set -uo pipefail
base_cp="$(cat "$1")"; new_cp="$(cat "$2")"
out="${3:-/tmp/coreml-writers}"; minilm="${4:-}"
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/.." && pwd)"
mnist="$root/compiler/src/test/resources/models/mnist_dwnet"
fixtures="$root/compiler/src/test/resources/models/coreml"
rm -rf "$out"; mkdir -p "$out"
cases="$out/cases.tsv"; : >"$cases"
add() { # id input pipeline target extra...
  local id="$1" in="$2" pipe="$3" target="$4"; shift 4
  local line="$id	compile	$in	-o	{out}/m.mlpackage	--quiet"
  [[ -n "$pipe" ]] && line+="	--pipeline	$pipe"
  [[ -n "$target" ]] && line+="	--target	$target"
  for x in "$@"; do line+="	$x"; done
  printf '%s\n' "$line" >>"$cases"
}
pipelines=(
  "EMPTY" "PALETTIZE_4BIT" "PALETTIZE_8BIT"
  "palettize{mode=kmeans, nbits=3, weight_threshold=0}" "palettize{mode=kmeans, nbits=2, weight_threshold=0}"
  "palettize{mode=kmeans, nbits=4, granularity=per_grouped_channel, group_size=4, weight_threshold=0}"
  "palettize{mode=kmeans, nbits=4, enable_per_channel_scale=true, weight_threshold=0}"
  "palettize{mode=kmeans, nbits=4, granularity=per_grouped_channel, group_size=4, enable_per_channel_scale=true, weight_threshold=0}"
  "palettize{mode=kmeans, nbits=2, cluster_dim=2, weight_threshold=0}"
  "QUANTIZE_INT8" "quantize_weights{mode=linear, dtype=uint8, granularity=per_tensor, weight_threshold=0}"
  "QUANTIZE_INT4_BLOCK32" "quantize_weights{mode=linear_symmetric, dtype=int8, granularity=per_block, block_size=24, skip_inapplicable=true, weight_threshold=0}"
  "PRUNE_50" "JOINT_PRUNE_PALETTIZE"
  "prune{mode=magnitude, target_sparsity=0.5}, quantize_weights{mode=linear_symmetric, dtype=int8, granularity=per_channel, skip_inapplicable=true}"
  "prune{mode=magnitude, target_sparsity=0.5}, quantize_weights{mode=linear_symmetric, dtype=int4, granularity=per_block, block_size=32, skip_inapplicable=true}"
  "prune{mode=magnitude, target_sparsity=0.5}, palettize{nbits=4, enable_per_channel_scale=true}"
)
targets=(ios16 ios17 ios18 ios26)
quick=(ios16 ios18)   # ios17 writes what ios16 does (plus activation quantization), ios26 what ios18 does (plus LUT-first scales)
i=0
for p in "${pipelines[@]}"; do
  for t in "${quick[@]}"; do add "mnist/$i/$t" "$mnist/model.onnx" "$p" "$t"; done
  i=$((i+1))
done
for t in ios17 ios26; do
  add "mnist/pcs/$t" "$mnist/model.onnx" "palettize{mode=kmeans, nbits=4, enable_per_channel_scale=true, weight_threshold=0}" "$t"
  add "mnist/empty/$t" "$mnist/model.onnx" EMPTY "$t"
done
for t in ios16 ios17 ios18; do
  add "mnist/w8a8/$t" "$mnist/model.onnx" W8A8 "$t" --calibration-data "$mnist/calib_x.f32" --calibration-spec=-1,1,28,28
done
for pkg in "$fixtures"/*.mlpackage; do
  n="$(basename "$pkg" .mlpackage)"
  add "fixture/$n/same" "$pkg" "" ""
  for t in ios16 ios18; do add "fixture/$n/$t" "$pkg" "" "$t"; done
  add "fixture/$n/pal4-ios18" "$pkg" PALETTIZE_4BIT ios18
done
if [[ -n "$minilm" ]]; then
  for p in PALETTIZE_4BIT QUANTIZE_INT4_BLOCK32 "palettize{mode=kmeans, nbits=4, enable_per_channel_scale=true}"; do
    add "minilm/$(printf '%s' "$p" | tr -c 'A-Za-z0-9' _ | cut -c1-40)/ios18" "$minilm" "$p" ios18 \
      --input-shape input_ids=1,128 --input-shape attention_mask=1,128 --input-shape token_type_ids=1,128
  done
fi
echo "$(wc -l <"$cases") cases" >&2
java -cp "$base_cp" "$here/coreml-writers/Batch.java" "$cases" "$out/base" >/dev/null || exit 1
java -cp "$new_cp" "$here/coreml-writers/Batch.java" "$cases" "$out/new" >/dev/null || exit 1
same=0; refused=0; differ=0
while IFS=$'\t' read -r id _; do
  b="$out/base/$id"; n="$out/new/$id"; rb=$(cat "$b/rc"); rn=$(cat "$n/rc")
  if [[ "$rb" == 0 && "$rn" == 0 ]]; then
    if diff -r "$b/m.mlpackage" "$n/m.mlpackage" >/dev/null; then same=$((same+1)); echo "same     $id"
    else differ=$((differ+1)); echo "DIFFER   $id (package bytes)"; fi
  elif [[ "$rb" == "$rn" ]] \
      && reason="$(grep -o "\(weight\|node\) '.*" "$b/stderr" | head -1)" && [[ -n "$reason" ]] && grep -qF -- "$reason" "$n/stderr"; then
    refused=$((refused+1)); echo "refused  $id: $reason"
  else
    differ=$((differ+1)); echo "DIFFER   $id (exit $rb vs $rn)"; head -c 300 "$b/stderr"; echo; head -c 300 "$n/stderr"; echo
  fi
done <"$cases"
echo "byte-identical packages: $same, refused alike: $refused, different: $differ"
[[ $differ == 0 ]]
