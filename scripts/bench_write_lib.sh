# Sourced by scripts/bench_write.sh and scripts/bench_write_floor.sh (not run alone): what both write
# benchmarks do the same way. Expects $top (the repository) and $build (the build directory's name).

# bw_init NAME: bin, shared, plans, pglimit (the shared files checked), PGBENCH, wrk checked, work (a
# temporary directory /tmp/NAME.XXXXXX, readable by the cluster's user) and server (none yet); cd $top.
# Exits 1 with a message naming NAME when something is missing.
bw_init() {
    cd "$top"
    bin="$top/$build/bouwstroom"
    shared=${BOUWSTROOM_SHARED:-$top/../shared}
    plans="$shared/data/plannen/eib-2020-rd.geojson"
    pglimit="$shared/bench/pg-limit.sh"
    for f in "$plans" "$pglimit"; do [ -f "$f" ] || { echo "$1: $f not found" >&2; exit 1; }; done
    command -v wrk >/dev/null || { echo "$1: wrk not installed (apt-get install wrk)" >&2; exit 1; }
    PGBENCH=$(ls /usr/lib/postgresql/15/bin/pgbench 2>/dev/null || command -v pgbench)
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$work"
    server=""
}

# bw_stop_server: our server (if started) stopped with SIGTERM and waited for; server emptied.
bw_stop_server() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    server=""
    return 0
}

# The CPU (utime + stime, clock ticks; tick_us microseconds each) of every process of the cluster whose
# data directory is $pgdata: the postmaster with its reaped children (the backends that ended) and its
# live children. 0 when the cluster is not running.
tick_us=$((1000000 / $(getconf CLK_TCK)))
bw_pg_ticks() {
    pm=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null) || { echo 0; return; }
    { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
      for c in $(ps -o pid= --ppid "$pm"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done; } |
        awk '{s += $1} END {print s + 0}'
}

bw_machine() {
    echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u '+%Y-%m-%d %H:%M UTC')"
}

# bw_plans EMAIL LABEL: the database of BOUWSTROOM_DATABASE_URL migrated, the 4,348 real plans imported,
# EMAIL a projectleider of every municipality (kept if there) and token an API token of theirs.
bw_plans() {
    "$bin" migrate >/dev/null 2>&1
    "$bin" import "$plans" >/dev/null
    "$bin" user add "$1" --role projectleider --organisation "Bench" --organisation-kind overig \
        --all-municipalities --generate-password >/dev/null 2>&1 || true
    token=$("$bin" token create "$1" --label "$2" | tail -n 1)
}

# bw_serve LOG: our server started on an ephemeral port (its output into LOG), server its pid and base
# its URL once it listens; exits 1 with its output when it stops first.
bw_serve() {
    "$bin" serve --port 0 >"$1" 2>&1 &
    server=$!
    until grep -q "^listening on" "$1"; do
        kill -0 "$server" 2>/dev/null || { cat "$1" >&2; exit 1; }
        sleep 0.1
    done
    base=$(sed -n 's/^listening on //p' "$1")
}
