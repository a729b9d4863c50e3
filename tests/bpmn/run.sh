#!/bin/sh
# ctest bpmn_external_validators: exports every schema shipped in processes/ and the fixture
# tests/bpmn/every-field.json with `bouwstroom schema export-bpmn` and validates the files with
# bpmn-moddle (no warning) and bpmnlint's recommended rules (no report), plus the layout
# (tests/bpmn/validate.mjs), then imports each file and its re-serialisation by bpmn-moddle (what
# bpmn-js and Camunda Modeler save) and compares the two schemas. The npm packages are devDependencies of web/package.json, installed
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
node "$src/tests/bpmn/validate.mjs" "$src/web" "$@"
for f in "$@"; do
    "$bin" schema import-bpmn "$f" >"$f.json"
    "$bin" schema import-bpmn "${f%.bpmn}.moddle.bpmn" >"$f.moddle.json"
    if ! cmp -s "$f.json" "$f.moddle.json"; then
        echo "FAIL $f: the schema read from bpmn-moddle's serialisation differs" >&2
        diff "$f.json" "$f.moddle.json" | head -20 >&2
        exit 1
    fi
    echo "$f: bpmn-moddle's serialisation imports to the same schema"
done
