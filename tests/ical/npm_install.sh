#!/bin/sh
# Installs the pinned npm packages of tests/ical/package-lock.json (ical.js, ical-generator)
# into DIR (under the build tree), with the machine's Node.js and npm. Idempotent: does
# nothing when DIR already holds exactly the locked versions.
# Usage: tests/ical/npm_install.sh DIR      Exit 0, or 1 with a message.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "npm_install: node and npm are required (Node.js is installed at the machine level)" >&2
    exit 1
fi
mkdir -p "$dir"
if [ -f "$dir/node_modules/.package-lock.json" ] && cmp -s "$here/package-lock.json" "$dir/package-lock.json"; then
    exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dir/"
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    echo "npm_install: 'npm ci' of the pinned ical.js / ical-generator failed in $dir" >&2
    echo "npm_install: is the npm registry reachable? (CI has access to it). npm said:" >&2
    tail -n 20 "$dir/npm.log" >&2
    rm -f "$dir/package-lock.json"   # so that the next run tries again
    exit 1
fi
