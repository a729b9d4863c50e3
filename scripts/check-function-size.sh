#!/bin/sh
# Fails (exit 1, printing "file:line function lines" for each) when a function in the C code
# outside engine/core/ (production, tests, bench) is longer than 120 lines. A long function
# that does several things is split into named functions that each do one. Uses clang-tidy's
# readability-function-size (Debian 12: clang-tidy-14) over the compile database of a build.
# Usage: scripts/check-function-size.sh [build-dir]   (default: build; run `make build` first)
set -eu
build=${1:-build}
limit=120
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
db="$build/compile_commands.json"
if [ ! -f "$db" ]; then
    echo "function size: $db not found; build first (make build)" >&2
    exit 2
fi
tidy=""
for t in clang-tidy-14 clang-tidy; do
    if command -v "$t" >/dev/null 2>&1; then
        tidy=$t
        break
    fi
done
if [ -z "$tidy" ]; then
    echo "function size: clang-tidy not found (Debian package clang-tidy; scripts/deps.sh installs it)" >&2
    exit 2
fi
# the translation units of the compile database, minus engine/core/
files=$(python3 -c '
import json, os, sys
top = sys.argv[2]
seen = set()
for e in json.load(open(sys.argv[1])):
    f = os.path.relpath(os.path.join(e["directory"], e["file"]), top)
    if f.startswith("engine/core/") or f.startswith("..") or f in seen:
        continue
    seen.add(f)
    print(f)
' "$db" "$top")
# Only the line count is checked: -1 switches the other thresholds off.
config="{Checks: '-*,readability-function-size', CheckOptions: [
  {key: readability-function-size.LineThreshold, value: $limit},
  {key: readability-function-size.StatementThreshold, value: -1},
  {key: readability-function-size.BranchThreshold, value: -1},
  {key: readability-function-size.ParameterThreshold, value: -1},
  {key: readability-function-size.NestingThreshold, value: -1},
  {key: readability-function-size.VariableThreshold, value: -1}]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# clang-tidy exits non-zero on compile errors; the warnings are what matters here
# shellcheck disable=SC2086
if ! "$tidy" -p "$build" --quiet --config="$config" $files >"$out" 2>/dev/null; then
    if ! grep -q "readability-function-size" "$out"; then
        echo "function size: $tidy failed:" >&2
        cat "$out" >&2
        exit 2
    fi
fi
# "path:line:col: warning: function 'name' exceeds recommended size/complexity thresholds"
# followed by "path:line:col: note: N lines including whitespace and comments (threshold 120)"
offenders=$(awk -v top="$top/" '
/warning: function .* exceeds recommended size\/complexity thresholds/ {
    split($0, p, ":"); file = p[1]; line = p[2]
    sub("^" top, "", file)
    name = $0; sub(/^.*function \047/, "", name); sub(/\047.*$/, "", name)
    next
}
/note: [0-9]+ lines including whitespace and comments/ && name != "" {
    n = $0; sub(/^.*note: /, "", n); sub(/ lines.*$/, "", n)
    printf "%s:%s %s %s lines\n", file, line, name, n
    name = ""
}' "$out" | sort -t: -k1,1 -k2,2n -u)
if [ -n "$offenders" ]; then
    echo "$offenders"
    echo "function size: the functions above are longer than $limit lines; split each into named functions that each do one thing" >&2
    exit 1
fi
echo "function size: $(echo "$files" | wc -l) files, no function longer than $limit lines (engine/core/ not checked)"
