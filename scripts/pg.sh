#!/bin/sh
# Private PostgreSQL 15 cluster for the demo and the tests.
#
#   scripts/pg.sh start NAME            start (initialising if needed) cluster NAME; prints its URL
#   scripts/pg.sh stop NAME             stop cluster NAME (data kept)
#   scripts/pg.sh wipe NAME             stop and delete cluster NAME
#   scripts/pg.sh url NAME              print its URL
#   scripts/pg.sh standby NAME PRIMARY  make NAME a streaming replica of the running cluster PRIMARY
#                                       (pg_basebackup -R, application_name NAME) and start it; prints
#                                       its URL
#   scripts/pg.sh promote NAME          promote the replica NAME and clear its synchronous_standby_names
#                                       (pg_basebackup copied the primary's: every write would wait for a
#                                       standby that no longer exists)
#   scripts/pg.sh restore NAME BACKUP ARCHIVE
#                                       make NAME from the base backup BACKUP (a directory written by
#                                       pg_basebackup -D) and the WAL archive ARCHIVE (what archive_command
#                                       copied): it replays the archive to its end, then serves as a
#                                       primary (archiving off); prints its URL
#
# BOUWSTROOM_PG_DURABLE=1 (at start or standby): the cluster runs with fsync=on, as production
# does (docs/operations.md); without it fsync=off, which a test cannot tell apart (a kill -9
# never loses the page cache) and which is faster. The choice is recorded with the cluster and
# kept at every later start; BOUWSTROOM_PG_DURABLE=0 turns it off again. A replica takes its
# primary's choice. synchronous_commit is on in both.
#
# When BOUWSTROOM_DATABASE_URL is set, start/url print it and nothing is started;
# stop/wipe and the replication commands always act on the named private cluster.
# PostgreSQL refuses to run as root: as root the cluster runs as the unprivileged
# 'postgres' user. Its data and socket directories live under /tmp (reachable by that
# user even when this clone sits in a root-only directory); their location is recorded
# in var/pg-NAME.env. The server listens on its unix socket only (no TCP port to collide).
set -eu
usage="usage: pg.sh start|stop|wipe|url|promote NAME, pg.sh standby NAME PRIMARY, pg.sh restore NAME BACKUP ARCHIVE"
cmd=${1:?$usage}
name=${2:?$usage}
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BOUWSTROOM_DATABASE_URL:-}" ] && { [ "$cmd" = start ] || [ "$cmd" = url ]; }; then
    echo "$BOUWSTROOM_DATABASE_URL"
    exit 0
fi

PGBIN=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -n 1)
hash=$(printf '%s' "$top" | cksum | cut -d' ' -f1)
dir_of() { echo "/tmp/bouwstroom-pg-$1-$hash"; }
dir=$(dir_of "$name")
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

# a new, empty cluster directory owned by the cluster's user
make_dir() {
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 0755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown "$owner" "$dir"; fi
    as_owner mkdir -p "$sock"
}

# fsync as recorded with the cluster (BOUWSTROOM_PG_DURABLE overrides and is recorded)
fsync_setting() {
    if [ -n "${BOUWSTROOM_PG_DURABLE:-}" ]; then
        case "$BOUWSTROOM_PG_DURABLE" in
        0 | off | no | false) echo off >"$dir/fsync" ;;
        *) echo on >"$dir/fsync" ;;
        esac
    fi
    if [ -f "$dir/fsync" ]; then cat "$dir/fsync"; else echo off; fi
}

run_cluster() {
    if ! running; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses='' -k $sock -c fsync=$(fsync_setting) -c synchronous_commit=on -c max_connections=100" \
            start >/dev/null || { tail -20 "$dir/server.log" >&2; exit 1; }
    fi
    # single-quoted values: the file can be sourced (the URL holds '&')
    printf "PGDIR='%s'\nPGDATA='%s'\nPGSOCKET='%s'\nBOUWSTROOM_DATABASE_URL='%s'\n" "$dir" "$data" "$sock" "$url" >"$env_file"
}

# the cluster's postmaster runs: the pid in postmaster.pid is alive and is this data
# directory's postgres (a killed cluster's pid may belong to another process by now)
running() {
    [ -f "$data/postmaster.pid" ] || return 1
    pid=$(head -n 1 "$data/postmaster.pid")
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "-D $data "
}

psql_owner() { as_owner "$PGBIN/psql" -X -h "$sock" -U "$owner" -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }

case "$cmd" in
start)
    if [ ! -f "$data/PG_VERSION" ]; then
        make_dir
        as_owner mkdir -p "$data"
        fsync_setting >/dev/null # records BOUWSTROOM_PG_DURABLE with the new cluster
        # --no-sync also for a durable cluster: the files initdb writes need not reach the disk
        # before the first start (these clusters are thrown away, never survive a power loss);
        # what the server does from then on is what fsync says
        as_owner "$PGBIN/initdb" -D "$data" -A trust -U "$owner" -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    run_cluster
    if ! psql_owner -c "select 1 from pg_database where datname='bouwstroom'" | grep -q 1; then
        as_owner "$PGBIN/createdb" -h "$sock" -U "$owner" bouwstroom
    fi
    echo "$url"
    ;;
standby)
    primary=${3:?$usage}
    psock="$(dir_of "$primary")/sock"
    [ -S "$psock/.s.PGSQL.5432" ] || { echo "pg.sh: cluster $primary is not running" >&2; exit 1; }
    if running; then as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    make_dir
    cp "$(dir_of "$primary")/fsync" "$dir/fsync" 2>/dev/null || true
    # -R: standby.signal and primary_conninfo (with application_name, the name
    # synchronous_standby_names refers to); -X stream: the WAL of the copy comes along
    as_owner "$PGBIN/pg_basebackup" -d "host=$psock user=$owner application_name=$name" -D "$data" -R -X stream \
        -c fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    run_cluster
    echo "$url"
    ;;
restore)
    backup=${3:?$usage}
    archive=${4:?$usage}
    [ -f "$backup/PG_VERSION" ] || { echo "pg.sh: $backup is not a base backup" >&2; exit 1; }
    if running; then as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    make_dir
    as_owner cp -a "$backup" "$data"
    as_owner rm -f "$data/postmaster.pid" "$data/standby.signal"
    # recovery.signal: archive recovery to the end of the archive, then a new timeline; the copy's
    # archive_command (the old primary's) must not write into the archive being restored from
    printf "restore_command = 'cp %s/%%f %%p'\narchive_mode = off\n" "$archive" | as_owner tee -a "$data/postgresql.auto.conf" >/dev/null
    as_owner touch "$data/recovery.signal"
    run_cluster
    tries=0
    until [ "$(psql_owner -c 'SELECT pg_is_in_recovery()')" = f ]; do
        tries=$((tries + 1))
        [ $tries -lt 600 ] || { echo "pg.sh: $name still recovering after 60 s" >&2; exit 1; }
        sleep 0.1
    done
    echo "$url"
    ;;
promote)
    as_owner "$PGBIN/pg_ctl" -D "$data" -w -t 60 promote >/dev/null
    psql_owner -c "ALTER SYSTEM RESET synchronous_standby_names" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
stop)
    if running; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
wipe)
    if running; then
        as_owner "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir" "$env_file"
    ;;
url)
    echo "$url"
    ;;
*)
    echo "$usage" >&2
    exit 2
    ;;
esac
