#!/bin/sh
# Policy-goal benchmark (issue 18 item 3; docs/performance.md "Policy goals"): imports the 4,348
# real plans into a fresh database, then
#   1. bench_goals: the core and the cache as the progress route uses them, one core: cold (every
#      forecast computed, reported), warm (<= 1 s) and after one project changed (<= 1 s);
#   2. GET /api/v1/goals/{id}/progress of the same goal over HTTP (curl's total time): cold, warm,
#      and after one project's step was changed through the API (the server's forecast sweep off,
#      so the cold call is cold);
#   3. bench/bench_sweep.sh: the forecast sweep's cold start over the same plans, then progress.
#
#   bench/bench_goals.sh [BUILD]   needs BOUWSTROOM_DATABASE_URL (make bench-goals gives one)
set -eu
# the server's background forecast sweep would load both cores during the first minute after each
# start (docs/operations.md "The forecast sweep"): off unless asked for (bench/bench_sweep.sh measures it)
export BOUWSTROOM_FORECAST_SWEEP="${BOUWSTROOM_FORECAST_SWEEP:-0}"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
[ -f "$plans" ] || { echo "bench_goals: $plans not found" >&2; exit 1; }
base_url=${BOUWSTROOM_DATABASE_URL:?bench_goals: set BOUWSTROOM_DATABASE_URL}
db="bench_goals_$$"
url=$(printf '%s' "$base_url" | sed "s#^\(postgresql://[^/]*/\)[^?]*#\1$db#")
server=""
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    psql "$base_url" -XAtq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    return 0
}
trap cleanup EXIT INT TERM
psql "$base_url" -XAtq -c "CREATE DATABASE $db" >/dev/null
export BOUWSTROOM_DATABASE_URL="$url" BOUWSTROOM_HOME="$top"
today=2026-11-29
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
"$bin" migrate >/dev/null 2>&1
"$bin" import "$plans" >/dev/null
echo "== 1. core and cache (bench_goals)"
"$top/$build/bench_goals" "$url" "$today" 2030 5

echo "== 2. GET /api/v1/goals/{id}/progress over HTTP"
"$bin" user add adviser@bench.test --role management --organisation "Bench" --organisation-kind gemeente \
    --generate-password >/dev/null 2>&1
"$bin" user add lead@bench.test --role projectleider --organisation "Bench" --generate-password >/dev/null 2>&1
org=$(psql "$url" -XAtq -c "SELECT id FROM organisations WHERE name = 'Bench'")
# the goal's organisation owns every plan, so that one goal covers all 4,348 (the bench database only)
psql "$url" -XAtq -c "UPDATE projects SET owner_organisation_id = '$org'" >/dev/null
token=$("$bin" token create adviser@bench.test --label bench 2>/dev/null)
lead=$("$bin" token create lead@bench.test --label bench 2>/dev/null)
log=$(mktemp)
"$bin" serve --port 0 --today "$today" >"$log" 2>&1 &
server=$!
until grep -q "^listening on" "$log"; do sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$log")
auth="Authorization: Bearer $token"
total=$(psql "$url" -XAtq -c "SELECT sum(net_homes) / 2 FROM project_blocks")
goal=$(curl -s -H "$auth" -H 'Content-Type: application/json' -X POST "$base/api/v1/goals" \
    -d "{\"organisation_id\": \"$org\", \"name\": \"bench\", \"target\": $total, \"year_to\": 2030}" |
    sed -n 's/^{"id" *: *"\([0-9a-f-]*\)".*/\1/p')
[ -n "$goal" ] || { echo "bench_goals: the goal was not created" >&2; exit 1; }
get() {
    curl -s --max-time 1800 -o "$log.body" -w '%{time_total}' -H "$auth" "$base/api/v1/goals/$goal/progress" ||
        { echo " curl failed; server log:"; tail -20 "$log"; exit 1; }
    printf ' s  %s\n' "$(grep -o '"forecasts" *: *{[^}]*}' "$log.body" || head -c 200 "$log.body")"
}
printf 'cold: '; get
for i in 1 2 3; do printf 'warm: '; get; done
# the project with the most homes whose last construction step is still open
step=bouw_tot_laatste_oplevering
pid=$(psql "$url" -XAtq -c "SELECT b.project_id FROM project_blocks b WHERE NOT EXISTS (SELECT 1 FROM project_steps s \
    WHERE s.project_id = b.project_id AND s.step_key = '$step' AND s.status <> 'open') \
    GROUP BY 1 ORDER BY sum(b.net_homes) DESC LIMIT 1")
for d in 300 600 900; do
    st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $lead" -H 'Content-Type: application/json' \
        -X PATCH "$base/api/v1/projects/$pid/steps/$step" -d "{\"duration\": $d, \"reason\": \"bench\"}")
    printf 'one project changed (PATCH %s %s): ' "$step" "$st"; get
done
rm -f "$log" "$log.body"

echo "== 3. the forecast sweep's cold start (bench/bench_sweep.sh)"
kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
server=""
BOUWSTROOM_DATABASE_URL="$base_url" "$top/bench/bench_sweep.sh" "$build"
