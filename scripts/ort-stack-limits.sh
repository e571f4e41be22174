#!/usr/bin/env bash
# How long a JVM command line may be before creating ONNX Runtime's environment overflows the
# thread stack (README "The pare launcher"): runs scripts/ort-stack/StackProbe.java with a
# padding property of growing length, on the main thread at -Xss1m and -Xss16m, and through
# Pare's OrtEnvironments at -Xss1m. Each row: stack, way, command-line bytes, ok or the exit code.
#   scripts/ort-stack-limits.sh
# MAVEN_FLAGS (e.g. -o) are passed to Maven.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mvn -q -B ${MAVEN_FLAGS:-} -pl compiler -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2 || exit 1
ort="$(tr ':' '\n' < compiler/target/test-classpath.txt | grep -m1 '/onnxruntime-[0-9.]*\.jar$')"
cp="$root/compiler/target/classes:$ort"
probe() {  # STACK WAY PADDING
  local out
  out="$(java "-Xss$1" "-Dpare.padding=$(head -c "$3" /dev/zero | tr '\0' x)" -cp "$cp" \
      scripts/ort-stack/StackProbe.java "$2" 2>/dev/null)"
  local rc=$?
  printf '%-5s %-7s %s%s\n' "$1" "$2" "$out" "$( ((rc == 0)) || echo "exit $rc")"
}
for pad in 3000 3400 3800 4200; do probe 1m direct "$pad"; done
for pad in 56000 60000 64000 68000; do probe 16m direct "$pad"; done
for pad in 4200 20000 120000; do probe 1m shared "$pad"; done
