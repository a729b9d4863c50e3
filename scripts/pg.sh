#!/bin/sh
# Private PostgreSQL 15 cluster for the demo and the tests.
#
#   scripts/pg.sh start NAME   start (initialising if needed) cluster NAME; prints its URL
#   scripts/pg.sh stop NAME    stop cluster NAME (data kept)
#   scripts/pg.sh wipe NAME    stop and delete cluster NAME
#   scripts/pg.sh url NAME     print its URL
#
# When BOUWSTROOM_DATABASE_URL is set, start/url print it and nothing is started;
# stop/wipe always act on the named private cluster.
# PostgreSQL refuses to run as root: as root the cluster runs as the unprivileged
# 'postgres' user. Its data and socket directories live under /tmp (reachable by that
# user even when this clone sits in a root-only directory); their location is recorded
# in var/pg-NAME.env. The server listens on its unix socket only (no TCP port to collide).
set -eu
cmd=${1:?usage: pg.sh start|stop|wipe|url NAME}
name=${2:?usage: pg.sh start|stop|wipe|url NAME}
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BOUWSTROOM_DATABASE_URL:-}" ] && [ "$cmd" != wipe ] && [ "$cmd" != stop ]; then
    echo "$BOUWSTROOM_DATABASE_URL"
    exit 0
fi

PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -n 1)
hash=$(printf '%s' "$top" | cksum | cut -d' ' -f1)
dir="/tmp/bouwstroom-pg-$name-$hash"
data="$dir/data"
sock="$dir/sock"
mkdir -p "$top/var"
env_file="$top/var/pg-$name.env"

if [ "$(id -u)" -eq 0 ]; then
    owner=postgres
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi
url="postgresql:///bouwstroom?host=$sock&user=$owner"

case "$cmd" in
start)
    if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        chmod 0755 "$dir"
        [ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
        as_owner mkdir -p "$data" "$sock"
        as_owner "$PGBIN/initdb" -D "$data" -A trust -U "$owner" -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_owner "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses='' -k $sock -c fsync=off -c synchronous_commit=on -c max_connections=100" start >/dev/null \
            || { tail -20 "$dir/server.log" >&2; exit 1; }
    fi
    if ! as_owner "$PGBIN/psql" -h "$sock" -U "$owner" -d postgres -tAc "select 1 from pg_database where datname='bouwstroom'" | grep -q 1; then
        as_owner "$PGBIN/createdb" -h "$sock" -U "$owner" bouwstroom
    fi
    # single-quoted values: the file can be sourced (the URL holds '&')
    printf "PGDIR='%s'\nPGDATA='%s'\nPGSOCKET='%s'\nBOUWSTROOM_DATABASE_URL='%s'\n" "$dir" "$data" "$sock" "$url" >"$env_file"
    echo "$url"
    ;;
stop)
    if [ -f "$data/PG_VERSION" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
wipe)
    if [ -f "$data/PG_VERSION" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir" "$env_file"
    ;;
url)
    echo "$url"
    ;;
*)
    echo "usage: pg.sh start|stop|wipe|url NAME" >&2
    exit 2
    ;;
esac
