#!/bin/sh
# Fuzzes Bouwstroom's own parsers (tests/fuzz/, docs/operations.md "Fuzzing"): builds the
# libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) in their own build
# directory, seeds each from the committed corpus, the regression inputs and the tests' inputs
# (processes/, tests/golden/, adapters/sample/ and, when present, plans of
# ../shared/data/plannen), and runs each for FUZZ_SECONDS seconds (default 60).
# Usage: scripts/fuzz.sh [BUILD_DIR [TARGET...]]   (default build-fuzz; all targets)
# Environment: FUZZ_SECONDS, JOBS (build), BOUWSTROOM_SHARED (default ../shared).
# What it grows stays in BUILD_DIR/fuzz/corpus/<target> for the next run; a crash leaves its
# input in BUILD_DIR/fuzz/crashes/ and makes the script fail: fix it and commit the input to
# tests/fuzz/regress/<target>/, which make test replays.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${1:-build-fuzz}
[ "$#" -gt 0 ] && shift
targets=${*:-schema geojson xlsx decode ical_text bpmn}
seconds=${FUZZ_SECONDS:-60}
shared=${BOUWSTROOM_SHARED:-$top/../shared}
work="$build/fuzz"

echo "== building the fuzz targets with clang ($build)"
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBS_FUZZ=ON >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target fuzz_all >/dev/null

# the tests' inputs, outside the committed corpus (rebuilt on every run)
seed() {
    t=$1
    d="$work/seeds/$t"
    rm -rf "$d"
    mkdir -p "$d" "$work/corpus/$t" "$work/crashes"
    case $t in
    schema) cp processes/*.json "$d/" ;;
    bpmn) cp processes/*.json tests/bpmn/every-field.json "$d/" ;;
    geojson)
        cp adapters/sample/*.geojson tests/golden/export/*.geojson "$d/"
        if [ -f "$shared/data/plannen/eib-2020-rd.geojson" ]; then
            # a few small collections of the real plans (the whole file is 4.5 MB)
            /usr/bin/python3 - "$shared/data/plannen/eib-2020-rd.geojson" "$d" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for k in range(8):
    part = dict(doc, features=doc["features"][k * 500:k * 500 + 3])
    with open(f"{sys.argv[2]}/eib-{k}.geojson", "w") as f:
        json.dump(part, f)
PY
        fi
        ;;
    xlsx)
        cp tests/golden/export/planmonitor.xlsx "$d/"
        /usr/bin/python3 tests/fuzz/xlsx_parts.py tests/golden/export/planmonitor.xlsx "$d"
        ;;
    esac
}

# per target: the largest input (bytes) and extra options
options() {
    case $1 in
    schema) echo "-max_len=32768" ;;
    bpmn) echo "-max_len=65536" ;;
    geojson) echo "-max_len=16384" ;;
    xlsx) echo "-max_len=16384 -dict=tests/fuzz/xlsx.dict" ;;
    *) echo "-max_len=4096" ;;
    esac
}

failed=""
summary=""
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz: no target $t ($bin)" >&2; exit 2; }
    seed "$t"
    log="$work/$t.log"
    echo "== fuzz_$t for ${seconds}s (log: $log)"
    # shellcheck disable=SC2046
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/crashes/$t-" $(options "$t") \
        "$work/corpus/$t" "tests/fuzz/corpus/$t" "tests/fuzz/regress/$t" "$work/seeds/$t" >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        failed="$failed $t"
        grep -E "ERROR|SUMMARY|invariant|Test unit written|==[0-9]+==" "$log" | head -20 >&2 || true
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
    summary="$summary$(printf '%-10s %-7s %10s runs %7s/s  %s' "$t" "$result" "${runs:-?}" "${speed:-?}" "$cov")
"
done
echo "== fuzzing summary (${seconds}s per target; cov: coverage edges, ft: features, corp: inputs/size)"
printf '%s' "$summary"
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed; inputs in $work/crashes/ (fix, then commit each to tests/fuzz/regress/<target>/)" >&2
    exit 1
fi
