#!/bin/sh
# The step write's floor by pieces (issue 17 item 1; not a test): what PostgreSQL spends on the write's
# transaction itself and on each piece of it, next to pg-limit.sh's transaction, on one durable cluster.
#
#   scripts/bench_write_floor.sh [BUILD_DIR]      (make bench-write-floor)
#
# 1. Its own cluster "write-floor" (BOUWSTROOM_PG_DURABLE=1), the 4,348 real plans, a projectleider's token.
# 2. Our server (sweep off) writes 12,000 distinct open steps (complete, start, PATCH planned_finish; 4
#    connections) with log_min_duration_statement = 0: the text and parameters of every one-trip write and
#    every gate-first write (gate + write) are taken from the log (bench/write_floor.py prepare); the step and
#    project rows are then put back from the audit log, and that database is the template of every run.
# 3. BENCH_FLOOR_ROUNDS rounds (default 3): every pgbench script of bench/write_floor.py (the whole write,
#    pieces removed, core, bare, a hand-written minimum, gate-first) and pg-limit.sh's transaction, at 1 and 8
#    clients, each on a fresh copy of the template, pgbench -M prepared with plan_cache_mode =
#    force_generic_plan (the server's pool keeps a generic plan); CPU per transaction = utime + stime of every
#    process of the cluster. Prints one line per run and the table (docs/performance.md "The eighth pass").
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/bench_write_lib.sh"
bw_init bench-write-floor
rounds=${BENCH_FLOOR_ROUNDS:-3}
cleanup() {
    set +e
    bw_stop_server
    scripts/pg.sh wipe write-floor >/dev/null 2>&1
    rm -rf "$work"
    return 0
}
trap cleanup EXIT INT TERM
scripts/pg.sh wipe write-floor >/dev/null 2>&1 || true
BOUWSTROOM_DATABASE_URL=$(unset BOUWSTROOM_DATABASE_URL; BOUWSTROOM_PG_DURABLE=1 scripts/pg.sh start write-floor)
export BOUWSTROOM_DATABASE_URL
db="$BOUWSTROOM_DATABASE_URL"
. "$top/var/pg-write-floor.env"
url_of() { printf '%s' "$db" | sed "s|^\(postgresql://[^/]*\)/[^?]*|\1/$1|"; }
q() { psql "$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
load() { cut -d' ' -f1 /proc/loadavg; }
pgdata=$PGDATA
bw_machine

# ---- the plans, and the writes of our server captured from the log ----
bw_plans floor@bouwstroom.test floor
q -c "CREATE TABLE bench_target AS SELECT row_number() OVER (ORDER BY rn, project_id) AS n, project_id, step_key
      FROM (SELECT s.project_id, s.step_key,
                   row_number() OVER (PARTITION BY s.project_id ORDER BY md5(s.step_key)) AS rn
            FROM project_steps s WHERE s.status = 'open') x"
q -c "ALTER DATABASE bouwstroom SET log_min_duration_statement = 0"
lines0=$(wc -l <"$PGDIR/server.log")
log="$work/serve.log"
BOUWSTROOM_FORECAST_SWEEP=0 # our server's sweep off (its forecasts are no write's)
export BOUWSTROOM_FORECAST_SWEEP
bw_serve "$log"
today=$(date -u +%F)
i=0
for spec in "POST|/complete|{\"date\":\"$today\",\"reason\":\"bench\"}" "POST|/start|{\"date\":\"$today\",\"reason\":\"bench\"}" \
    "PATCH||{\"planned_finish\":\"2039-12-30\",\"reason\":\"bench\"}"; do
    m=$(echo "$spec" | cut -d'|' -f1) suf=$(echo "$spec" | cut -d'|' -f2) body=$(echo "$spec" | cut -d'|' -f3)
    q -F "$(printf '\t')" -c "SELECT '$m', '/api/v1/projects/' || project_id || '/steps/' || step_key || '$suf', '$body'
        FROM bench_target WHERE n > $((i * 4000)) AND n <= $((i * 4000 + 4000)) ORDER BY n" >"$work/targets"
    BENCH_TARGETS="$work/targets" BENCH_TOKEN="$token" BENCH_OUT="$work/ok" BENCH_THREADS=4 \
        wrk -t4 -c4 -d30s -s bench/bench_write.lua "$base" >"$work/wrk.log" 2>&1 || { cat "$work/wrk.log" >&2; exit 1; }
    echo "capture $m$suf: $(grep '^SUMMARY' "$work/wrk.log")"
    i=$((i + 1))
done
bw_stop_server
grep '^one-trip' "$log" || true
q -c "ALTER DATABASE bouwstroom RESET log_min_duration_statement"
tail -n +$((lines0 + 1)) "$PGDIR/server.log" >"$work/pg.log"
/usr/bin/python3 bench/write_floor.py prepare "$work/pg.log" "$work" "$db"
# the step and project rows back to their state before the captured writes (triggers off), then the template
q -c "SET session_replication_role = replica" -c "UPDATE project_steps s SET (status, actual_start, actual_finish,
        actual_estimated, updated_at, remaining_duration, duration_override, planned_start, planned_finish,
        start_no_earlier_than, finish_no_later_than) = (SELECT r.status, r.actual_start, r.actual_finish,
        r.actual_estimated, r.updated_at, r.remaining_duration, r.duration_override, r.planned_start, r.planned_finish,
        r.start_no_earlier_than, r.finish_no_later_than FROM jsonb_populate_record(s, a.old) r)
      FROM audit_log a WHERE a.entity = 'project_steps' AND a.action = 'UPDATE' AND a.entity_id = s.id::text
        AND a.actor_email = 'floor@bouwstroom.test'" \
    -c "UPDATE projects p SET (progress_date, planned_completion, knelpunt, updated_at) = (SELECT r.progress_date,
        r.planned_completion, r.knelpunt, r.updated_at FROM jsonb_populate_record(p, f.old) r)
      FROM (SELECT DISTINCT ON (entity_id) entity_id, old FROM audit_log WHERE entity = 'projects'
            AND actor_email = 'floor@bouwstroom.test' ORDER BY entity_id, id) f WHERE f.entity_id = p.id::text" \
    -c "VACUUM ANALYZE"
postgres_url=$(url_of postgres)
psql "$postgres_url" -XAtq -v ON_ERROR_STOP=1 -c "CREATE DATABASE floor_t TEMPLATE bouwstroom STRATEGY FILE_COPY" \
    -c "CREATE DATABASE pglimit"
awk '/^psql .*<<.SQL.$/{on=1; next} on && /^SQL$/{exit} on' "$pglimit" >"$work/tables.sql"
awk '/step\.sql" <<.SQL.$/{on=1; next} on && /^SQL$/{exit} on' "$pglimit" >"$work/pglimit.pgb"
psql "$(url_of pglimit)" -XAtq -v ON_ERROR_STOP=1 -f "$work/tables.sql" >/dev/null

# ---- the runs ----
results="$work/results"
: >"$results"
for r in $(seq 1 "$rounds"); do
    for v in pglimit ot_fetch ot_full ot_noaudit ot_nohist ot_nomarks ot_notrig ot_core ot_bare ot_handmin st_full \
        st_gatefull; do
        for c in 1 8; do
            url=$(url_of floor_r) f="$work/$v.pgb" opts="-c plan_cache_mode=force_generic_plan"
            case $v in
            pglimit) url=$(url_of pglimit) ;;
            ot_notrig) f="$work/ot_full.pgb" ;;
            esac
            case $v in ot_notrig | ot_core | ot_bare | ot_handmin) opts="$opts -c session_replication_role=replica" ;; esac
            if [ "$v" != pglimit ]; then
                psql "$postgres_url" -XAtq -c "DROP DATABASE IF EXISTS floor_r" \
                    -c "CREATE DATABASE floor_r TEMPLATE floor_t STRATEGY FILE_COPY" >/dev/null
            fi
            psql "$postgres_url" -XAtq -c CHECKPOINT
            if [ "$v" = pglimit ]; then n1=8000 n8=2500; else n1=1500 n8=400; fi
            if [ "$c" = 1 ]; then args="-c1 -j1 -t $n1"; else args="-c8 -j2 -t $n8"; fi
            l0=$(load) t0=$(bw_pg_ticks)
            # shellcheck disable=SC2086
            PGOPTIONS="$opts" "$PGBENCH" -n -M prepared $args -f "$f" "$url" >"$work/pgbench.log" 2>&1 ||
                { cat "$work/pgbench.log" >&2; exit 1; }
            sleep 0.3 # the backends' exit: their CPU is the postmaster's once reaped
            t1=$(bw_pg_ticks) l1=$(load)
            n=$(awk '/actually processed/{split($6, a, "/"); print a[1]}' "$work/pgbench.log")
            tps=$(awk '/^tps = /{print $3; exit}' "$work/pgbench.log")
            echo "$(date -u +%H:%M:%S) r$r $v c$c n=$n tps=$tps cpu_us=$(awk "BEGIN{printf \"%.0f\", ($t1 - $t0) * $tick_us / $n}") load=$l0-$l1" |
                tee -a "$results"
        done
    done
done
/usr/bin/python3 bench/write_floor.py summary "$results"
