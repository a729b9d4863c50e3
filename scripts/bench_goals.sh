#!/bin/sh
# make bench-goals: the policy-goal benchmark (bench/bench_goals.sh) on a private cluster
# "goals-bench" (removed afterwards) unless BOUWSTROOM_DATABASE_URL is set.
#
#   scripts/bench_goals.sh [BUILD]
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
started=""
cleanup() {
    set +e
    if [ -n "$started" ]; then scripts/pg.sh wipe goals-bench >/dev/null; fi
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe goals-bench >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(scripts/pg.sh start goals-bench)
    started=1
fi
export BOUWSTROOM_DATABASE_URL
bench/bench_goals.sh "$build"
