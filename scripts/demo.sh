#!/bin/sh
# The main job: import the real 2020 plans (or the shipped sample when ../shared is
# absent), plan every project, print the per-province summary, and serve the API in the
# foreground. Ctrl-C or SIGTERM stops the server and the private PostgreSQL it started;
# the data stays for the next run.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
started=""
server=""
cleanup() {
    set +e
    trap - EXIT INT TERM
    if [ -n "$server" ]; then
        # Ctrl-C reached the server too; give it time to drain, then ask it with SIGTERM
        i=0
        while kill -0 "$server" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ -n "$started" ]; then
        scripts/pg.sh stop demo
        echo "demo: private PostgreSQL stopped (data kept in $(. var/pg-demo.env; echo "$PGDIR"))"
    fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    BOUWSTROOM_DATABASE_URL=$(scripts/pg.sh start demo)
    started=1
    echo "demo: private PostgreSQL running ($BOUWSTROOM_DATABASE_URL)"
fi
export BOUWSTROOM_DATABASE_URL

shared="${BOUWSTROOM_SHARED:-$top/../shared}"
plans="$shared/data/plannen/eib-2020-rd.geojson"
if [ -f "$plans" ]; then
    echo "demo: importing the real 2020 plans from $plans"
    "$bin" import "$plans"
else
    echo "demo: $plans not found; importing the shipped sample municipality instead"
    "$bin" import "$top/adapters/sample/voorbeeldstad.geojson" --source sample
fi
"$bin" summary

host=${BOUWSTROOM_HOST:-127.0.0.1}
port=${BOUWSTROOM_PORT:-8080}
log="$top/var/demo-server.log"
"$bin" serve --host "$host" --port "$port" >"$log" 2>&1 &
server=$!
i=0
until grep -q "^listening on" "$log" 2>/dev/null; do
    if ! kill -0 "$server" 2>/dev/null; then
        cat "$log" >&2
        echo "demo: the server did not start (is port $port in use? set BOUWSTROOM_PORT)" >&2
        exit 1
    fi
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "demo: server start timed out" >&2; exit 1; }
    sleep 0.1
done
base="http://$host:$port"
id=$(curl -s "$base/api/v1/projects?planstatus=3&page_size=1" | sed -n 's/.*"results":\[{"id":"\([0-9a-f-]*\)".*/\1/p')
cat <<TXT

Bouwstroom API serving at $base  (log: $log)
Try:
  curl -s $base/healthz
  curl -s '$base/api/v1/projects?provincie=Utrecht&planstatus=1A&page_size=5'
  curl -s $base/api/v1/projects/$id
  curl -s $base/api/v1/projects/$id/schedule
  curl -s -X POST -H 'Content-Type: application/json' -d '{"date":"2021-03-01"}' \\
       $base/api/v1/projects/$id/steps/intentieovereenkomst_voorbereid/complete
  curl -s $base/api/v1/process-schemas/ppm-woningbouw
  curl -s $base/api/v1/openapi.json
Press Ctrl-C to stop (the server and the private PostgreSQL stop; the data stays).
TXT
tail -n +2 -f "$log" --pid="$server" &
wait "$server" || true
server=""
