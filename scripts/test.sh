#!/bin/sh
# Runs the test suite: unit + integration tests in the normal build, then all of them again
# in the ASan+UBSan build. Starts a fresh private PostgreSQL cluster "test" (unless
# BOUWSTROOM_DATABASE_URL is set) and removes it afterwards.
# ctest runs two tests at a time (-j2): each test has its own database and its own server
# port; the tests that stop the shared cluster are RUN_SERIAL (CMakeLists.txt).
set -eu
build=${1:-build}
asan=${2:-build-asan}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "== style"
scripts/check-format.sh
echo "== function size"
scripts/check-function-size.sh "$build"
echo "== allocation policy"
scripts/check-alloc.sh
started=""
cleanup() {
    set +e
    if [ -n "$started" ]; then scripts/pg.sh wipe test; fi
    return 0
}
trap cleanup EXIT INT TERM
if [ -z "${BOUWSTROOM_DATABASE_URL:-}" ]; then
    scripts/pg.sh wipe test >/dev/null 2>&1 || true
    BOUWSTROOM_DATABASE_URL=$(scripts/pg.sh start test)
    started=1
fi
export BOUWSTROOM_DATABASE_URL
export BOUWSTROOM_SHARED="${BOUWSTROOM_SHARED:-$top/../shared}"
echo "== tests (build: $build)"
(cd "$build" && ctest -j2 --output-on-failure)
echo "== all tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build: $asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    sh -c "cd '$asan' && ctest -j2 --output-on-failure"
