#!/usr/bin/env bash
# Generates a LLaMA-shaped ONNX model with seeded random weights, all external in OUT.onnx.data
# (dev.pare.bench.llama.LlamaGenerator; presets and graph in bench/SCALE.md).
#   scripts/gen-llama.sh PRESET OUT.onnx [--seed N] [--dtype fp16|fp32]
#   PRESET: tiny | 125m | 1.5b | 7b | embed152k (152064x3584 fp32 embedding) | matmul4096 (one 4096x4096 fp32 MatMul)
# Builds the bench module first when needed (like ./pare builds the CLI; never mvn install).
#   JAVA_HOME  java to use;  JAVA_OPTS  JVM options (default -Xmx256m: weights are streamed)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java_cmd="java"
[[ -n "${JAVA_HOME:-}" ]] && java_cmd="$JAVA_HOME/bin/java"

stamp="$root/bench/target/.gen-built"
if [[ ! -f "$stamp" || ! -f "$root/bench/target/classpath.txt" \
      || -n "$(find "$root/pom.xml" "$root"/*/pom.xml "$root"/*/src/main -newer "$stamp" -print -quit 2>/dev/null)" ]]; then
  command -v mvn >/dev/null || { echo "gen-llama: error: Maven (mvn) is needed to build the bench module" >&2; exit 4; }
  echo "gen-llama: building the bench module (mvn -q -B -DskipTests package -pl bench -am)..." >&2
  if ! (cd "$root" && mvn -q -B -Dstyle.color=never -DskipTests package -pl bench -am) >&2; then
    echo "gen-llama: error: building the bench module failed (see the Maven output above)" >&2
    exit 1
  fi
  touch "$stamp"
fi

# shellcheck disable=SC2086
exec "$java_cmd" ${JAVA_OPTS:--Xmx256m} -cp "$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")" \
  dev.pare.bench.llama.LlamaGenerator "$@"
