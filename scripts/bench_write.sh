#!/bin/sh
# Write benchmark (issue 17 item 1; not a test): step writes over HTTP under wrk against
# PostgreSQL's own rate for the same shape of transaction, measured with pgbench on the same
# cluster in the same run.
#
#   scripts/bench_write.sh [BUILD_DIR]      (make bench runs it; make bench-write alone)
#
# Starts its own cluster "bench-write" with production's durability (BOUWSTROOM_PG_DURABLE=1:
# fsync=on, synchronous_commit=on) and wipes it afterwards, unless BOUWSTROOM_DATABASE_URL is
# set (then that cluster is used, and pgbench gets a database "pglimit" beside it).
#   1. pgbench with the script of ../shared/bench/pg-limit.sh (its table definitions and its
#      transaction, read from that file in place: 1 INSERT of an event + 1 UPDATE of a step row,
#      40,000 steps) at 1 and 8 clients, BENCH_SECONDS each (default 10).
#   2. The 4,348 real plans imported, a projectleider of every municipality with an API token;
#      then POST …/steps/{key}/complete, POST …/steps/{key}/start and PATCH …/steps/{key}
#      (planned_finish) under wrk at 1 and 8 connections (one thread per connection), each
#      request a different open step, consecutive requests on different projects (the
#      targets go round all projects), every run on targets of its own.
#   3. pgbench again (the reference is the mean of both measurements).
# Every answer's status is counted (bench/bench_write.lua): only 2xx answers count, any other
# answer is reported; afterwards the database is checked: every step answered 2xx must be in
# the state the write made (nothing accepted lost). Prints per run the reference's rate, ours,
# the ratio, p50/p99, the CPU per write (utime + stime of our server and of every process of the cluster
# from /proc, per 2xx answer) and the load average; at the end the server's state cache hits and misses, its one-trip writes
# and how many of the row updates were HOT.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/bench_write_lib.sh"
bw_init bench-write
secs=${BENCH_SECONDS:-10}
started=""
cleanup() {
    set +e
    bw_stop_server
    if [ -n "$started" ]; then scripts/pg.sh wipe bench-write >/dev/null 2>&1; fi
    rm -rf "$work"
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe bench-write >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(BOUWSTROOM_PG_DURABLE=1 scripts/pg.sh start bench-write)
    started=1
fi
export BOUWSTROOM_DATABASE_URL
db="$BOUWSTROOM_DATABASE_URL"
q() { psql "$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU (utime + stime, clock ticks) of our server and of every process of the cluster (bw_pg_ticks), for
# the CPU per write of each run
pgdata=$(printf '%s' "$db" | sed -n 's|.*host=\([^&]*\)/sock.*|\1/data|p')
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat" 2>/dev/null || echo 0; }

bw_machine
echo "== cluster: $(q -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
    WHERE name IN ('fsync','synchronous_commit','shared_buffers','wal_sync_method','full_page_writes')")"

# ---- the reference: pgbench with pg-limit.sh's tables and transaction, on this cluster ----
q -c "DROP DATABASE IF EXISTS pglimit" -c "CREATE DATABASE pglimit"
limit_url=$(printf '%s' "$db" | sed 's|^\(postgresql://[^/]*\)/[^?]*|\1/pglimit|')
# the two here-documents of pg-limit.sh: its tables (psql … <<'SQL') and its transaction (step.sql)
awk '/^psql .*<<.SQL.$/{on=1; next} on && /^SQL$/{exit} on' "$pglimit" >"$work/tables.sql"
awk '/step\.sql" <<.SQL.$/{on=1; next} on && /^SQL$/{exit} on' "$pglimit" >"$work/step.sql"
grep -q 'CREATE TABLE step ' "$work/tables.sql" && grep -q 'UPDATE step' "$work/step.sql" ||
    { echo "bench_write: could not read the SQL of $pglimit" >&2; exit 1; }
psql "$limit_url" -XAtq -v ON_ERROR_STOP=1 -f "$work/tables.sql" >/dev/null
pgbench_run() { # clients -> tps
    j=1
    [ "$1" -gt 1 ] && j=2
    "$PGBENCH" -c "$1" -j "$j" -T "$secs" -n -f "$work/step.sql" "$limit_url" >"$work/pgbench.log" 2>&1 ||
        { cat "$work/pgbench.log" >&2; exit 1; }
    awk '/^tps = /{print $3; exit}' "$work/pgbench.log"
}
echo "== pgbench (pg-limit.sh's step transition), ${secs} s each, load $(load)"
ref1a=$(pgbench_run 1)
ref8a=$(pgbench_run 8)
echo "pgbench: c1 $ref1a tps, c8 $ref8a tps (load $(load))"

# ---- the HTTP path ----
bw_plans bench-write@bouwstroom.test bench-write
log="$work/serve.log"
bw_serve "$log"
# The server forecasts every project once at start (the sweep's cold start: ~4,348 forecasts, tens
# of seconds of CPU at nice + 10, and its PostgreSQL queries). Writes are measured in the steady
# state after it: wait until /readyz says the sweep is idle with a pass done (BENCH_WRITE_COLD=1
# measures from the start instead, the cold start beside the writes).
if [ "${BENCH_WRITE_COLD:-0}" != 1 ]; then
    t0=$(date +%s)
    until curl -fsS "$base/readyz" 2>/dev/null | grep -q '"idle; [1-9][0-9]* passes'; do
        kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
        [ $(($(date +%s) - t0)) -lt 900 ] || { echo "bench_write: the sweep's first pass did not end in 900 s" >&2; exit 1; }
        sleep 1
    done
    echo "== the forecast sweep's first pass done after $(($(date +%s) - t0)) s (load $(load))"
fi

# targets: the open steps, round-robin over the projects (the n-th open
# step of every project, then the n+1-th, …): consecutive requests are on different projects
q -c "CREATE TABLE bench_target AS SELECT row_number() OVER (ORDER BY rn, project_id) AS n, project_id, step_key
      FROM (SELECT s.project_id, s.step_key,
                   row_number() OVER (PARTITION BY s.project_id ORDER BY md5(s.step_key)) AS rn
            FROM project_steps s WHERE s.status = 'open') x"
total=$(q -c "SELECT count(*) FROM bench_target")
projects=$(q -c "SELECT count(DISTINCT project_id) FROM bench_target")
per_run=$((total / 6))
echo "== HTTP: $total open steps of $projects projects, $per_run targets per run, ${secs} s per run"

# run NAME CONNECTIONS SLICE METHOD SUFFIX BODY CHECK -> prints one line; sets rate
run() {
    name=$1 conns=$2 slice=$3 method=$4 suffix=$5 body=$6 check=$7
    lo=$((slice * per_run))
    q -F "$(printf '\t')" -c "SELECT '$method', '/api/v1/projects/' || project_id || '/steps/' || step_key || '$suffix', '$body'
        FROM bench_target WHERE n > $lo AND n <= $lo + $per_run ORDER BY n" >"$work/targets"
    rm -f "$work/ok".*
    st0=$(server_ticks) pt0=$(bw_pg_ticks)
    BENCH_TARGETS="$work/targets" BENCH_TOKEN="$token" BENCH_OUT="$work/ok" BENCH_THREADS="$conns" \
        wrk -t"$conns" -c"$conns" -d"${secs}s" -s bench/bench_write.lua "$base" >"$work/wrk.log" 2>&1 ||
        { cat "$work/wrk.log" >&2; exit 1; }
    st1=$(server_ticks) pt1=$(bw_pg_ticks)
    sum=$(grep '^SUMMARY' "$work/wrk.log") || { cat "$work/wrk.log" >&2; exit 1; }
    ok=$(echo "$sum" | sed 's/.* ok=\([0-9]*\).*/\1/')
    bad=$(echo "$sum" | sed 's/.* bad=\([0-9]*\).*/\1/')
    s=$(echo "$sum" | sed 's/.* seconds=\([0-9.]*\).*/\1/')
    p50=$(echo "$sum" | sed 's/.* p50_ms=\([0-9.]*\).*/\1/')
    p99=$(echo "$sum" | sed 's/.* p99_ms=\([0-9.]*\).*/\1/')
    # the database afterwards: every target answered 2xx is in the state its write made
    cat "$work/ok".* 2>/dev/null | awk -v lo="$lo" '{print $1 + lo}' >"$work/okn" || true
    lost=$(q -c "CREATE TEMP TABLE okn (n bigint)" -c "\\copy okn FROM '$work/okn'" \
        -c "SELECT count(*) FROM okn JOIN bench_target t ON t.n = okn.n
            LEFT JOIN project_steps s ON s.project_id = t.project_id AND s.step_key = t.step_key AND ($check)
            WHERE s.project_id IS NULL")
    if [ "$lost" != 0 ]; then
        q -c "CREATE TEMP TABLE okn (n bigint)" -c "\\copy okn FROM '$work/okn'" \
            -c "SELECT 'lost: ' || t.n || ' ' || t.project_id || ' ' || t.step_key || ' ' || row_to_json(s)::text
                FROM okn JOIN bench_target t ON t.n = okn.n
                LEFT JOIN project_steps s ON s.project_id = t.project_id AND s.step_key = t.step_key
                WHERE NOT COALESCE($check, false) LIMIT 5" >&2
    fi
    rate=$(awk "BEGIN{printf \"%.0f\", $ok / $s}")
    cpu=$(awk "BEGIN{if ($ok > 0) printf \"%.0f / %.0f\", ($st1 - $st0) * $tick_us / $ok, ($pt1 - $pt0) * $tick_us / $ok}")
    printf '%-9s c%d: %6s writes/s 2xx (%s answers 2xx, %s not 2xx, %s accepted but not in the database), p50 %s ms, p99 %s ms, CPU per write server / PostgreSQL %s us, load %s\n' \
        "$name" "$conns" "$rate" "$ok" "$bad" "$lost" "$p50" "$p99" "$cpu" "$(load)"
    [ "$bad" = 0 ] && [ "$lost" = 0 ] || echo "bench_write: $name c$conns: answers other than 2xx or writes lost" >&2
}
results="$work/results"
: >"$results"
slice=0
today=$(date -u +%F)
for ep in complete start patch; do
    for c in 1 8; do
        case $ep in
        complete) run complete "$c" "$slice" POST /complete "{\"date\":\"$today\",\"reason\":\"bench\"}" \
            "s.status = 'done' AND s.actual_finish = '$today'" ;;
        start) run start "$c" "$slice" POST /start "{\"date\":\"$today\",\"reason\":\"bench\"}" \
            "s.status = 'started' AND s.actual_start = '$today'" ;;
        patch) run patch "$c" "$slice" PATCH "" '{"planned_finish":"2039-12-30","reason":"bench"}' "s.planned_finish = '2039-12-30'" ;;
        esac
        echo "$ep $c $rate $p99" >>"$results"
        slice=$((slice + 1))
    done
done
bw_stop_server
# the server's state cache over all six runs (api/state_cache.h; printed when it stops), and its one-trip step
# writes (api/authz.c: tried, proven; none printed: none tried)
grep '^state cache' "$log" || true
grep '^one-trip' "$log" || true
# how many of the six runs' row updates were HOT (a new row version on the same page, no new index entries)
q -c "SELECT 'HOT updates: ' || string_agg(relname || ' ' || n_tup_hot_upd || ' of ' || n_tup_upd, ', ' ORDER BY relname)
      FROM pg_stat_user_tables WHERE relname IN ('projects', 'project_steps', 'project_forecast_stamps')"

echo "== pgbench again, load $(load)"
ref1b=$(pgbench_run 1)
ref8b=$(pgbench_run 8)
echo "pgbench: c1 $ref1b tps, c8 $ref8b tps (load $(load))"
ref1=$(awk "BEGIN{printf \"%.0f\", ($ref1a + $ref1b) / 2}")
ref8=$(awk "BEGIN{printf \"%.0f\", ($ref8a + $ref8b) / 2}")
echo "== ratio to pgbench (mean of both: c1 $ref1 tps, c8 $ref8 tps); goal >= 50%, p99 <= 20 ms at c8"
while read -r ep c rate p99; do
    ref=$ref1
    [ "$c" = 8 ] && ref=$ref8
    printf 'RESULT write %-8s c%d: pgbench %5s tps, ours %5s writes/s, ratio %3.0f%%, p99 %s ms\n' "$ep" "$c" "$ref" \
        "$rate" "$(awk "BEGIN{print 100 * $rate / $ref}")" "$p99"
done <"$results"
echo "load at the end: $(load)"
