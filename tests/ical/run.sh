#!/bin/sh
# ctest "ical_external_parsers": renders the sample feeds with ical_fixture and parses
# every one with (a) Debian's python3-icalendar and (b) ical.js from npm (pinned in
# tests/ical/package-lock.json, installed under the build tree). Both must parse without
# errors and see the expected events, UIDs and DTSTART/DTEND. Fails with a clear message
# when python3-icalendar is missing or npm cannot install ical.js.
# Usage: tests/ical/run.sh ICAL_FIXTURE WORKDIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fixture=$1
work=$2
rm -rf "$work/feeds"
mkdir -p "$work"
"$fixture" "$work/feeds"
status=0
/usr/bin/python3 "$here/check_python.py" "$work/feeds" || status=1
if "$here/npm_install.sh" "$work/npm"; then
    node "$here/check_icaljs.cjs" "$work/npm" "$work/feeds" || status=1
else
    echo "run.sh: FAILED: ical.js could not be installed from npm, so the feeds were not checked with it" >&2
    status=1
fi
[ "$status" -eq 0 ] && echo "external parsers: all feeds ok"
exit "$status"
