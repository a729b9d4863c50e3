#!/usr/bin/python3
"""Parses every DIR/*.ics written by ical_fixture with Debian's python3-icalendar and
compares it with DIR/NAME.expected.json: number of events, UIDs, DTSTART/DTEND (all-day
dates, DTEND exclusive), SEQUENCE, SUMMARY, DESCRIPTION and the calendar name. Also
checks the raw octets: CRLF line ends, lines <= 75 octets, each valid UTF-8 on its own.
Run with /usr/bin/python3 (the python3 first on PATH may lack Debian's modules).
Usage: check_python.py DIR     Exit 0, or 1 listing the problems."""
import datetime
import glob
import json
import os
import sys

try:
    import icalendar
except ImportError:
    sys.exit("check_python: python3-icalendar is missing: apt-get install python3-icalendar "
             "(scripts/deps.sh installs it); run with /usr/bin/python3")


def ymd(d):
    return d.strftime("%Y%m%d")


def check(path, expected, problems):
    raw = open(path, "rb").read()
    if not raw.endswith(b"\r\n") or raw.count(b"\n") != raw.count(b"\r\n"):
        problems.append(f"{path}: a line does not end in CRLF")
    for i, line in enumerate(raw.split(b"\r\n")):
        if len(line) > 75:
            problems.append(f"{path}:{i + 1}: {len(line)} octets")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}:{i + 1}: folded inside a UTF-8 character")
    cal = icalendar.Calendar.from_ical(raw)
    for comp in cal.walk():
        if getattr(comp, "errors", None):
            problems.append(f"{path}: {comp.name}: parse errors {comp.errors}")
    if str(cal.get("X-WR-CALNAME")) != expected["name"]:
        problems.append(f"{path}: X-WR-CALNAME {cal.get('X-WR-CALNAME')!r} != {expected['name']!r}")
    if str(cal.get("METHOD")) != "PUBLISH" or str(cal.get("VERSION")) != "2.0":
        problems.append(f"{path}: METHOD/VERSION wrong")
    events = [c for c in cal.walk("VEVENT")]
    want = expected["events"]
    if len(events) != len(want):
        problems.append(f"{path}: {len(events)} events, expected {len(want)}")
        return
    for ev, w in zip(events, want):
        uid = str(ev.get("UID"))
        if uid != w["uid"]:
            problems.append(f"{path}: UID {uid} != {w['uid']}")
        for prop, key in (("DTSTART", "dtstart"), ("DTEND", "dtend")):
            v = ev.decoded(prop)
            if isinstance(v, datetime.datetime) or not isinstance(v, datetime.date):
                problems.append(f"{path}: {uid}: {prop} is not an all-day date: {v!r}")
            elif ymd(v) != w[key]:
                problems.append(f"{path}: {uid}: {prop} {ymd(v)} != {w[key]}")
        if int(ev.get("SEQUENCE")) != w["sequence"]:
            problems.append(f"{path}: {uid}: SEQUENCE {ev.get('SEQUENCE')} != {w['sequence']}")
        if str(ev.get("SUMMARY")) != w["summary"]:
            problems.append(f"{path}: {uid}: SUMMARY {str(ev.get('SUMMARY'))!r} != {w['summary']!r}")
        desc = ev.get("DESCRIPTION")
        if (None if desc is None else str(desc)) != w["description"]:
            problems.append(f"{path}: {uid}: DESCRIPTION {desc!r} != {w['description']!r}")
        stamp = ev.decoded("DTSTAMP")
        if not isinstance(stamp, datetime.datetime) or stamp.utcoffset() != datetime.timedelta(0):
            problems.append(f"{path}: {uid}: DTSTAMP not in UTC: {stamp!r}")
    if b"TZID" in raw:
        problems.append(f"{path}: has a TZID")


def main():
    d = sys.argv[1]
    problems = []
    feeds = sorted(glob.glob(os.path.join(d, "*.ics")))
    if not feeds:
        sys.exit(f"check_python: no feeds in {d}")
    total = 0
    for path in feeds:
        expected = json.load(open(path[:-4] + ".expected.json", encoding="utf-8"))
        before = len(problems)
        check(path, expected, problems)
        total += len(expected["events"])
        print(f"python3-icalendar {icalendar.__version__}: {os.path.basename(path)}: "
              f"{len(expected['events'])} events, {'ok' if len(problems) == before else 'FAILED'}")
    for p in problems[:50]:
        print("  " + p)
    if problems:
        sys.exit(f"check_python: {len(problems)} problems")
    print(f"python3-icalendar: {len(feeds)} feeds, {total} events: ok")


main()
