#!/bin/sh
# Installs the pinned test tooling of tests/zgw/package.json (Prism 5.16.0, ajv 8.20.0,
# ajv-formats 3.0.1, js-yaml 4.1.0) into DIR (default <repo>/var/zgw-npm) with the machine's
# npm. Idempotent: does nothing when DIR already holds them.
# Usage: tests/zgw/npm_install.sh [DIR]      Exit 0, or 1 with a message.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../var/zgw-npm}
if ! command -v npm >/dev/null 2>&1; then
    echo "zgw npm_install: node and npm are required" >&2
    exit 1
fi
mkdir -p "$dir"
if [ -x "$dir/node_modules/.bin/prism" ] && [ -d "$dir/node_modules/ajv-formats" ] && cmp -s "$here/package.json" "$dir/package.json"; then
    exit 0
fi
cp "$here/package.json" "$dir/"
if ! (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    echo "zgw npm_install: npm install failed in $dir; npm said:" >&2
    tail -n 20 "$dir/npm.log" >&2
    rm -f "$dir/package.json"
    exit 1
fi
