#!/usr/bin/python3
"""Differential test of the scheduler against an independent longest-path
computation with python3-networkx (Debian), through the offline `bouwstroom schedule`.

Seeded random DAGs with all four link types (FS, SS, FF, SF), positive and negative lags,
durations and lags in working and calendar days. Two calendars:

* every day a working day ("calendar": {"every_day_working": true}): calendar days and
  working days coincide, so a plain longest path over day numbers must give identical
  early and late dates — this checks the calendar-day code paths of every link type;
* the Dutch working-day calendar (default options), with working-day units only: the
  longest path runs over working-day indexes and is mapped to dates with Debian's
  python3-holidays (NL; no Goede Vrijdag, 5 May in lustrum years = the default options).

Model (PMI precedence diagramming; docs/scheduling.md §2–§6): node = step start ES, edge
weights FS: d_p + L, SS: L, FF: d_p + L - d_s, SF: L - d_s; every step starts no earlier
than the data date (index 0); project finish = max(ES + d); late dates from the longest
path to the sink (edge i -> sink weight d_i). networkx computes both with Bellman-Ford
on negated weights (single_source_bellman_ford_path_length). Milestones and statutory
terms are left to the golden tests (their display and Atw rules are not a longest path).

Usage: test_schedule_networkx.py --binary BOUWSTROOM --source SRC [--rounds N]

`make test` runs 300 rounds (BS_NX_ROUNDS overrides); `make test-long` runs 3,000.
"""
import argparse
import datetime
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import SKIP, check, eq, finish  # noqa: E402

try:
    import networkx as nx
    import holidays
except ImportError as e:  # pragma: no cover
    if os.environ.get("CI") == "true":
        print(f"FAIL: {e} -- with CI=true a missing oracle is a failure (scripts/deps.sh installs it)")
        sys.exit(1)
    print(f"SKIPPED: {e} (install python3-networkx python3-holidays: scripts/deps.sh)")
    sys.exit(SKIP)

TYPES = ["FS", "SS", "FF", "SF"]


def gen(rng, every_day):
    n = rng.randint(2, 30)
    steps = []
    for i in range(n):
        d = rng.randint(1, 25)
        unit = rng.choice(["working_days", "calendar_days"]) if every_day else "working_days"
        deps = []
        for p in sorted(rng.sample(range(i), min(i, rng.randint(0, 3)))):
            lag = rng.randint(-10, 15) if rng.random() < 0.6 else 0
            lu = rng.choice(["working_days", "calendar_days"]) if every_day else "working_days"
            deps.append({"step": f"s{p}", "type": rng.choice(TYPES), "lag": {"value": lag, "unit": lu}})
        st = {"key": f"s{i}", "name": f"stap {i}", "stream": rng.choice(["public", "private"]),
              "duration": {"value": d, "unit": unit}, "source": "random test"}
        if deps:
            st["depends_on"] = deps
        steps.append(st)
    return {"key": "diff", "name": "differential", "version": 1, "steps": steps}


def reference(schema):
    """(ES, EF, LS, LF) per step as day/working-day indexes (EF, LF inclusive), by networkx."""
    g = nx.DiGraph()
    dur = {s["key"]: s["duration"]["value"] for s in schema["steps"]}
    g.add_node("SRC")
    g.add_node("SINK")
    for s in schema["steps"]:
        k = s["key"]
        g.add_edge("SRC", k, w=0)
        g.add_edge(k, "SINK", w=dur[k])
    for s in schema["steps"]:
        for dep in s.get("depends_on", []):
            p, q, lag, t = dep["step"], s["key"], dep["lag"]["value"], dep["type"]
            w = {"FS": dur[p] + lag, "SS": lag, "FF": dur[p] + lag - dur[q], "SF": lag - dur[q]}[t]
            # keep the heaviest edge when a pair has two links
            if g.has_edge(p, q):
                w = max(w, g[p][q]["w"])
            g.add_edge(p, q, w=w)
    assert nx.is_directed_acyclic_graph(g)
    es = nx.single_source_bellman_ford_path_length(g, "SRC", weight=lambda u, v, a: -a["w"])
    es = {k: -v for k, v in es.items()}
    pf = es["SINK"]
    rg = g.reverse(copy=True)
    tail = nx.single_source_bellman_ford_path_length(rg, "SINK", weight=lambda u, v, a: -a["w"])
    out = {}
    for k in dur:
        ls = pf - (-tail[k])
        out[k] = (es[k], es[k] + dur[k] - 1, ls, ls + dur[k] - 1)
    return out


def dutch_working_days(start, count):
    nl = holidays.NL(years=range(start.year, start.year + 12))
    days, d = [], start
    while len(days) < count:
        if d.weekday() < 5 and d not in nl:
            days.append(d)
        d += datetime.timedelta(days=1)
    return days


def run_engine(binary, doc):
    p = subprocess.run([binary, "schedule", "-"], input=json.dumps(doc), capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    return json.loads(p.stdout), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BS_NX_ROUNDS", "300")))
    args = ap.parse_args()
    rng = random.Random(20261129)
    data_date = datetime.date(2026, 3, 28)  # a Saturday: the first working day is Mon 30 March
    wdays = dutch_working_days(data_date, 4000)
    mismatches = 0
    kinds = {t: 0 for t in TYPES}
    for r in range(args.rounds):
        every_day = r % 2 == 0
        schema = gen(rng, every_day)
        for s in schema["steps"]:
            for dep in s.get("depends_on", []):
                kinds[dep["type"]] += 1
        doc = {"schema": schema, "data_date": data_date.isoformat()}
        if every_day:
            doc["calendar"] = {"every_day_working": True}
        got, err = run_engine(args.binary, doc)
        if got is None:
            check(False, f"round {r}: engine ran", err)
            continue
        ref = reference(schema)

        def date_of(i):
            if every_day:
                return (data_date + datetime.timedelta(days=i)).isoformat()
            return wdays[i].isoformat()

        bad = []
        for st in got["steps"]:
            es, ef, ls, lf = ref[st["key"]]
            want = [date_of(es), date_of(ef), date_of(ls), date_of(lf), ls - es]
            have = [st["early_start"], st["early_finish"], st["late_start"], st["late_finish"],
                    st["total_float"]]
            if want != have:
                bad.append((st["key"], have, want))
        if bad:
            mismatches += 1
            if mismatches <= 5:
                check(False, f"round {r} ({'every day' if every_day else 'Dutch calendar'})",
                      f"{len(bad)} step(s) differ, first {bad[0]}; schema {json.dumps(schema)}")
        else:
            check(True, f"round {r}")
    eq(mismatches, 0, "rounds whose dates differ from networkx")
    check(all(v > 100 for v in kinds.values()), "every link type is exercised", kinds)
    print(f"{args.rounds} random DAGs, links per type {kinds}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
