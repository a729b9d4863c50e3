#!/bin/sh
# Alert delivery benchmark: 10,000 due alerts drained to a local SMTP server that
# only counts (bench/smtp_count_server.py, aiosmtpd), reported as mails/s and as a ratio to
# that server's own limit, measured in the same run with bench/smtp_sink's blaster over
# persistent connections. Needs BOUWSTROOM_DATABASE_URL (scripts/bench.sh provides one).
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/$build/bouwstroom"
sink="$top/$build/smtp_sink"
n=${BENCH_ALERTS:-10000}
tmp=$(mktemp -d)
server=""
cleanup() {
    set +e
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
    pkill -TERM -f "smtp_count_server.py $tmp" 2>/dev/null
    rm -rf "$tmp"
    return 0
}
trap cleanup EXIT INT TERM
# the counting server gets a core of its own (when there are two), the clients the other:
# its limit and our rate are then measured under the same conditions
pin_server="" pin_client=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    pin_server="taskset -c 1" pin_client="taskset -c 0"
fi
$pin_server /usr/bin/python3 "$top/bench/smtp_count_server.py" "$tmp/port" >"$tmp/count.out" &
until [ -s "$tmp/port" ]; do sleep 0.1; done
port=$(cat "$tmp/port")
# the same kind of message as ours: a rendered alert (bench/alert_sample.eml, 2.4 kB, 66 lines)
blast=$($pin_client "$sink" blast "$port" 5000 4 "$top/bench/alert_sample.eml")
echo "$blast"
limit=$(echo "$blast" | sed 's/.*: \([0-9]*\) messages\/s/\1/')

db="$BOUWSTROOM_DATABASE_URL"
if [ -n "$pin_client" ]; then
    # PostgreSQL's backends (forked by the postmaster after this) share the clients' core
    datadir=$(psql "$db" -XAtq -c "SELECT setting FROM pg_settings WHERE name = 'data_directory'")
    postmaster=$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null || true)
    if [ -n "$postmaster" ]; then
        for pid in $postmaster $(pgrep -P "$postmaster"); do taskset -p -c 0 "$pid" >/dev/null 2>&1 || true; done
    fi
fi
psql "$db" -XAtq -c "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null
"$bin" import "$top/adapters/sample/voorbeeldstad.geojson" --source sample >/dev/null 2>&1
psql "$db" -XAtq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO organisations (name) VALUES ('Bench');
INSERT INTO users (organisation_id, email, name) SELECT id, 'pl@bench.example', 'Bench' FROM organisations WHERE name = 'Bench';
INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, message_id)
SELECT p.id, 'start_bouw', 'milestone_upcoming', g, u.id, now() - interval '1 minute',
       jsonb_build_object('project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, 'step_key', 'start_bouw',
                          'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-03-01', 'data_date', '2020-07-01'),
       'bench.' || g || '@bouwstroom.test'
FROM generate_series(1, $n) g, (SELECT id, name, gemeente FROM projects LIMIT 1) p, users u;
SQL
$pin_client "$bin" serve --port 0 --smtp-url "smtp://127.0.0.1:$port" --mail-from alerts@bouwstroom.test >"$tmp/serve.log" 2>&1 &
server=$!
until grep -q "^listening on" "$tmp/serve.log" 2>/dev/null; do sleep 0.01; done
start=$(date +%s.%N)
while [ "$(psql "$db" -XAtq -c "SELECT count(*) FROM alerts WHERE status = 'sent'")" -lt "$n" ]; do
    sleep 0.05
    kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log"; exit 1; }
done
end=$(date +%s.%N)
rate=$(awk "BEGIN{printf \"%.0f\", $n / ($end - $start)}")
echo "alerts: $n delivered in $(awk "BEGIN{printf \"%.2f\", $end - $start}") s: $rate mails/s;" \
     "counting server's own limit $limit messages/s; ratio $(awk "BEGIN{printf \"%.0f%%\", 100 * $rate / $limit}")"
