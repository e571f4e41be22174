#!/usr/bin/env bash
# ONNX's own Loop and Scan operator tests (Debian's libonnx-testdata, the ONNX project's node tests; not
# real models, so not in the corpus): for each test, `pare compile MODEL.onnx -o T.mlpackage
# --pipeline EMPTY`, and when that works `pare compare` against ONNX Runtime without graph
# optimizations on the test's own inputs (test_data_set_0/input_N.pb, as .npy via pb-to-npy.py).
#
#   scripts/corpus/onnx-loop-tests.sh [OUT_DIR]      (default target/onnx-loop-tests)
#
# Needs apt-get (downloads libonnx-testdata 1.12.0-2 into OUT_DIR, nothing is installed) and numpy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(realpath -m "${1:-$root/target/onnx-loop-tests}")"
version="1.12.0-2"
tests=(test_loop11 test_range_float_type_positive_delta_expanded test_range_int32_type_negative_delta_expanded
       test_scan_sum test_scan9_sum)
mkdir -p "$out"
deb="$out/libonnx-testdata_${version}_all.deb"
if [[ ! -f "$deb" ]]; then
  (cd "$out" && apt-get download "libonnx-testdata=$version" >&2)
fi
[[ -d "$out/x" ]] || dpkg-deb -x "$deb" "$out/x"
data="$out/x/usr/share/libonnx-testdata/data/node"
for t in "${tests[@]}"; do
  echo "== $t"
  model="$data/$t/model.onnx"
  inputs="$out/$t/000"
  mkdir -p "$inputs"
  python3 "$root/scripts/corpus/pb-to-npy.py" "$inputs" "$data/$t/test_data_set_0"/input_*.pb >/dev/null
  if "$root/pare" compile "$model" -o "$out/$t.mlpackage" --force --pipeline EMPTY 2>&1 | tail -1; then
    [[ -d "$out/$t.mlpackage" ]] || continue
    "$root/pare" compare "$model" "$out/$t.mlpackage" --data "$out/$t" --ort-optimization none 2>&1 \
      | grep -v 'W:onnxruntime' | tail -n +2
  fi
done
