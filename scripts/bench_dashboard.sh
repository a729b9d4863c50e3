#!/bin/sh
# Dashboard benchmark (issue 18 item 4; goal: a dashboard aggregate <= 20 ms p50 from cache).
# Imports the 4,348 real plans into a fresh private cluster "benchdash" (removed afterwards) unless
# BOUWSTROOM_DATABASE_URL is set, makes a raad member of every municipality (so the intern_ambtelijk
# plans are aggregate-only for it: the k = 5 rule runs) and a projectleider of every municipality,
# then per view:
#   - from cache: wrk, 1 connection and 2 threads x 4 connections, 10 s each (latency percentiles);
#   - a cache miss: the first request after a change (a statement on projects raises the data
#     version), 5 times, time_total of curl.
# Figures go into docs/performance.md "Dashboards" by hand.
set -eu
# the server's background forecast sweep would load both cores during the first minute after each
# start (docs/operations.md "The forecast sweep"): off unless asked for (bench/bench_sweep.sh measures it)
export BOUWSTROOM_FORECAST_SWEEP="${BOUWSTROOM_FORECAST_SWEEP:-0}"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
[ -f "$plans" ] || { echo "bench-dashboard: $plans not found" >&2; exit 1; }
started=""
server=""
log=$(mktemp)
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    rm -f "$log"
    if [ -n "$started" ]; then scripts/pg.sh wipe benchdash; fi
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe benchdash >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(scripts/pg.sh start benchdash)
    started=1
fi
export BOUWSTROOM_DATABASE_URL
db=$BOUWSTROOM_DATABASE_URL

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
"$bin" migrate 2>/dev/null
"$bin" import "$plans" >/dev/null
# a quarter of the hard plans openbaar (the import makes none): the public dashboard has data
psql "$db" -XAtq -c "UPDATE projects SET confidentiality = 'openbaar'
  WHERE confidentiality = 'extern_mede_overheden' AND hashtext(source_key) % 4 = 0" >/dev/null
echo "== data: $(psql "$db" -XAtq -c "SELECT count(*) || ' plans, ' || (SELECT count(*) FROM project_blocks) || ' blocks, '
  || count(*) FILTER (WHERE confidentiality = 'intern_ambtelijk') || ' intern_ambtelijk, '
  || count(*) FILTER (WHERE confidentiality = 'openbaar') || ' openbaar' FROM projects")"
"$bin" user add raad@bench.test --role raad --organisation "Raad" --organisation-kind overig \
    --all-municipalities --generate-password >/dev/null 2>&1 || true
"$bin" user add lead@bench.test --role projectleider --organisation "Lead" --organisation-kind overig \
    --all-municipalities --generate-password >/dev/null 2>&1 || true
raad="Authorization: Bearer $("$bin" token create raad@bench.test --label bench)"
lead="Authorization: Bearer $("$bin" token create lead@bench.test --label bench)"
"$bin" serve --port 0 >"$log" 2>&1 &
server=$!
until grep -q "^listening on" "$log"; do sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log")

for q in "view=homes&group_by=planstatus" "view=homes&group_by=year" "view=homes&group_by=phase" \
    "view=knelpunten" "view=lead_times"; do
    url="$base/api/v1/dashboard?$q"
    echo "== GET /api/v1/dashboard?$q as raad of every municipality"
    curl -s -H "$raad" "$url" | head -c 300
    echo " …"
    printf "cache miss (first request after a change), s:"
    for i in 1 2 3 4 5; do
        psql "$db" -XAtq -c "UPDATE projects SET updated_at = updated_at WHERE false" >/dev/null
        printf " %s" "$(curl -s -o /dev/null -w '%{time_total}' -H "$raad" "$url")"
    done
    echo
    wrk -t1 -c1 -d10s --latency -H "$raad" "$url" | grep -E "Latency|50%|90%|99%|Requests/sec"
    wrk -t2 -c4 -d10s --latency -H "$raad" "$url" | grep -E "Latency|50%|90%|99%|Requests/sec"
done
echo "== GET /api/v1/dashboard?view=homes&group_by=tenure as projectleider of every municipality (nothing hidden)"
wrk -t1 -c1 -d10s --latency -H "$lead" "$base/api/v1/dashboard?view=homes&group_by=tenure" |
    grep -E "Latency|50%|90%|99%|Requests/sec"
echo "== GET /api/v1/public/dashboard?view=homes&group_by=year, anonymous"
wrk -t1 -c1 -d10s --latency "$base/api/v1/public/dashboard?view=homes&group_by=year" |
    grep -E "Latency|50%|90%|99%|Requests/sec"
