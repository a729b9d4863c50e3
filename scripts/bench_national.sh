#!/bin/sh
# National scale (issue 17 item 5; docs/performance.md "National scale"): the same users on the
# real installation (4,348 plans) and on a national one (100,000 plans across 342
# municipalities, bench/gen_national.py: the real plans unchanged plus copies with new keys and
# shifted geometries in 221 new municipalities), each in a database of its own on one cluster:
# the import (wall time), then per endpoint the p50 under wrk (1 connection) on both and their
# ratio, with the load average. The users:
#   gemeente   projectleider of Utrechtse Heuvelrug (a real municipality: the same 21 projects
#              in both installations), following all of them (the calendar feed of all of a
#              user's projects)
#   provincie  medewerker of the province of Utrecht (all the province's hard plans: 91 in the
#              real installation, 2,093 in the national one — this user's reach grows with the
#              data, so only its filtered list to one municipality compares like for like)
# Goals (issue 17): list p50 <= 10 ms and schedule p50 <= 2 ms at 100,000; for the same user each
# p50 at 100,000 <= 1.5 x its p50 at 4,348.
#
#   scripts/bench_national.sh [BUILD]     (make bench-national; minutes: the import of 100,000)
#
# BENCH_NATIONAL_N (default 100000) plans; BENCH_NATIONAL_SECONDS (default 5) per wrk run. Uses
# its own cluster "national-bench" (fsync=on, removed afterwards) unless BOUWSTROOM_DATABASE_URL
# is set. The generated file goes to var/national/ (not committed) and is kept for the next run.
set -eu
# the server's background forecast sweep would load both cores during the first minute after each
# start (docs/operations.md "The forecast sweep"): off unless asked for (bench/bench_sweep.sh measures it)
export BOUWSTROOM_FORECAST_SWEEP="${BOUWSTROOM_FORECAST_SWEEP:-0}"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bin="$top/$build/bouwstroom"
plans="${BOUWSTROOM_SHARED:-$top/../shared}/data/plannen/eib-2020-rd.geojson"
n=${BENCH_NATIONAL_N:-100000}
secs=${BENCH_NATIONAL_SECONDS:-5}
[ -f "$plans" ] || { echo "bench_national: $plans not found" >&2; exit 1; }
big="$top/var/national/eib-national-$n.geojson"
started=""
server=""
work=$(mktemp -d)
cleanup() {
    set +e
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null
        wait "$server" 2>/dev/null
    fi
    if [ -n "$started" ]; then scripts/pg.sh wipe national-bench >/dev/null; fi
    rm -rf "$work"
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe national-bench >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(BOUWSTROOM_PG_DURABLE=1 scripts/pg.sh start national-bench)
    started=1
fi
base_url=$BOUWSTROOM_DATABASE_URL
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load)"
if [ ! -f "$big" ]; then
    mkdir -p "$top/var/national"
    /usr/bin/python3 "$top/bench/gen_national.py" "$plans" "$big.tmp" "$n"
    mv "$big.tmp" "$big"
fi

# p50 of one URL under wrk, 1 connection, in ms
p50() {
    wrk -t1 -c1 -d"${secs}s" --latency -H "Authorization: Bearer $1" "$2" >"$work/wrk" 2>&1
    if grep -q "Non-2xx" "$work/wrk"; then
        echo "bench_national: non-2xx answers from $2" >&2
        cat "$work/wrk" >&2
        exit 1
    fi
    awk '$1 == "50%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
         if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.2f\n", v }' "$work/wrk"
}

side() { # side NAME FILE
    name=$1
    db="bs_national_$name"
    psql "$base_url" -XAtq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    url=$(echo "$base_url" | sed "s|/[^/?]*?|/$db?|")
    export BOUWSTROOM_DATABASE_URL="$url"
    "$bin" migrate >/dev/null 2>&1
    t0=$(date +%s.%N)
    "$bin" import "$2" >/dev/null 2>&1
    t1=$(date +%s.%N)
    count=$(psql "$url" -XAtq -c "SELECT count(*) FROM projects")
    echo "$name import $(echo "$t1 - $t0" | bc) $count" >>"$work/results"
    echo "== $name: $count projects imported in $(echo "$t1 - $t0" | bc | cut -c1-6) s (load $(load))"
    psql "$url" -XAtq <<'EOF'
INSERT INTO organisations (name, kind, provincie) VALUES ('Provincie Utrecht (bench)', 'provincie', 'Utrecht');
INSERT INTO users (organisation_id, email) SELECT id, 'gemeente@national.bench' FROM organisations
 WHERE import_key = 'gemeente:Utrechtse Heuvelrug';
INSERT INTO users (organisation_id, email) SELECT id, 'provincie@national.bench' FROM organisations
 WHERE name = 'Provincie Utrecht (bench)';
INSERT INTO organisation_members (organisation_id, user_id, role) SELECT u.organisation_id, u.id,
  CASE WHEN u.email LIKE 'gemeente@%' THEN 'projectleider' ELSE 'medewerker' END
  FROM users u WHERE u.email LIKE '%@national.bench';
INSERT INTO follows (user_id, project_id) SELECT u.id, p.id FROM users u, projects p
 WHERE u.email = 'gemeente@national.bench' AND p.gemeente = 'Utrechtse Heuvelrug';
ANALYZE;
EOF
    tg=$("$bin" token create gemeente@national.bench --label bench 2>/dev/null)
    tp=$("$bin" token create provincie@national.bench --label bench 2>/dev/null)
    "$bin" serve --port 0 >"$work/serve" 2>&1 &
    server=$!
    until grep -q "^listening on" "$work/serve" 2>/dev/null; do sleep 0.1; done
    base=$(sed -n 's/^listening on //p' "$work/serve")
    pid=$(psql "$url" -XAtq -c "SELECT id FROM projects WHERE gemeente = 'Utrechtse Heuvelrug' ORDER BY source_key LIMIT 1")
    feed=$(curl -sf -X POST -H "Authorization: Bearer $tg" -H 'Content-Type: application/json' \
        -d '{"scope": "user", "label": "bench"}' "$base/api/v1/feed-tokens" |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')
    echo "   load before the requests: $(load)"
    while read -r key who path; do
        tok=$tg
        [ "$who" = provincie ] && tok=$tp
        case $path in http*) u=$path ;; *) u="$base$path" ;; esac
        v=$(p50 "$tok" "$u")
        echo "$name $key/$who $v" >>"$work/results"
        printf '   %-34s %-9s p50 %8s ms\n' "$key" "$who" "$v"
    done <<EOF
list gemeente /api/v1/projects?page_size=50
list-filtered gemeente /api/v1/projects?planstatus=1A&sort=-homes&page_size=50
schedule gemeente /api/v1/projects/$pid/schedule
feed-all-followed gemeente $feed
aggregate gemeente /api/v1/reports/aggregate?group_by=planstatus
list-gemeente-filter provincie /api/v1/projects?gemeente=Utrechtse%20Heuvelrug&page_size=50
list-province(reach-grows) provincie /api/v1/projects?provincie=Utrecht&page_size=50
schedule provincie /api/v1/projects/$pid/schedule
aggregate(reach-grows) provincie /api/v1/reports/aggregate?group_by=gemeente
EOF
    echo "   load after: $(load)"
    # the policy alone in SQL, before (bs_project_access: every project of the installation) and
    # after (bs_project_access_reach): median execution time of 5, for the record
    for who in gemeente provincie; do
        uid=$(psql "$url" -XAtq -c "SELECT id FROM users WHERE email = '$who@national.bench'")
        for fn in bs_project_access bs_project_access_reach; do
            ms=$(for i in 1 2 3 4 5; do
                psql "$url" -XAtq -c "EXPLAIN (ANALYZE, TIMING OFF) SELECT count(*) FROM $fn('$uid') a
                    WHERE a.access IN ('public','read','write','lead') OR a.stream" |
                    sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p'
            done | sort -n | sed -n 3p)
            echo "$name sql:$fn/$who $ms" >>"$work/results"
            printf '   %-34s %-9s SQL %8s ms\n' "$fn" "$who" "$ms"
        done
    done
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null || true
    server=""
    psql "$base_url" -XAtq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}

side real "$plans"
side national "$big"

echo "== p50 in ms: real (4,348) vs national ($n), ratio national/real (goal <= 1.5; list <= 10 ms, schedule <= 2 ms at $n), load $(load)"
awk '$2 == "import" { imp[$1] = $3; cnt[$1] = $4; next }
     { v[$1 " " $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } }
     END {
       printf "   %-34s %10s %10s %7s\n", "import (s)", imp["real"], imp["national"], sprintf("%.1f", imp["national"] / imp["real"]);
       for (i = 1; i <= k; i++) { e = order[i]; r = v["real " e]; nn = v["national " e];
         printf "   %-34s %10s %10s %7s\n", e, r, nn, (r > 0 ? sprintf("%.2f", nn / r) : "-") } }' "$work/results"
