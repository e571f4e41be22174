#!/usr/bin/env bash
# Coverage-guided fuzzing of Pare's input readers with Jazzer (see README, "Fuzzing").
#
#   scripts/fuzz.sh [TARGETS] [MINUTES] [JOBS]
#
# TARGETS: all (the default) or a comma-separated list of onnx, coreml, pipeline, ir, data;
# MINUTES per target (default 10); JOBS targets at a time (default 1).
#
# Each target is a @FuzzTest; a plain `mvn verify` only replays its inputs folder
# (src/test/resources/<package>/<Class>Inputs/<method>/). Here JAZZER_FUZZ=1 makes it fuzz for
# MINUTES (jazzer.max_duration overrides @FuzzTest(maxDuration)), starting from the committed
# inputs. The generated corpus stays outside the repository in $PARE_FUZZ_DIR (default
# ~/.cache/pare-fuzz) and grows run after run. A crashing input lands in
# $PARE_FUZZ_DIR/findings/<target>/ and is copied into the inputs folder as found_<name>, so the
# next `mvn verify` replays it (and fails until the cause is fixed). A finding stops Jazzer, so
# the script restarts it until the minutes are used up.
# Runs under `nice` (NICE, default 10); JVM heap 1 GiB, so a huge allocation is a finding, not a
# slow swap; an input that takes more than 10 s is a finding too.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${1:-all}"
MINUTES="${2:-10}"
JOBS="${3:-1}"
FUZZ_DIR="${PARE_FUZZ_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pare-fuzz}"
NICE="${NICE:-10}"

# target -> module, test class, fuzz test method, largest input in bytes
declare -A MODULE=([onnx]=compiler [coreml]=compiler [pipeline]=compiler [ir]=ir [data]=compiler)
declare -A CLASS=(
  [onnx]=dev.pare.compiler.onnx.OnnxFormatFuzzTest
  [coreml]=dev.pare.compiler.coreml.CoreMlPackageFuzzTest
  [pipeline]=dev.pare.compiler.pipeline.PipelineCompilerFuzzTest
  [ir]=dev.pare.ir.text.IrParserFuzzTest
  [data]=dev.pare.compiler.data.CalibrationDataFuzzTest)
declare -A METHOD=(
  [onnx]=bytesReadOrFailWithAFormatError
  [coreml]=packageReadsOrFailsWithAFormatError
  [pipeline]=textCompilesOrFailsWithAPipelineError
  [ir]=textParsesOrFailsWithASyntaxError
  [data]=dataReadsOrFailsWithADataError)
declare -A MAX_LEN=([onnx]=32768 [coreml]=32768 [pipeline]=4096 [ir]=8192 [data]=4096)

usage() { echo "usage: scripts/fuzz.sh [all|onnx,coreml,pipeline,ir,data] [MINUTES] [JOBS]" >&2; exit 2; }
[[ "$MINUTES" =~ ^[1-9][0-9]*$ && "$JOBS" =~ ^[1-9][0-9]*$ ]] || usage
if [[ "$TARGET" == all ]]; then TARGETS=(onnx coreml pipeline ir data)
else IFS=, read -r -a TARGETS <<<"$TARGET"; fi
for t in "${TARGETS[@]}"; do [[ -n "${CLASS[$t]:-}" ]] || usage; done

fuzz_one() {
  local t="$1" module="${MODULE[$1]}" class="${CLASS[$1]}" method="${METHOD[$1]}"
  local inputs="$ROOT/$module/src/test/resources/${class//.//}Inputs/$method"
  local corpus="$FUZZ_DIR/corpus/$t" findings="$FUZZ_DIR/findings/$t" logs="$FUZZ_DIR/logs"
  mkdir -p "$corpus" "$findings" "$logs"
  local deadline=$(( $(date +%s) + MINUTES * 60 )) run=0
  while (( $(date +%s) < deadline - 30 )); do
    local left=$(( deadline - $(date +%s) )) log="$logs/$t-$(date -u +%Y%m%dT%H%M%SZ).log"
    run=$((run + 1))
    echo "== $t: run $run, ${left}s left, log $log"
    # a corpus folder given to libFuzzer replaces Jazzer's <module>/.cifuzz-corpus; Jazzer adds the
    # inputs folder as seeds. The modules upstream must come from this checkout's target/classes:
    # Maven resolves them there only when the invocation has the compile phase (with the goal
    # alone it takes whatever SNAPSHOT jars ~/.m2 holds), so process-classes runs, with
    # maven.main.skip so that no class is recompiled under a fuzzer that is running.
    # Runs at once (JOBS > 1) take turns in Maven's build steps (generated sources, resources):
    # the lock is held until this run's fuzzer has started (libFuzzer prints its seed).
    exec {lock}>"$FUZZ_DIR/.build.lock"
    flock "$lock"
    (cd "$ROOT" && JAZZER_FUZZ=1 nice -n "$NICE" /usr/bin/time -v mvn -B -ntp -pl "$module" -am \
        process-classes surefire:test@fuzz-inputs -Dmaven.main.skip=true \
        -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false \
        -Djazzer.max_duration="${left}s" -DargLine=-Xmx1g \
        -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-timeout=10 \
        -Djazzer.internal.arg.2=-max_len="${MAX_LEN[$t]}" -Djazzer.internal.arg.3=-artifact_prefix="$findings/" \
        -Djazzer.internal.arg.4="$corpus" >"$log" 2>&1) &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null && ! grep -q '^INFO: Seed:' "$log" 2>/dev/null; do sleep 2; done
    flock -u "$lock"
    exec {lock}>&-
    wait "$pid" || true
    grep -E '^(#[0-9]+ +(DONE|pulse)|Done [0-9]+ runs)' "$log" | tail -2 || true
    grep -E '^\s*(User|System) time' "$log" || true
    if ! grep -q 'Done [0-9]* runs' "$log" && ! grep -q 'FuzzTestFindingException' "$log"; then
      echo "   the run ended without a finding or libFuzzer's summary; see $log" >&2; return 1
    fi
  done
  # only now: Jazzer also replays the inputs folder when it starts, so a finding copied there
  # earlier would have stopped every later run at once
  for f in "$findings"/crash-* "$findings"/timeout-* "$findings"/slow-unit-*; do
    [[ -e "$f" ]] || continue
    local name="found_$(basename "$f")"
    if [[ ! -e "$inputs/$name" ]]; then cp "$f" "$inputs/$name"; echo "   finding, now a regression input: $inputs/$name"; fi
  done
}

# compile once, then only run tests: a build while a fuzzer runs would replace classes under it
modules="$(for t in "${TARGETS[@]}"; do echo "${MODULE[$t]}"; done | sort -u | paste -sd,)"
(cd "$ROOT" && nice -n "$NICE" mvn -B -ntp -q -pl "$modules" -am test-compile)
for t in "${TARGETS[@]}"; do
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  fuzz_one "$t" &
done
wait
