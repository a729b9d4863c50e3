#!/bin/sh
# Import benchmark (issue 17 item 4): `bouwstroom import` of the 4,348 real plans into an empty
# database, "before" (the binary and migrations of a reference commit) and "after" (this build)
# alternately in the same run, on the same cluster, each side in a database of its own; then a
# re-import of each (nothing changes). Per run: wall time, the client's CPU time, PostgreSQL's
# CPU time (the postmaster's reaped children: the import's backend; only for a cluster on this
# machine) and the load average; the medians and the ratio at the end. Both sides must produce
# the same database (counts and an md5 over every project, step and audit row that an import
# writes): the script says so, or fails.
#
#   bench/bench_import.sh [BUILD]       needs BOUWSTROOM_DATABASE_URL (scripts/bench.sh gives one)
#
# BENCH_IMPORT_RUNS (default 3) runs per side. BENCH_IMPORT_BEFORE: a bouwstroom binary to use as
# "before" (its migrations from BOUWSTROOM_HOME of the caller's choice, or the tree it was built
# from); otherwise BENCH_IMPORT_BEFORE_REF (default f8b1007, the tree before issue 17's import
# work) is exported with git archive and built once into var/bench-import-before/REF/ (only the
# bouwstroom target). BENCH_IMPORT_BEFORE=none measures this build alone.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
after="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
runs=${BENCH_IMPORT_RUNS:-3}
ref=${BENCH_IMPORT_BEFORE_REF:-f8b1007}
[ -f "$plans" ] || { echo "bench_import: $plans not found" >&2; exit 1; }
url=${BOUWSTROOM_DATABASE_URL:?bench_import: set BOUWSTROOM_DATABASE_URL}

before=${BENCH_IMPORT_BEFORE:-}
if [ -z "$before" ]; then
    dir="$top/var/bench-import-before/$ref"
    if [ ! -x "$dir/build/bouwstroom" ]; then
        echo "== building the reference $ref (bouwstroom only) in $dir"
        rm -rf "$dir"
        mkdir -p "$dir/src"
        git -C "$top" archive "$ref" | tar -x -C "$dir/src"
        cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build "$dir/build" -j "${JOBS:-2}" --target bouwstroom >/dev/null
    fi
    before="$dir/build/bouwstroom"
fi
[ "$before" = none ] && before=""

# one database per side in the cluster of $url (its path's database name replaced)
base_db=$(psql "$url" -XAtq -c "SELECT current_database()")
db_url() { echo "$url" | sed "s#/$base_db\([?]\|\$\)#/$1\1#"; }
[ "$(db_url bench_import_x)" != "$url" ] || { echo "bench_import: no database name in $url" >&2; exit 1; }
datadir=$(psql "$url" -XAtq -c "SELECT setting FROM pg_settings WHERE name = 'data_directory'" 2>/dev/null || true)
postmaster=$(head -n 1 "$datadir/postmaster.pid" 2>/dev/null || true)
# the CPU time (ms) of the postmaster's reaped children (backends end when their client does)
server_ms() {
    if [ -n "$postmaster" ] && [ -r "/proc/$postmaster/stat" ]; then
        sed 's/^.*) //' "/proc/$postmaster/stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%d", ($14 + $15) * 1000 / hz}'
    else
        echo -1
    fi
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

fresh() { # NAME: an empty, migrated database for one side
    psql "$url" -XAtq -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
    BOUWSTROOM_DATABASE_URL=$(db_url "$1") "$2" migrate >/dev/null 2>&1
}

# one import: prints "wall_s client_cpu_s server_cpu_s"
timed_import() { # NAME BINARY
    out=$(mktemp)
    s0=$(server_ms)
    BOUWSTROOM_DATABASE_URL=$(db_url "$1") /usr/bin/time -f "%e %U %S" -o "$out" "$2" import "$plans" >/dev/null
    sleep 0.3 # the backend's exit reaped
    s1=$(server_ms)
    awk -v s0="$s0" -v s1="$s1" '{printf "%.2f %.2f %s\n", $1, $2 + $3, (s0 < 0 ? "n/a" : sprintf("%.2f", (s1 - s0) / 1000))}' "$out"
    rm -f "$out"
}

# what an import wrote, as counts and one md5 (ids left out: they are random on both sides)
digest() { # NAME
    psql "$(db_url "$1")" -XAtq -F ' ' -c "
      SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM project_steps),
             (SELECT count(*) FROM organisations), (SELECT count(*) FROM audit_log),
             md5((SELECT string_agg(concat_ws('|', p.source, p.source_key, p.name, p.gemeente, p.provincie,
                    p.plantype, p.plantype_raw, p.planstatus, p.planstatus_raw, p.homes_remaining, p.demolition,
                    p.expected_period, p.expected_by, p.progress_date, p.progress_date_estimated, p.datum_raw,
                    p.schatting, md5(p.geometry::text), p.geometry_crs, p.planned_completion, p.confidentiality,
                    o.name, p.process_schema_key, p.process_schema_version), E'\n' ORDER BY p.source, p.source_key)
                  FROM projects p LEFT JOIN organisations o ON o.id = p.owner_organisation_id)
              || (SELECT string_agg(concat_ws('|', p.source_key, s.step_key, s.status, s.actual_start, s.actual_finish,
                    s.actual_estimated), E'\n' ORDER BY p.source_key, s.step_key)
                  FROM project_steps s JOIN projects p ON p.id = s.project_id)
              || (SELECT string_agg(concat_ws('|', a.actor_label, a.action, a.entity, a.old, a.new), E'\n'
                    ORDER BY a.id) FROM audit_log a))"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "== import of $(basename "$plans"): before = ${before:-(none)}, after = $after; $runs runs each, alternating"
echo "   (wall s / client CPU s / PostgreSQL CPU s / load average 1 5 15 min)"
res=$(mktemp)
for i in $(seq 1 "$runs"); do
    for side in before after; do
        bin=$after
        [ "$side" = before ] && bin=$before
        [ -z "$bin" ] && continue
        fresh "bench_import_$side" "$bin"
        l=$(load)
        t=$(timed_import "bench_import_$side" "$bin")
        echo "$side run $i: $t (load $l)"
        echo "$side import $t" >>"$res"
    done
done
for side in before after; do
    bin=$after
    [ "$side" = before ] && bin=$before
    [ -z "$bin" ] && continue
    l=$(load)
    t=$(timed_import "bench_import_$side" "$bin")
    echo "$side re-import (nothing changes): $t (load $l)"
    echo "$side reimport $t" >>"$res"
done

for kind in import reimport; do
    a=$(awk -v k="$kind" '$1 == "after" && $2 == k {print $3}' "$res" | median)
    if [ -n "$before" ]; then
        b=$(awk -v k="$kind" '$1 == "before" && $2 == k {print $3}' "$res" | median)
        ab=$(awk -v k="$kind" '$1 == "before" && $2 == k {print $5}' "$res" | median)
        aa=$(awk -v k="$kind" '$1 == "after" && $2 == k {print $5}' "$res" | median)
        echo "$kind, median wall: before $b s, after $a s: $(awk "BEGIN{printf \"%.1f\", $b / $a}")x faster;" \
            "PostgreSQL CPU before $ab s, after $aa s"
    else
        echo "$kind, median wall: $a s"
    fi
done
rm -f "$res"

da=$(digest bench_import_after)
echo "after:  projects, steps, organisations, audit rows, md5: $da"
if [ -n "$before" ]; then
    db=$(digest bench_import_before)
    echo "before: projects, steps, organisations, audit rows, md5: $db"
    if [ "$da" = "$db" ]; then echo "same database on both sides: yes"; else
        echo "same database on both sides: NO" >&2
        exit 1
    fi
fi
psql "$url" -XAtq -c "DROP DATABASE IF EXISTS bench_import_before" -c "DROP DATABASE IF EXISTS bench_import_after" \
    >/dev/null 2>&1 || true
