#!/usr/bin/python3
"""Differential test of the scheduler against TaskJuggler (Debian package tj3),
through the offline `bouwstroom schedule`: generated projects with working-day durations,
finish-to-start links with working-day lags, and the Dutch holidays (python3-holidays NL,
which matches the default organisation options: Goede Vrijdag worked, 5 May in lustrum
years) declared as TaskJuggler leaves. Start and end dates must be identical.

Semantic differences and how the test maps them (docs/scheduling.md §11):
* TaskJuggler reports a task's start as the instant its predecessor (plus gap) ends, e.g.
  "2026-03-31 17:00" when the task really begins at the next working hour; our inclusive
  start date is the first working day whose working time starts at or after that instant.
  So a start at 17:00 (the end of the default working day) maps to the next working day,
  any earlier time to the first working day on or after that date.
* TaskJuggler's end is the end of the last working hour ("2026-04-03 17:00"): its date part
  is our inclusive finish date.
* gaplength N d (working days) = our FS lag of N working days; TaskJuggler has no negative
  gaps, so leads are not generated here (the networkx test covers them).
* Tasks without predecessors start at the project start (= our data date, also on a weekend).
* The project uses timezone Europe/Amsterdam, and the projects span the summer-time changes;
  civil dates do not move.

Usage: test_schedule_tj3.py --binary BOUWSTROOM --source SRC [--projects N]
"""
import argparse
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import SKIP, check, eq, finish  # noqa: E402

try:
    import holidays
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: {e}")
    sys.exit(SKIP)


def gen(rng, groups, size):
    steps = []
    for g in range(groups):
        for i in range(size):
            key = f"g{g}_s{i}"
            deps = []
            if i > 0:
                for p in sorted(rng.sample(range(i), min(i, rng.randint(1, 3)))):
                    lag = rng.choice([0, 0, 0, 1, 2, 5, 10])
                    deps.append({"step": f"g{g}_s{p}", "type": "FS", "lag": {"value": lag, "unit": "working_days"}})
            st = {"key": key, "name": key, "stream": "public", "source": "tj3 test",
                  "duration": {"value": rng.randint(1, 20), "unit": "working_days"}}
            if deps:
                st["depends_on"] = deps
            steps.append(st)
    return {"key": "tj3", "name": "tj3 differential", "version": 1, "steps": steps}


def tjp(schema, start, nl):
    out = [f'project tj3diff "tj3diff" {start.isoformat()} +6y {{',
           '  timezone "Europe/Amsterdam"', '  timeformat "%Y-%m-%d %H:%M"', "}"]
    for d, name in sorted(nl.items()):
        if d >= start:
            out.append(f'leaves holiday "{name}" {d.isoformat()}')
    for s in schema["steps"]:
        deps = []
        for dep in s.get("depends_on", []):
            lag = dep["lag"]["value"]
            deps.append(dep["step"] + (f" {{ gaplength {lag}d }}" if lag else ""))
        body = f'length {s["duration"]["value"]}d'
        body = (f"depends {', '.join(deps)} " if deps else "start ${projectstart} ") + body
        out.append(f'task {s["key"]} "{s["key"]}" {{ {body} }}')
    out.append('taskreport out "out" { formats csv columns id, start, end }')
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--projects", type=int, default=4)
    args = ap.parse_args()
    if not shutil.which("tj3"):
        msg = "SKIPPED: tj3 (TaskJuggler) is not installed (scripts/deps.sh installs it)"
        if os.environ.get("CI") == "true":
            print("FAIL: " + msg)
            return 1
        print(msg)
        return SKIP
    rng = random.Random(3)
    starts = [datetime.date(2026, 3, 28), datetime.date(2025, 4, 18), datetime.date(2026, 10, 23),
              datetime.date(2027, 12, 20)]
    total = 0
    for k in range(args.projects):
        start = starts[k % len(starts)]
        nl = holidays.NL(years=range(start.year, start.year + 7))
        working = lambda d: d.weekday() < 5 and d not in nl  # noqa: E731
        schema = gen(rng, 8, 25)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "p.tjp"), "w") as f:
                f.write(tjp(schema, start, nl))
            r = subprocess.run(["tj3", "--silent", "--no-color", "p.tjp"], cwd=d, capture_output=True, text=True,
                               timeout=300)
            if r.returncode != 0:
                check(False, f"project {k}: tj3 ran", r.stdout[-500:] + r.stderr[-500:])
                continue
            tj = {}
            with open(os.path.join(d, "out.csv")) as f:
                for line in f.read().splitlines()[1:]:
                    tid, s, e = [x.strip('"') for x in line.split(";")]
                    sd = datetime.date.fromisoformat(s[:10])
                    if s[11:] >= "17:00":
                        sd += datetime.timedelta(days=1)
                    while not working(sd):
                        sd += datetime.timedelta(days=1)
                    tj[tid] = (sd.isoformat(), e[:10])
        p = subprocess.run([args.binary, "schedule", "-"], capture_output=True, text=True,
                           input=json.dumps({"schema": schema, "data_date": start.isoformat()}))
        eq(p.returncode, 0, f"project {k}: engine ran " + p.stderr)
        if p.returncode:
            continue
        doc = json.loads(p.stdout)
        diffs = [(s["key"], (s["early_start"], s["early_finish"]), tj.get(s["key"]))
                 for s in doc["steps"] if (s["early_start"], s["early_finish"]) != tj.get(s["key"])]
        eq(diffs[:3], [], f"project {k} (start {start}): {len(doc['steps'])} tasks, dates equal to tj3")
        total += len(doc["steps"])
    print(f"{total} tasks compared with TaskJuggler")
    check(total >= 200 * args.projects, "all tasks compared", total)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
