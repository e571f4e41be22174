#!/usr/bin/env bash
# Measures the compression passes on the test models (README "Compression results"): builds the
# compiler module's tests (which fetches the test models), then runs
# dev.pare.compiler.report.CompressionReport, which prints the tables and writes
# compiler/target/compression-report.md.
#   scripts/compression-report.sh [--models mnist_dwnet,minilm,ppocr_rec] [--out FILE]
# MAVEN_FLAGS (e.g. -o) are passed to Maven, JAVA_OPTS to the JVM.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# build-classpath runs in every reactor module; each writes its own target/test-classpath.txt.
mvn -q -B ${MAVEN_FLAGS:-} -pl compiler -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
cp="compiler/target/test-classes:compiler/target/classes:$(cat compiler/target/test-classpath.txt)"
exec java ${JAVA_OPTS:-} -cp "$cp" dev.pare.compiler.report.CompressionReport "$@"
