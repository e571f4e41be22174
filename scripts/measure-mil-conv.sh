#!/usr/bin/env bash
# Times the MIL interpreter's conv on IS-Net's layer shapes (ConvMeasure in formats/mil-interpreter's
# tests): wall and process CPU seconds per layer (best run after a warm-up), GMAC/s, and a checksum
# of the output (equal checksums before and after a kernel change mean the same sums).
#   scripts/measure-mil-conv.sh [RUNS] [fp32|fp16]
# Builds the module's classes (offline, no install) and prints the load average, since the
# numbers mean little on a busy machine; /usr/bin/time adds the whole process's user + sys time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -ntp -q -o -pl formats/mil-interpreter -am test-compile >&2
cp="formats/mil-interpreter/target/classes:formats/mil-interpreter/target/test-classes:ir/target/classes:spi/target/classes"
uptime
/usr/bin/time -f "process: user %U s, sys %S s, wall %e s" java -cp "$cp" dev.pare.compiler.coreml.eval.ConvMeasure "${1:-3}" "${2:-fp32}"
