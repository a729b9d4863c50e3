#!/bin/sh
# ctest bpmn_external_validators: exports every schema shipped in processes/ and the fixture
# tests/bpmn/every-field.json with `bouwstroom schema export-bpmn` and validates the files with
# bpmn-moddle (no warning) and bpmnlint's recommended rules (no report), plus the layout
# (tests/bpmn/validate.mjs). The npm packages are devDependencies of web/package.json, installed
# by the build (scripts/web.sh); nothing is fetched here. Skipped (77) only when node is missing.
# Usage: run.sh BOUWSTROOM SOURCE_DIR OUT_DIR
set -eu
bin=$1
src=$2
out=$3
if ! command -v node >/dev/null 2>&1; then
    echo "SKIPPED: node not installed (scripts/deps.sh installs it)"
    exit 77
fi
mkdir -p "$out"
set --
for f in "$src"/processes/*.json "$src"/tests/bpmn/every-field.json; do
    name=$(basename "$f" .json)
    "$bin" schema export-bpmn "$f" >"$out/$name.bpmn"
    set -- "$@" "$out/$name.bpmn"
done
exec node "$src/tests/bpmn/validate.mjs" "$src/web" "$@"
