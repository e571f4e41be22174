#!/usr/bin/env bash
# Where does a conversion first depart from ONNX Runtime? Builds the compiler's test classes and
# runs dev.pare.compiler.mil.ConversionBisect (compiler/src/test/java/dev/pare/compiler/mil/):
# convert_to_mil in memory, every node result of the ONNX file against the MIL interpreter's
# value of the same name, in node order.
#
#   scripts/corpus/bisect.sh MODEL.onnx [--npy DIR] [--tokens LEN] [--seed N] [--threshold T] [--limit N] [--ort-vs-ort] [--exact-sigmoid]
#
# --npy DIR: float32 inputs DIR/NAME.npy (scripts/corpus/make-inputs.py writes DIR/000/NAME.npy);
# without it, a text encoder's input_ids / attention_mask / token_type_ids of --tokens ids.
# --ort-vs-ort: how far ONNX Runtime's default optimizations move its own outputs instead.
# --exact-sigmoid: ONNX Runtime computes float32 Sigmoids as 1 / (1 + exp(-x)), as
# `pare compare --exact-sigmoid` does, instead of its approximate Sigmoid kernel.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cp_file="$root/compiler/target/bisect.classpath"
(cd "$root" && mvn -q -B -o -pl compiler -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >&2)
cp="$root/compiler/target/test-classes:$root/compiler/target/classes:$(cat "$cp_file")"
exec nice -n 10 java ${JAVA_OPTS:-} -cp "$cp" dev.pare.compiler.mil.ConversionBisect "$@"
