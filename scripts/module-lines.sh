#!/usr/bin/env bash
# Lines of main Java code per Maven module (src/main/java; generated protobuf classes not counted),
# for the README's module table. With a git revision, counts that revision instead of the work tree:
#   scripts/module-lines.sh            # the work tree
#   scripts/module-lines.sh 23b02f0    # before the formats had their own modules
set -euo pipefail
cd "$(dirname "$0")/.."
tree="."
if [[ $# -ge 1 ]]; then
  tree="$(mktemp -d)"
  trap 'rm -rf "$tree"' EXIT
  git archive "$1" | tar -x -C "$tree"
fi
printf '%-26s %8s\n' module lines
for pom in "$tree"/pom.xml "$tree"/*/pom.xml "$tree"/*/*/pom.xml; do
  dir="$(dirname "$pom")"
  [[ -d "$dir/src/main/java" ]] || continue
  lines="$(find "$dir/src/main/java" -name '*.java' -print0 | xargs -0 cat | wc -l)"
  printf '%-26s %8d\n' "${dir#"$tree"/}" "$lines"
done
