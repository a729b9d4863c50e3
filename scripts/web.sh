#!/bin/sh
# Builds the browser app (web/) into OUT with the npm packages pinned in web/package-lock.json:
# `npm ci` when web/node_modules does not hold exactly the locked versions, then the type check
# (tsc) and `vite build`. Nothing is fetched at run time; the server serves OUT (docs/web.md).
# Usage: scripts/web.sh OUT          Exit 0, or 1 with a message.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "web: node and npm are required (scripts/deps.sh installs Debian's when the machine has none)" >&2
    exit 1
fi
cd "$top/web"
stamp=node_modules/.bouwstroom-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    echo "web: npm ci (web/package-lock.json)"
    if ! npm ci --no-audit --no-fund --loglevel=error >"${TMPDIR:-/tmp}/bouwstroom-npm-ci.log" 2>&1; then
        echo "web: 'npm ci' failed; is the npm registry reachable? npm said:" >&2
        tail -n 20 "${TMPDIR:-/tmp}/bouwstroom-npm-ci.log" >&2
        exit 1
    fi
    cp package-lock.json "$stamp"
fi
node_modules/.bin/tsc --noEmit
BOUWSTROOM_WEB_OUT="$out" node_modules/.bin/vite build --logLevel warn
