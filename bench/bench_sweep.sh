#!/bin/sh
# The forecast sweep's cold start (issue 18 items 3-4; docs/performance.md "Policy goals"): imports
# the 4,348 real plans into a fresh database, gives every plan to one organisation (so that one goal
# covers all), starts `bouwstroom serve` with the sweep on, and reports
#   1. the time until every project with blocks has its forecast rows under its current stamp (the
#      sweep's cold start; polled every 0.5 s), the CPU time the server used meanwhile, and the
#      dashboard version's rise (one per write statement);
#   2. GET /api/v1/goals/{id}/progress right after (curl's total time; forecasts.computed should be 0);
#   3. GET /api/v1/dashboard?group_by=year: the homes per P50 year, every forecastable project in it.
#
#   bench/bench_sweep.sh [BUILD]   needs BOUWSTROOM_DATABASE_URL (make bench-goals gives one)
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
[ -f "$plans" ] || { echo "bench_sweep: $plans not found" >&2; exit 1; }
base_url=${BOUWSTROOM_DATABASE_URL:?bench_sweep: set BOUWSTROOM_DATABASE_URL}
db="bench_sweep_$$"
url=$(printf '%s' "$base_url" | sed "s#^\(postgresql://[^/]*/\)[^?]*#\1$db#")
server=""
log=$(mktemp)
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    rm -f "$log" "$log.body"
    psql "$base_url" -XAtq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    return 0
}
trap cleanup EXIT INT TERM
psql "$base_url" -XAtq -c "CREATE DATABASE $db" >/dev/null
export BOUWSTROOM_DATABASE_URL="$url" BOUWSTROOM_HOME="$top"
today=2026-11-29
q() { psql "$url" -XAtq -c "$1"; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
"$bin" migrate >/dev/null 2>&1
"$bin" import "$plans" >/dev/null
"$bin" user add adviser@bench.test --role management --organisation "Bench" --organisation-kind gemeente \
    --generate-password >/dev/null 2>&1
org=$(q "SELECT id FROM organisations WHERE name = 'Bench'")
q "UPDATE projects SET owner_organisation_id = '$org'" >/dev/null
token=$("$bin" token create adviser@bench.test --label bench 2>/dev/null)
auth="Authorization: Bearer $token"
n=$(q "SELECT count(DISTINCT project_id) FROM project_blocks WHERE spread IS NULL")
pending_sql="SELECT count(*) FROM (SELECT DISTINCT b.project_id FROM project_blocks b WHERE b.spread IS NULL) c
 WHERE NOT EXISTS (SELECT 1 FROM project_milestone_forecasts f LEFT JOIN project_forecast_stamps s
   ON s.project_id = f.project_id WHERE f.project_id = c.project_id AND f.stamp = COALESCE(s.stamp, 0))"
v0=$(q "SELECT version FROM dashboard_version")
echo "== 1. the sweep's cold start over $n projects with blocks (load $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(date +%s.%N)
BOUWSTROOM_FORECAST_SWEEP=1 "$bin" serve --port 0 --today "$today" >"$log" 2>&1 &
server=$!
until grep -q "^listening on" "$log"; do sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log")
while [ "$(q "$pending_sql")" != 0 ]; do sleep 0.5; done
t1=$(date +%s.%N)
ticks=$(awk '{print $14 + $15}' "/proc/$server/stat")
v1=$(q "SELECT version FROM dashboard_version")
printf 'every project swept after %.1f s wall; server CPU %.1f s; dashboard version +%d; failed: %s; load %s\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)" "$((v1 - v0))" \
    "$(q "SELECT count(DISTINCT project_id) FROM project_milestone_forecasts WHERE failed")" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
curl -s "$base/readyz" | grep -o '"forecast_sweep"[^}]*' || true
echo
total=$(q "SELECT sum(net_homes) / 2 FROM project_blocks")
goal=$(curl -s -H "$auth" -H 'Content-Type: application/json' -X POST "$base/api/v1/goals" \
    -d "{\"organisation_id\": \"$org\", \"name\": \"bench\", \"target\": $total, \"year_to\": 2030}" |
    sed -n 's/^{"id" *: *"\([0-9a-f-]*\)".*/\1/p')
[ -n "$goal" ] || { echo "bench_sweep: the goal was not created" >&2; exit 1; }
echo "== 2. goal progress over every plan right after the sweep"
for i in 1 2 3; do
    printf 'progress: %s s  ' "$(curl -s --max-time 1800 -o "$log.body" -w '%{time_total}' -H "$auth" \
        "$base/api/v1/goals/$goal/progress")"
    grep -o '"forecasts" *: *{[^}]*}' "$log.body" || head -c 200 "$log.body"
done
echo "== 3. the dashboard's homes per year (planned / P50 / P80)"
curl -s -H "$auth" "$base/api/v1/dashboard?group_by=year" -o "$log.body"
/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
cells = d["cells"]
for c in sorted(cells, key=lambda c: c["key"] or "9999"):
    k, a, b, c3 = c["key"], c["homes_planned"], c["homes_p50"], c["homes_p80"]
    print(f"  {k}: {a:>8} {b:>8} {c3:>8}")
print("  total:", *(sum(c[k] for c in cells) for k in ("homes_planned", "homes_p50", "homes_p80")))
' "$log.body"
