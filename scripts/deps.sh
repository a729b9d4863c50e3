#!/bin/sh
# Installs the Debian packages Bouwstroom needs, skipping what is installed (idempotent).
# Usage: scripts/deps.sh [extra-package ...]
set -eu
PKGS="build-essential cmake pkg-config libuv1-dev libh2o-dev libssl-dev libpq-dev
libjansson-dev libcurl4-openssl-dev libical-dev libpcre2-dev postgresql libcmocka-dev
python3 python3-holidays python3-icalendar python3-aiosmtpd python3-networkx tj3 wrk curl
r-cran-survival libsodium-dev liboath-dev libzip-dev libexpat1-dev python3-openpyxl libxlsxwriter-dev libproj-dev python3-pyproj python3-argon2 clang-format clang-tidy"
missing=""
for p in $PKGS "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js and npm (ical.js in the feed tests): the machine's own when present, else Debian's
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    for p in nodejs npm; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
fi
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
fi
