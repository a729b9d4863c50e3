#!/bin/sh
# Benchmarks (not tests): engine core, full import of the real plans (before and after,
# bench/bench_import.sh), GET …/schedule under wrk, step writes under wrk against pgbench
# (scripts/bench_write.sh). Uses a fresh private PostgreSQL cluster "bench" with fsync=on
# (removed afterwards) unless BOUWSTROOM_DATABASE_URL is set. Figures go into docs/performance.md by hand.
# The national scale (100,000 generated plans) is apart: make bench-national (scripts/bench_national.sh).
set -eu
# the server's background forecast sweep would load both cores during the first minute after each
# start (docs/operations.md "The forecast sweep"): off unless asked for (bench/bench_sweep.sh measures it)
export BOUWSTROOM_FORECAST_SWEEP="${BOUWSTROOM_FORECAST_SWEEP:-0}"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
[ -f "$plans" ] || { echo "bench: $plans not found" >&2; exit 1; }
started=""
server=""
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    if [ -n "$started" ]; then scripts/pg.sh wipe bench; fi
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe bench >/dev/null 2>&1 || true
    # production's durability (fsync=on): write figures must include the flush (docs/operations.md)
    BOUWSTROOM_DATABASE_URL=$(BOUWSTROOM_PG_DURABLE=1 scripts/pg.sh start bench)
    started=1
fi
export BOUWSTROOM_DATABASE_URL

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "== engine core (bench_engine)"
"$top/$build/bench_engine" 200000

# the import, before (the reference commit's binary and migrations) and after, alternately, each
# in a database of its own (bench/bench_import.sh; issue 17)
"$top/bench/bench_import.sh" "$build"

# the data of the HTTP benchmarks below
"$bin" migrate 2>/dev/null
"$bin" import "$plans" >/dev/null

# a projectleider of every imported municipality (every request carries a token; the
# gate's extra query is part of what is measured)
"$bin" user add bench@bouwstroom.test --role projectleider --organisation "Bench" --organisation-kind overig \
    --all-municipalities --generate-password >/dev/null 2>&1 || true
token=$("$bin" token create bench@bouwstroom.test --label bench)
auth="Authorization: Bearer $token"
echo "== GET /api/v1/projects/{id}/schedule under wrk: 1 connection, then 2 threads x 4 connections (10 s each)"
log=$(mktemp)
"$bin" serve --port 0 >"$log" 2>&1 &
server=$!
until grep -q "^listening on" "$log"; do sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log")
id=$(psql "$BOUWSTROOM_DATABASE_URL" -XAtq -c "SELECT id FROM projects WHERE planstatus = '3' ORDER BY source_key LIMIT 1")
curl -s -H "$auth" "$base/api/v1/projects/$id/schedule" | head -c 200; echo " …"
wrk -t1 -c1 -d10s --latency -H "$auth" "$base/api/v1/projects/$id/schedule"
wrk -t2 -c4 -d10s --latency -H "$auth" "$base/api/v1/projects/$id/schedule"
echo "== GET /api/v1/projects?provincie=Zuid-Holland&page_size=50 under wrk (2 threads x 4 connections)"
wrk -t2 -c4 -d10s --latency -H "$auth" "$base/api/v1/projects?provincie=Zuid-Holland&page_size=50"
rm -f "$log"

echo "== forecasting: fit every group on 1,000,000 observations; 2,000-sample forecast of one 42-step project"
"$top/$build/bench_forecast" 1000000 3
echo "== GET /api/v1/projects/{id}/forecast under wrk (2,000 samples; 1 connection, 10 s)"
wrk -t1 -c1 -d10s --latency -H "$auth" "$base/api/v1/projects/$id/forecast"

echo "== scheduling: 25,000 projects x 40 steps, full and one-change recompute"
"$top/$build/bench_schedule" 25000
echo "== CPM core vs networkx-cpm.py on the anchor's graphs (dag_gen.py, 1,000 and 10,000 projects)"
/usr/bin/python3 "$top/bench/bench_cpm.py" "$top/$build" 1000 10000 --runs 3
echo "== bouwstroom schedule --jsonl vs networkx, end to end with start-up (1,000 and 10,000 projects)"
/usr/bin/python3 "$top/bench/bench_schedule_cli.py" "$top/$build" 1000 10000 --runs 3

kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
server=""
echo "== calendar feeds: a 1,000-event feed, ours vs ical-generator (npm)"
"$top/scripts/bench_ical.sh" "$build"
echo "== alert delivery: 10,000 due alerts to a counting SMTP server"
"$top/scripts/bench_alerts.sh" "$build"
echo "== step writes over HTTP vs pgbench on the same durable cluster (its own cluster, issue 17)"
(unset BOUWSTROOM_DATABASE_URL; "$top/scripts/bench_write.sh" "$build")
echo "== national scale (100,000 generated plans, issue 17 item 5): not run here, it takes minutes: make bench-national"
