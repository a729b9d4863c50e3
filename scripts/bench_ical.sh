#!/bin/sh
# Benchmark (not a test) of the iCalendar feed renderer: bench_ical (C, libical)
# and ical-generator (npm, Node.js) render the same 1,000 all-day events in the same run;
# prints both and the ratio. Figures go into docs/performance.md by hand.
# Usage: scripts/bench_ical.sh [BUILD_DIR (default build)] [C_ITERATIONS (default 200)]
#        [JS_ITERATIONS (default 30; one ical-generator render takes about 0.5 s here)]
set -eu
build=${1:-build}
iters=${2:-200}
js_iters=${3:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -d "$build" ] || { echo "bench_ical: build directory $build not found (cmake -S . -B $build first)" >&2; exit 1; }
cmake --build "$build" --target bench_ical >/dev/null
"$top/tests/ical/npm_install.sh" "$top/$build/ical-npm"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== libical $(pkg-config --modversion libical), Node.js $(node --version)"
"$top/$build/bench_ical" "$iters" "$tmp/events.json" | tee "$tmp/c.txt"
TZ=UTC node "$top/bench/ical_generator_bench.cjs" "$top/$build/ical-npm" "$tmp/events.json" "$js_iters" | tee "$tmp/js.txt"
c=$(sed -n 's/^bench_ical_ms_median=//p' "$tmp/c.txt")
js=$(sed -n 's/^ical_generator_ms_median=//p' "$tmp/js.txt")
echo "== 1,000-event feed, median ms per render"
printf '%-34s %10s\n' "renderer" "ms/render"
printf '%-34s %10s\n' "bouwstroom bs_ical_render (C)" "$c"
printf '%-34s %10s\n' "ical-generator (Node.js)" "$js"
awk -v c="$c" -v js="$js" 'BEGIN { printf "ratio ical-generator / bouwstroom: %.1fx; target <= 5 ms: %s\n", js / c, (c <= 5 ? "met" : "MISSED") }'
