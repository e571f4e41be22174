#!/usr/bin/env bash
# Measures W8A8 variants in ONNX Runtime with and without its graph optimizations (README
# "Accuracy on CPUs without VNNI"): prints the CPU's int8-relevant features, then runs
# dev.pare.compiler.e2e.W8A8CpuReport on mnist_dwnet and MiniLM (the compiler module's tests fetch
# MiniLM), which prints one Markdown table per model.
#   scripts/w8a8-cpu-report.sh [mnist] [minilm]
# MAVEN_FLAGS (e.g. -o) are passed to Maven, JAVA_OPTS to the JVM.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
model="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' || true)"
flags="$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512[a-z_0-9]*|avx_vnni[a-z_0-9]*|amx[a-z_0-9]*)$' | sort | tr '\n' ' ' || true)"
echo "CPU: ${model:-unknown}; int8-relevant flags: ${flags:-none}"
case " $flags " in
  *avx512_vnni*|*avx_vnni*) echo "VNNI: yes (int8 dot products accumulate in int32, no saturation)" ;;
  *) echo "VNNI: no (ONNX Runtime's u8 x s8 kernels add pairs of products in int16 and can saturate)" ;;
esac
mvn -q -B ${MAVEN_FLAGS:-} -pl compiler -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
cp="$root/compiler/target/test-classes:$root/compiler/target/classes:$(cat compiler/target/test-classpath.txt)"
cd compiler # the models' paths are relative to the compiler module, as in its tests
exec java ${JAVA_OPTS:-} -cp "$cp" dev.pare.compiler.e2e.W8A8CpuReport "$@"
