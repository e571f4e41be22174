#!/usr/bin/env bash
# Conversion coverage on the real-model corpus (scripts/corpus/models.tsv): for each model,
#   1. ./pare compile MODEL.onnx -o ID.mlpackage --pipeline EMPTY --input-shape ...
#      (no compression: only convert_to_mil and the Core ML writer; the `pipeline` column, when not
#      -, replaces EMPTY, e.g. convert_to_mil{input_values=["sr:16000"]}), and when that works
#   2. ./pare compare MODEL.onnx ID.mlpackage --json --samples N --seed 0 --ort-optimization none
#      --input-shape ... (ONNX Runtime without graph optimizations, i.e. the ONNX operators as
#      written, against Pare's MIL interpreter on the same inputs: generated uniform noise, or with an
#      `inputs` kind (text-image, lines-image) or input_values in the pipeline, the samples that
#      scripts/corpus/make-inputs.py writes, holding those values so that ONNX Runtime computes
#      what the package was converted for), then
#   3. the same compare against ONNX Runtime with its default optimizations (--ort-optimization
#      all), which may fuse nodes into kernels that round differently (int8 MatMul).
#   4. for a model with a Sigmoid node, step 2 again with --exact-sigmoid: ONNX Runtime computes
#      the float32 Sigmoids as 1 / (1 + exp(-x)) instead of with its approximate Sigmoid kernel
#      (1e-4 relative off and more for outputs near 0), in a column of its own.
# Records converted yes/no, the exact error (unsupported op or attribute), the worst relative error
# over the outputs (max |ort - mil| / max |ort|, from compare's max_rel_error) against the ONNX
# Runtime runs, and the times.
#
#   scripts/corpus-coverage.sh [--subset ci] [--only ID[,ID...]] [--samples N] [--timeout S]
#                              [--corpus DIR] [--out DIR] [--no-optimized] [--no-exact-sigmoid] [--report-only]
#
# --corpus: where fetch-corpus.sh puts the models (default $PARE_CORPUS_DIR or ~/.cache/pare-corpus)
# --out:    results (default target/corpus-coverage): coverage.md, coverage.tsv, coverage.json, logs/
# --samples: generated inputs per model (default 2); --timeout: seconds per compile / compare (600)
# --no-optimized: skip step 3 (one run of the interpreter fewer per model)
# --no-exact-sigmoid: skip step 4
# --report-only: only rewrite coverage.md and coverage.json from an existing coverage.tsv
# The relative error of an output whose largest ONNX Runtime value is below 1e-4 (e.g. a sigmoid
# that generated inputs drive to 0) says little: such rows are flagged and not counted as matching.
# Runs the steps under `nice -n 10`. Needs jq.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$root/scripts/corpus/models.tsv"
subset=""; only=""; samples=2; limit=600
corpus="${PARE_CORPUS_DIR:-$HOME/.cache/pare-corpus}"
out="$root/target/corpus-coverage"
report_only=0
optimized=1
exact_sigmoid=1
while (( $# )); do
  case "$1" in
    --subset) subset="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --samples) samples="$2"; shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --report-only) report_only=1; shift ;;
    --no-optimized) optimized=0; shift ;;
    --no-exact-sigmoid) exact_sigmoid=0; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "corpus-coverage: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v jq >/dev/null || { echo "corpus-coverage: jq is needed (apt-get install jq)" >&2; exit 1; }

tsv="$out/coverage.tsv"
if (( ! report_only )); then
fetch_args=()
[[ -n "$subset" ]] && fetch_args+=(--subset "$subset")
[[ -n "$only" ]] && fetch_args+=(--only "$only")
"$root/scripts/fetch-corpus.sh" "${fetch_args[@]}" "$corpus"

mkdir -p "$out/logs" "$out/packages"
echo "$samples" > "$out/samples"
pare="$root/pare"
# build the CLI once, outside the timed steps
"$pare" --version >/dev/null

header='id\tfamily\tsource\tmib\tconverted\terror\tworst_rel_error\tworst_output\tworst_output_max_abs\tmin_snr_db\tcompile_s\tcompare_s\tinputs\tworst_rel_error_ort_optimized\tworst_rel_error_exact_sigmoid'
new="$tsv.new"
printf "$header\n" > "$new"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# the one line that says why a step failed: pare's "error:" line, else the last line
why() {
  local line
  line="$(grep -m1 -E '(^pare: error|^error:|Exception)' "$1" || true)"
  [[ -n "$line" ]] || line="$(tail -n 1 "$1")"
  # pare: error[MIL001] pass 'convert_to_mil' failed at <pipeline>:1:1 on node 'n' (onnx.Pad): convert_to_mil: ...
  line="$(printf '%s' "$line" | sed -E "s/^pare: error(\[[A-Z0-9]+\])?:? //; s/^pass '[a-z_]+' failed at [^:]*:[0-9]+:[0-9]+( on node .*\(onnx\.[A-Za-z]+\))?: //")"
  printf '%s' "${line//$'\t'/ }" | cut -c1-20000
}

awk -F'\t' -v subset="$subset" -v only=",$only," '
  NR == 1 || /^#/ || NF < 5 { next }
  subset != "" && index("," $8 ",", "," subset ",") == 0 { next }
  only != ",," && index(only, "," $1 ",") == 0 { next }
  { print $1 "\t" $2 "\t" $3 "\t" $6 "\t" $7 "\t" $9 "\t" $10 }' "$list" |
while IFS=$'\t' read -r id family source bytes shapes pipeline kind; do
  model="$corpus/$id.onnx"
  pkg="$out/packages/$id.mlpackage"
  shape_args=()
  if [[ "$shapes" != "-" ]]; then
    for s in $shapes; do shape_args+=(--input-shape "$s"); done
  fi
  [[ -z "$pipeline" || "$pipeline" == "-" ]] && pipeline=EMPTY
  # fixed input values ("NAME:V,..."): compare feeds ONNX Runtime the same values
  values="$(grep -o 'input_values=\[[^]]*\]' <<< "$pipeline" | grep -o '"[^"]*"' | tr -d '"' | tr '\n' ' ' || true)"
  compare_args=("${shape_args[@]}")
  [[ -z "$kind" ]] && kind=-
  if [[ -n "${values// /}" || "$kind" != "-" ]]; then
    data="$out/data/$id"
    rm -rf "$data"
    [[ "$kind" == "-" ]] && kind=noise
    python3 "$root/scripts/corpus/make-inputs.py" "$data" "$samples" 0 "$shapes" "$values" "$kind"
    compare_args=(--data "$data")
  fi
  [[ "$kind" == "-" ]] && kind=noise
  mib="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
  echo "== $id ($family, $mib MiB)" >&2
  t0="$(now)"
  converted=no; error=""; rel=""; worst=""; scale=""; snr=""; compare_s=""; rel_opt=""; rel_exact=""
  if nice -n 10 timeout "$limit" "$pare" compile "$model" -o "$pkg" --force --pipeline "$pipeline" "${shape_args[@]}" \
      > "$out/logs/$id.compile.out" 2> "$out/logs/$id.compile.err"; then
    converted=yes
  else
    rc=$?
    error="$(why "$out/logs/$id.compile.err")"
    (( rc == 124 )) && error="compile timed out after ${limit} s"
  fi
  compile_s="$(secs "$t0" "$(now)")"
  if [[ "$converted" == yes ]]; then
    t1="$(now)"
    if nice -n 10 timeout "$limit" "$pare" compare "$model" "$pkg" --json --samples "$samples" --seed 0 --ort-optimization none \
        "${compare_args[@]}" > "$out/logs/$id.compare.json" 2> "$out/logs/$id.compare.err"; then
      j="$out/logs/$id.compare.json"
      read -r rel scale worst < <(jq -r '[.outputs[] | {n: .name, a: .max_abs_a,
          r: (if .max_rel_error == null then 1e308 else .max_rel_error end)}] | max_by(.r) | "\(.r) \(.a) \(.n)"' "$j")
      snr="$(jq -r '[.outputs[] | .snr_db | if . == "inf" then 1e308 elif . == "-inf" then -1e308 else . end] | min
          | if . >= 1e308 then "inf" else tostring end' "$j")"
      nonfinite="$(jq '[.outputs[].non_finite] | add' "$j")"
      [[ "$nonfinite" != 0 ]] && error="$nonfinite values NaN/inf in one model only"
      # outputs compare could not pair by name: the package renamed them (or lacks them)
      unpaired="$(jq -r 'if (.only_in_a | length) == 0 then "" elif (.only_in_a | length) == (.only_in_b | length)
          then "\(.only_in_a | length) outputs not compared, renamed in the package: "
            + ([.only_in_a, .only_in_b] | transpose | map("\(.[0]) → \(.[1])") | join(", "))
          else "outputs missing from the package: " + (.only_in_a | join(", ")) end' "$j")"
      [[ -n "$unpaired" ]] && error="${error:+$error; }$unpaired"
    else
      rc=$?
      error="compare: $(why "$out/logs/$id.compare.err")"
      (( rc == 124 )) && error="compare timed out after ${limit} s"
    fi
    compare_s="$(secs "$t1" "$(now)")"
    # against what a deployed model computes: ONNX Runtime with its default optimizations
    if (( optimized )) && [[ -n "$rel" ]]; then
      if nice -n 10 timeout "$limit" "$pare" compare "$model" "$pkg" --json --samples "$samples" --seed 0 --ort-optimization all \
          "${compare_args[@]}" > "$out/logs/$id.compare-optimized.json" 2> "$out/logs/$id.compare-optimized.err"; then
        rel_opt="$(jq -r '[.outputs[] | if .max_rel_error == null then 1e308 else .max_rel_error end] | max' \
            "$out/logs/$id.compare-optimized.json")"
      fi
    fi
    # against ONNX Runtime with exact Sigmoids, for a model that has any (the op type is a plain
    # string in the protobuf; compare's count of rewritten nodes settles it)
    if (( exact_sigmoid )) && [[ -n "$rel" ]] && grep -q -a Sigmoid "$model"; then
      j="$out/logs/$id.compare-exact-sigmoid.json"
      if nice -n 10 timeout "$limit" "$pare" compare "$model" "$pkg" --json --samples "$samples" --seed 0 --ort-optimization none \
          --exact-sigmoid "${compare_args[@]}" > "$j" 2> "$out/logs/$id.compare-exact-sigmoid.err"; then
        rel_exact="$(jq -r 'if .exact_sigmoid.a.rewritten > 0 then
            [.outputs[] | if .max_rel_error == null then 1e308 else .max_rel_error end] | max else "" end' "$j")"
      fi
    fi
    rm -rf "$pkg"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$family" "$source" "$mib" "$converted" "$error" \
      "$rel" "$worst" "$scale" "$snr" "$compile_s" "$compare_s" "$kind" "$rel_opt" "$rel_exact" >> "$new"
  echo "   converted=$converted rel=$rel (ORT optimized: ${rel_opt:-not run}; exact Sigmoid: ${rel_exact:-not run}) ${error:+error: $error}" >&2
done
# merge: the rows just measured, and for models not run this time the rows of the last run
{
  printf "$header\n"
  awk -F'\t' 'FILENAME == ARGV[1] { if (FNR > 1 && NF >= 5 && !/^#/) order[++n] = $1; next }
       FILENAME == ARGV[2] { if (FNR > 1) fresh[$1] = $0; next }
       FNR > 1 && NF == 15 { old[$1] = $0 }
       FNR > 1 && NF == 14 { old[$1] = $0 "\t" }  # a row from before the exact-Sigmoid column
       FNR > 1 && NF == 12 { old[$1] = $0 "\tnoise\t\t" }  # a row from before the inputs and optimized columns
       END { for (i = 1; i <= n; i++) { id = order[i]; if (id in fresh) print fresh[id]; else if (id in old) print old[id] } }' \
    "$list" "$new" "$( [[ -f "$tsv" ]] && echo "$tsv" || echo /dev/null )"
} > "$tsv.merged"
mv "$tsv.merged" "$tsv"
rm -f "$new"
fi
[[ -f "$tsv" ]] || { echo "corpus-coverage: no $tsv" >&2; exit 1; }

# coverage.json: the TSV as an array of objects
jq -R -s 'split("\n") | map(select(length > 0) | split("\t")) | .[0] as $h | .[1:]
    | map([$h, .] | transpose | map({(.[0]): .[1]}) | add)' "$tsv" > "$out/coverage.json"

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | head -n 1)"
[[ -n "$dirty" ]] && commit="$commit+changes"
samples_run="$(cat "$out/samples" 2>/dev/null || echo "$samples")"
{
  total="$(($(wc -l < "$tsv") - 1))"
  conv="$(awk -F'\t' 'NR > 1 && $5 == "yes"' "$tsv" | wc -l)"
  ran="$(awk -F'\t' 'NR > 1 && $5 == "yes" && $7 != ""' "$tsv" | wc -l)"
  match="$(awk -F'\t' 'NR > 1 && $5 == "yes" && $6 == "" && $7 != "" && $7 + 0 <= 1e-4 && $9 + 0 >= 1e-4' "$tsv" | wc -l)"
  match_opt="$(awk -F'\t' 'NR > 1 && $5 == "yes" && $6 == "" && $14 != "" && $14 + 0 <= 1e-4 && $9 + 0 >= 1e-4' "$tsv" | wc -l)"
  ran_opt="$(awk -F'\t' 'NR > 1 && $14 != ""' "$tsv" | wc -l)"
  # models that miss against ONNX Runtime's own Sigmoid kernel but match once it is exact
  match_exact="$(awk -F'\t' 'NR > 1 && $5 == "yes" && $6 == "" && $9 + 0 >= 1e-4 && !($7 != "" && $7 + 0 <= 1e-4) &&
      $15 != "" && $15 + 0 <= 1e-4' "$tsv" | wc -l)"
  ran_exact="$(awk -F'\t' 'NR > 1 && $15 != ""' "$tsv" | wc -l)"
  echo "Measured $(date -u +%Y-%m-%d) on commit \`$commit\`, $samples_run samples (seed 0) per model, against ONNX Runtime"
  echo "without graph optimizations (ONNX semantics); \"vs ORT optimized\" is against its default optimizations."
  echo "**$conv of $total convert; $ran of those run in both ONNX Runtime and the interpreter; $match of $total match ONNX"
  echo "Runtime within 1e-4** (worst over the outputs of max |ort − mil| / max |ort|); against ONNX Runtime with its"
  echo "default optimizations, $match_opt of the $ran_opt measured so. Once ONNX Runtime's Sigmoid is computed"
  echo "exactly, $match_exact more of them match (\`pare compare --exact-sigmoid\`, column \"vs ORT, exact Sigmoid\", measured on the $ran_exact models"
  echo "with Sigmoid nodes that were run so)."
  echo
  echo "| model | family | source | MiB | converts | inputs | worst rel. error (output, its max \\|ort\\|) | blocked by / note | compile s | compare s | vs ORT optimized | vs ORT, exact Sigmoid |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' -v corpus="$corpus" -v out="$out" '
    function strip(s, p,   i) { while ((i = index(s, p)) > 0) s = substr(s, 1, i - 1) substr(s, i + length(p)); return s }
    NR > 1 {
      rel = $7 == "" ? "–" : (($7 + 0) >= 1e300 ? "n/a" : sprintf("%.2g", $7 + 0))
      if ($7 != "" && $8 != "") rel = rel sprintf(" (`%s`, %.2g)", $8, $9 + 0)
      err = $6
      if (match(err, /convert_to_mil: .*/)) err = substr(err, RSTART + 16)
      err = strip(strip(err, corpus "/"), out "/packages/")
      # node lists of "no MIL lowering": "ConvInteger (a, b, ...)" -> "ConvInteger (47 nodes)"
      if (index(err, "no MIL lowering")) {
        rest = err; err = ""
        while (match(rest, /\([^()]*\)/)) {
          at = RSTART; len = RLENGTH
          inner = substr(rest, at + 1, len - 2); k = split(inner, parts, ", ")
          # pare names three nodes of a type, then "and N more"
          if (match(parts[k], / and [0-9]+ more$/)) k += substr(parts[k], RSTART + 5) + 0
          err = err substr(rest, 1, at - 1) (k > 3 || length(inner) > 80 ? "(" k " nodes)" : "(" inner ")")
          rest = substr(rest, at + len)
        }
        err = err rest
      }
      gsub(/\|/, "\\|", err)
      if (err != "") err = "`" err "`"
      if ($7 != "" && $9 != "" && $9 + 0 < 1e-4) err = (err == "" ? "" : err "; ") "output ≈ 0 on generated inputs: relative error not meaningful"
      opt = $14 == "" ? "–" : (($14 + 0) >= 1e300 ? "n/a" : sprintf("%.2g", $14 + 0))
      exact = $15 == "" ? "–" : (($15 + 0) >= 1e300 ? "n/a" : sprintf("%.2g", $15 + 0))
      printf "| %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $13, rel, err, $11, ($12 == "" ? "–" : $12), opt, exact
    }' "$tsv"
} > "$out/coverage.md"
cat "$out/coverage.md"
