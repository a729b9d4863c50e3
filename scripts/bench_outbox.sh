#!/bin/sh
# The outbox like for like (issue 17 item 6; a benchmark, not a test): our durable alert queue
# against graphile-worker, in one run, each on a PostgreSQL cluster of its own with the same
# durability (fsync=on, synchronous_commit=on).
#
#   scripts/bench_outbox.sh [BUILD_DIR]     (make bench-outbox; BENCH_OUTBOX_JOBS, default 20000)
#
# Reference: ../shared/bench/graphile-or-pgboss.js --lib graphile, read in place: JOBS no-op jobs
# enqueued in bulk plus 1,000 one by one, then completed by graphile-worker's run() with
# concurrency 8 (LISTEN/NOTIFY); it starts and removes its own cluster (pg-cluster.sh, PostgreSQL
# defaults, TCP on 127.0.0.1:55433). Its packages come from bench/anchors/package-lock.json
# (npm ci into BUILD_DIR/anchors-npm).
# Ours: the same number of due alerts (JOBS + 1,000) inserted directly into a private cluster
# "bench-outbox" (BOUWSTROOM_PG_DURABLE=1; unix socket), then `bouwstroom serve` claims them
# (UPDATE … FOR UPDATE SKIP LOCKED, leased), renders each alert, sends it to bench/smtp_sink
# (a C sink that accepts every message at once, so the queue's own path is what is measured)
# and records the outcome (250s in batches). Measured from the server's start to the last row
# 'sent' in the database. While it drains, the alerts held (status 'pending', i.e. claimed and
# not yet recorded) are sampled every 50 ms: the claim budget starts at the free parallel slots
# and must grow with the observed send rate (engine/runtime/queue_policy.h) — the samples show
# whether it did. Order: ours, graphile, ours (our figure is the mean of both runs).
# Beside every run of ours: the load average and the CPU time per alert of the server and of its
# PostgreSQL cluster (utime+stime from /proc: the postmaster with its reaped backends and its live
# children, less the backend of the harness's own sampler) — steadier than a rate on a shared
# machine.
#
# BENCH_OUTBOX_BEFORE=/path/to/an/older/bouwstroom: also run that binary, interleaved on the same
# cluster and sink (before, ours, graphile, before, ours), to measure a change before/after.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
sink="$top/$build/smtp_sink"
shared=${BOUWSTROOM_SHARED:-$top/../shared}
anchor="$shared/bench/graphile-or-pgboss.js"
jobs=${BENCH_OUTBOX_JOBS:-20000}
n=$((jobs + 1000))
[ -f "$anchor" ] || { echo "bench_outbox: $anchor not found" >&2; exit 1; }
command -v node >/dev/null || { echo "bench_outbox: node not installed" >&2; exit 1; }
work=$(mktemp -d /tmp/bench-outbox.XXXXXX)
server="" sinkpid="" sampler=""
cleanup() {
    set +e
    for p in $sampler $server $sinkpid; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    scripts/pg.sh wipe bench-outbox >/dev/null 2>&1
    rm -rf "$work"
    return 0
}
trap cleanup EXIT INT TERM
load() { cut -d' ' -f1-3 /proc/loadavg; }

# the reference's packages, pinned by the committed lock file
npmdir="$top/$build/anchors-npm"
if ! cmp -s "$top/bench/anchors/package-lock.json" "$npmdir/package-lock.json" 2>/dev/null; then
    rm -rf "$npmdir" && mkdir -p "$npmdir"
    cp "$top/bench/anchors/package.json" "$top/bench/anchors/package-lock.json" "$npmdir/"
    (cd "$npmdir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

unset BOUWSTROOM_DATABASE_URL
scripts/pg.sh wipe bench-outbox >/dev/null 2>&1 || true
db=$(BOUWSTROOM_PG_DURABLE=1 scripts/pg.sh start bench-outbox)
q() { psql "$db" -XAtq -v ON_ERROR_STOP=1 "$@"; }
export BOUWSTROOM_DATABASE_URL="$db"
"$bin" migrate >/dev/null

"$sink" serve "$work/port" >"$work/sink.out" 2>&1 &
sinkpid=$!
until [ -s "$work/port" ]; do sleep 0.05; done
port=$(cat "$work/port")

# CPU ticks (utime+stime) of the cluster: the postmaster with its reaped children, plus the live ones
pm=$(head -1 "$(q -c 'SHOW data_directory')/postmaster.pid")
pgcpu() {
    { cat /proc/"$pm"/stat; for c in $(ps -o pid= --ppid "$pm"); do cat /proc/"$c"/stat 2>/dev/null; done; } |
        awk -v pm="$pm" '{ sub(/.*\) /, ""); t += $12 + $13; if (NR == 1) t += $14 + $15 } END { print t }'
}
tick=$(getconf CLK_TCK)

# one run of ours with binary $2: n due alerts, serve drains them; prints "rate max_held first_sample
# server_ms_per_alert pg_ms_per_alert"
ours() {
    run=$1
    exe=$2
    q >/dev/null <<SQL
SET client_min_messages = warning;
TRUNCATE alerts CASCADE;
DELETE FROM users WHERE email = 'pl@bench-outbox.example';
DELETE FROM organisations WHERE name = 'Bench outbox';
INSERT INTO organisations (name) VALUES ('Bench outbox');
INSERT INTO users (organisation_id, email, name)
SELECT id, 'pl@bench-outbox.example', 'Bench' FROM organisations WHERE name = 'Bench outbox';
INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, message_id)
SELECT p.id, 'start_bouw', 'milestone_upcoming', g, u.id, now() - interval '1 minute',
       jsonb_build_object('project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, 'step_key', 'start_bouw',
                          'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-03-01', 'data_date', '2020-07-01'),
       'outbox.$run.' || g || '@bouwstroom.test'
FROM generate_series(1, $n) g, (SELECT id, name, gemeente FROM projects ORDER BY id LIMIT 1) p,
     (SELECT id FROM users WHERE email = 'pl@bench-outbox.example') u;
VACUUM ANALYZE alerts;
SQL
    echo "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'sent') FROM alerts \\watch 0.05" |
        PGAPPNAME=bench-outbox-sampler psql "$db" -XAtq >"$work/held.$run" 2>/dev/null &
    sampler=$!
    pg0=$(pgcpu)
    start=$(date +%s.%N)
    "$exe" serve --port 0 --smtp-url "smtp://127.0.0.1:$port" \
        --mail-from alerts@bouwstroom.test >"$work/serve.$run.log" 2>&1 &
    server=$!
    # the sampler's last line says how many are sent (no query of our own: less noise in the CPU)
    while [ "$(awk -F'|' 'NF == 2 { s = $2 } END { print s + 0 }' "$work/held.$run")" -lt "$n" ]; do
        sleep 0.05
        kill -0 "$server" 2>/dev/null || { cat "$work/serve.$run.log" >&2; exit 1; }
    done
    end=$(date +%s.%N)
    srv=$(sed 's/.*) //' /proc/"$server"/stat | awk '{ print $12 + $13 }')
    sp=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-outbox-sampler'")
    samp=$(sed 's/.*) //' /proc/"$sp"/stat | awk '{ print $12 + $13 }') # the harness's, not the queue's
    kill -TERM "$sampler" "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    server="" sampler=""
    sleep 0.5 # the server's backends end and are reaped into the postmaster's time
    pg1=$(pgcpu)
    failed=$(q -c "SELECT count(*) FROM alerts WHERE status <> 'sent'")
    q -c "SELECT 'first sent after ' || round(extract(epoch FROM min(sent_at)) - $start, 2) || ' s, last after ' || round(extract(epoch FROM max(sent_at)) - $start, 2) || ' s' FROM alerts" >&2
    [ "$failed" = 0 ] || { echo "bench_outbox: $failed alerts not sent" >&2; exit 1; }
    awk -F'|' -v n="$n" -v s="$start" -v e="$end" -v srv="$srv" -v pg="$((pg1 - pg0 - samp))" -v hz="$tick" '
        NF == 2 { if ($1 > max) max = $1; if (first == "" && $1 > 0) first = $1 }
        END { printf "%.0f %d %d %.3f %.3f\n", n / (e - s), max, first, srv * 1000 / hz / n, pg * 1000 / hz / n }' "$work/held.$run"
}

# a project for the alerts to point at (the sample plans: 3 projects)
"$bin" import "$top/adapters/sample/voorbeeldstad.geojson" --source sample >/dev/null

echo "== outbox like for like: $n jobs each side; $(nproc) cores; load $(load); $(date -u '+%Y-%m-%d %H:%M UTC')"
before=${BENCH_OUTBOX_BEFORE:-}
# one line per run of ours: rate, held, CPU per alert and the load
report() {
    echo "$1: $2 alerts/s claimed+sent+recorded (held at most $3, first sample $4); CPU per alert: server $5 ms, PostgreSQL $6 ms; load $(load)"
}
if [ -n "$before" ]; then
    set -- $(ours b1 "$before")
    b1=$1
    report "before run 1" "$@"
fi
set -- $(ours 1 "$bin")
r1=$1
report "ours run 1" "$@"
graphile=$(ANCHORS_NPM="$npmdir" node "$anchor" "$jobs" --lib graphile 2>&1 | grep '^RESULT' || true)
[ -n "$graphile" ] || { echo "bench_outbox: the graphile-worker run printed no RESULT" >&2; exit 1; }
echo "$graphile; load $(load)"
g=$(echo "$graphile" | sed -n 's/.*complete (run, concurrency [0-9]*) \([0-9]*\) jobs\/s.*/\1/p')
if [ -n "$before" ]; then
    set -- $(ours b2 "$before")
    b2=$1
    report "before run 2" "$@"
    awk -v a="$b1" -v b="$b2" -v g="$g" 'BEGIN { printf "before: %.0f alerts/s (mean of %d and %d): %.2fx graphile-worker\n", (a + b) / 2, a, b, (a + b) / 2 / g }'
fi
set -- $(ours 2 "$bin")
r2=$1
report "ours run 2" "$@"
awk -v a="$r1" -v b="$r2" -v g="$g" -v l="$(load)" 'BEGIN {
    m = (a + b) / 2
    printf "RESULT outbox: ours %.0f alerts/s (mean of %d and %d), graphile-worker %d jobs/s: %.2fx (goal >= 1x); load %s\n", m, a, b, g, m / g, l
}'
