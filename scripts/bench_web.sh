#!/bin/sh
# Benchmark of the browser app (make bench-web): imports the real 2020 plans into a fresh
# private PostgreSQL cluster "benchweb" (removed afterwards, unless BOUWSTROOM_DATABASE_URL is
# set), serves BUILD/web and runs bench/bench_web.mjs in Debian's chromium. Figures go into
# docs/performance.md by hand, with the machine, date and load printed here.
set -eu
# the server's background forecast sweep would load both cores during the first minute after each
# start (docs/operations.md "The forecast sweep"): off unless asked for (bench/bench_sweep.sh measures it)
export BOUWSTROOM_FORECAST_SWEEP="${BOUWSTROOM_FORECAST_SWEEP:-0}"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
[ -f "$plans" ] || { echo "bench-web: $plans not found" >&2; exit 1; }
started=""
server=""
log=""
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    [ -n "$log" ] && rm -f "$log"
    if [ -n "$started" ]; then scripts/pg.sh wipe benchweb; fi
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe benchweb >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(scripts/pg.sh start benchweb)
    started=1
fi
export BOUWSTROOM_DATABASE_URL
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== chromium: $(chromium --version 2>/dev/null || echo missing)"
"$bin" migrate >/dev/null
"$bin" import "$plans" | tail -n 1
pw=$("$bin" user add bench-web@bouwstroom.test --role projectleider --organisation "Bench" --organisation-kind overig \
    --all-municipalities --generate-password 2>&1 | sed -n 's/.*password (shown once[^)]*): \([^ ]*\).*/\1/p')
[ -n "$pw" ] || { echo "bench-web: could not add the user" >&2; exit 1; }
log=$(mktemp)
BOUWSTROOM_MAP_TILES=none "$bin" serve --port 0 --web-dir "$top/$build/web" >"$log" 2>&1 &
server=$!
until grep -q "^listening on" "$log"; do
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$log")
id=$(psql "$BOUWSTROOM_DATABASE_URL" -XAtq -c "SELECT id FROM projects WHERE planstatus = '3' ORDER BY source_key LIMIT 1")
node bench/bench_web.mjs "$base" bench-web@bouwstroom.test "$pw" "$id" "${BENCH_WEB_RUNS:-5}"
