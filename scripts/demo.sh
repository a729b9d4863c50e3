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

# Province exports of the imported plans: files in var/exports/, quality checks printed
mkdir -p var/exports
for province in zuid-holland gelderland excel; do
    echo "demo: province export $province"
    "$bin" export --province "$province" --out var/exports
done

# Demo users: a beheerder (administrator of the installation), a projectleider who
# works for every imported municipality (a regional programme manager) and, once the server
# runs, an external developer admitted to one project. Generated credentials are kept in
# var/demo-credentials.txt (mode 600) and printed at every run; var/demo-token holds a bearer
# token of the projectleider for scripts and the README's curl examples.
mkdir -p var
umask 077
creds="$top/var/demo-credentials.txt"
admin=beheerder@demo.bouwstroom.nl
pl=projectleider@demo.bouwstroom.nl
dev=ontwikkelaar@demo.bouwstroom.nl
stale=""
forget() { # EMAIL: drops the line of EMAIL from $creds
    grep -v "^$1 " "$creds" >"$creds.new" || true
    mv "$creds.new" "$creds"
}
add_user() { # EMAIL ARGS…: adds the user unless the database has it; records the printed password and TOTP URI
    email=$1
    shift
    if out=$("$bin" user add "$email" "$@" --generate-password 2>&1); then
        # new in this database (e.g. after `scripts/pg.sh wipe demo`): what $creds says of
        # earlier databases is stale
        if grep -q "^$email " "$creds" 2>/dev/null; then
            stale=1
            forget "$email"
        fi
    else
        case "$out" in
        *"exists already"*)
            grep -q "^$email " "$creds" 2>/dev/null ||
                echo "demo: $email exists already (its credentials are not in $creds)"
            return 0
            ;;
        *) echo "$out" >&2; return 1 ;;
        esac
    fi
    pw=$(printf '%s\n' "$out" | sed -n 's/^password (shown once[^)]*): //p')
    uri=$(printf '%s\n' "$out" | grep '^otpauth://' || true)
    printf '%s password=%s totp=%s\n' "$email" "$pw" "$uri" >>"$creds"
}
add_user "$admin" --admin --name "Demo Beheerder"
add_user "$pl" --role projectleider --organisation "Regionaal programma woningbouw" --organisation-kind overig \
    --all-municipalities --name "Demo Projectleider"
if [ -n "$stale" ] && grep -q "^$dev " "$creds" 2>/dev/null; then
    forget "$dev" # a new database: the external developer is invited again below
fi
old_token=$(cat var/demo-token 2>/dev/null || true)
if [ -n "$old_token" ] && [ -z "$stale" ]; then
    "$bin" token revoke "$old_token" >/dev/null || echo "demo: the previous demo token was not revoked (see above)"
fi
"$bin" token create "$pl" --scope read,write --label demo >var/demo-token
umask 022
token=$(cat var/demo-token)

host=${BOUWSTROOM_HOST:-127.0.0.1}
port=${BOUWSTROOM_PORT:-8080}
log="$top/var/demo-server.log"
# the browser app, built by `make build` (scripts/web.sh) into $build/web
webdir="$top/$build/web"
if [ -f "$webdir/index.html" ]; then
    set -- --web-dir "$webdir"
else
    echo "demo: $webdir/index.html not found (make web builds it); serving the API only"
    set --
fi
"$bin" serve --host "$host" --port "$port" "$@" >"$log" 2>&1 &
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
auth="Authorization: Bearer $token"
id=$(curl -s -H "$auth" "$base/api/v1/projects?planstatus=3&page_size=1" |
    sed -n 's/.*"results":\[{"id":"\([0-9a-f-]*\)".*/\1/p')
total=$(curl -s -H "$auth" "$base/api/v1/projects?page_size=1" | sed -n 's/^{"count":\([0-9]*\).*/\1/p')
# the external developer: invited to one project, password set through the invitation
if ! grep -q "^$dev " "$creds" 2>/dev/null && [ -n "$id" ]; then
    inv=$("$bin" user invite "$dev" --project "$id" --organisation "Demo Ontwikkeling BV" --name "Demo Ontwikkelaar" 2>&1) || true
    itoken=$(printf '%s\n' "$inv" | sed -n 's/^invitation token (shown once[^)]*): //p')
    if [ -n "$itoken" ]; then
        dpw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
        curl -s -o /dev/null -H 'Content-Type: application/json' \
            -d "{\"token\":\"$itoken\",\"password\":\"$dpw\"}" "$base/api/v1/invitations/accept"
        (umask 077; printf '%s password=%s totp= project=%s\n' "$dev" "$dpw" "$id" >>"$creds")
    else
        echo "demo: could not invite $dev: $inv"
    fi
fi
cat <<TXT

Bouwstroom API serving at $base  (log: $log)
$( [ $# -gt 0 ] && echo "Web app: open $base/ in a browser (log in as one of the users below)")
Demo users (also in $creds; municipal roles need the TOTP code of the otpauth URI at login):
$(sed 's/^/  /' "$creds")
Bearer token of $pl (sees all $total plans) in var/demo-token.
Try:
  curl -s $base/healthz; curl -s $base/readyz
  curl -s -H "Authorization: Bearer \$(cat var/demo-token)" '$base/api/v1/projects?provincie=Utrecht&planstatus=1A&page_size=5'
  curl -s -H "Authorization: Bearer \$(cat var/demo-token)" $base/api/v1/projects/$id
  curl -s -H "Authorization: Bearer \$(cat var/demo-token)" $base/api/v1/projects/$id/schedule
  curl -s -H "Authorization: Bearer \$(cat var/demo-token)" -X POST -H 'Content-Type: application/json' \\
       -d '{"date":"2021-03-01"}' $base/api/v1/projects/$id/steps/intentieovereenkomst_voorbereid/complete
  curl -s -H "Authorization: Bearer \$(cat var/demo-token)" $base/api/v1/me
  curl -s $base/api/v1/openapi.json
Without a token only openbaar plans are listed (none are openbaar after the import).
Press Ctrl-C to stop (the server and the private PostgreSQL stop; the data stays).
TXT
tail -n +2 -f "$log" --pid="$server" &
wait "$server" || true
server=""
