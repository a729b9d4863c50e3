#!/usr/bin/python3
"""Differential test of the progress model (docs/scheduling.md §5) against a reference written
from the document alone, through the offline `bouwstroom schedule` (§9, with `progress_date`
and `data_date`).

The reference (`reference()`) is a longest path with python3-networkx over the boundaries of
the index model (§2), one node per anchor:

* OPEN step k (d > 0): node S_k (start boundary) >= dd_b; F_k = S_k + d; FS/SS links bound
  S_k, FF/SF links bound S_k through the finish (S_k >= bound - d)          (§3, §5.4);
* STARTED step k: S_k = boundary_before(AS) (a fact, no link bounds it); the remaining work
  starts at RS_k >= dd_b, >= S_k and >= every FS bound; F_k >= RS_k + R and >= every FF/SF
  bound; R = given remaining or d - done, done = max(0, pd_b - boundary_before(AS)), R >= 1
  (§5.3); SS links into it are ignored;
* DONE step with actual finish: S_k = boundary_before(AS), F_k = boundary_after(AF), both
  facts; DONE with unknown dates: both anchors at dd_b (§5.2);
* SKIPPED step: one node X_k, both anchors, = the latest bound of any link type its own
  predecessors impose; no bound when none does (§5.7).

Late dates: the longest path from each movable node (open S/F, started RS/F, skipped X) to
the sink (every unfinished F_k -> sink), through the links §5.5 keeps in the backward pass
(DONE successors and SS links into STARTED steps bound nothing). Total float: open
LS - ES, started lf_b - ef_b. Out of sequence: §5.6 (through skipped predecessors).

Two calendars, as test_schedule_networkx.py: every day a working day (working- and
calendar-day units and lags; there both are the same index arithmetic) and the Dutch
calendar with working-day units only (python3-holidays, default options). Milestones,
statutory terms and calendar-day units on the Dutch calendar are covered by the hand-worked
cases at the end (their display and Atw rules are not a longest path).

Usage: test_schedule_progress_reference.py --binary BOUWSTROOM --source SRC [--rounds N]
"""
import argparse
import bisect
import collections
import concurrent.futures
import datetime
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish  # noqa: E402
from test_schedule_networkx import TYPES, nx, holidays, run_engine  # noqa: E402

D = datetime.date
ONE = datetime.timedelta(days=1)


class Calendar:
    """Working days from an origin; boundary b = the instant before working day b (§2)."""

    def __init__(self, origin, every_day, n=4000):
        self.every_day = every_day
        if every_day:
            self.days = [origin + i * ONE for i in range(n)]
        else:
            nl = holidays.NL(years=range(origin.year, origin.year + 15))
            self.days, d = [], origin
            while len(self.days) < n:
                if d.weekday() < 5 and d not in nl:
                    self.days.append(d)
                d += ONE

    def before(self, day):  # working days strictly before day
        return bisect.bisect_left(self.days, day)

    def after(self, day):  # working days on or before day
        return bisect.bisect_right(self.days, day)

    def wd(self, i):
        return self.days[i]


def iso(d):
    return d.isoformat() if d is not None else None


def reference(schema, state, cal, dd, pd):
    """Per step {es, ef, ls, lf, float, critical}, project finish and out-of-sequence keys."""
    pd = pd or dd
    dd_b, pd_b = cal.before(dd), cal.before(pd)
    steps = {s["key"]: s for s in schema["steps"]}
    preds = {k: [(d["step"], d.get("type", "FS"), d.get("lag", {}).get("value", 0))
                 for d in s.get("depends_on", [])] for k, s in steps.items()}
    st = {k: state.get(k, {}) for k in steps}
    status = {k: st[k].get("status", "open") for k in steps}
    dur = {k: s["duration"]["value"] for k, s in steps.items()}

    def known(k):  # DONE with actual dates
        return status[k] == "done" and "actual_finish" in st[k] and not st[k].get("actual_estimated")

    g = nx.DiGraph()
    back = set()  # edges that the backward pass keeps

    def edge(u, v, w, backward=True):
        if g.has_edge(u, v):
            w = max(w, g[u][v]["w"])
        g.add_edge(u, v, w=w)
        if backward:
            back.add((u, v))

    def S(k):
        return ("X", k) if status[k] == "skipped" else ("S", k)

    def F(k):
        return ("X", k) if status[k] == "skipped" else ("F", k)

    rem = {}
    g.add_node("SRC")
    for k in steps:
        s, d = status[k], dur[k]
        if s == "open":
            edge("SRC", S(k), dd_b)
            edge(S(k), F(k), d)
        elif s == "started":
            as_b = cal.before(D.fromisoformat(st[k]["actual_start"]))
            done = max(0, pd_b - as_b)
            r = st[k]["remaining"] if "remaining" in st[k] else d - done
            rem[k] = max(1, r)
            edge("SRC", S(k), as_b, False)
            edge(S(k), ("R", k), 0, False)
            edge("SRC", ("R", k), dd_b)
            edge(("R", k), F(k), rem[k], backward=False)  # backward: below
        elif s == "done" and known(k):
            af = D.fromisoformat(st[k]["actual_finish"])
            edge("SRC", S(k), cal.before(D.fromisoformat(st[k]["actual_start"])), False)
            edge("SRC", F(k), cal.after(af), False)
        elif s == "done":
            edge("SRC", S(k), dd_b, False)
            edge("SRC", F(k), dd_b, False)
        else:
            g.add_node(("X", k))
    for k in steps:
        for p, t, lag in preds[k]:
            anchor = F(p) if t in ("FS", "FF") else S(p)
            s = status[k]
            if s == "open":
                edge(anchor, S(k), lag if t in ("FS", "SS") else lag - dur[k])
            elif s == "started":
                if t == "FS":
                    edge(anchor, ("R", k), lag)
                elif t == "FF":
                    edge(anchor, F(k), lag)
                elif t == "SF":  # bounds the finish forward (§5.3 step 5) and, like FF,
                    # the predecessor's start backward from the latest finish (§5.5)
                    edge(anchor, F(k), lag)
            elif s == "skipped":
                edge(anchor, ("X", k), lag)
    assert nx.is_directed_acyclic_graph(g)
    early = nx.single_source_bellman_ford_path_length(g, "SRC", weight=lambda u, v, a: -a["w"])
    early = {n: -v for n, v in early.items()}

    unfinished = [k for k in steps if status[k] in ("open", "started")]
    pf_b = max((early[F(k)] for k in unfinished), default=None)

    # backward: movable nodes only, through the edges the backward pass keeps
    movable = set()
    for k in steps:
        if status[k] == "open":
            movable |= {S(k), F(k)}
        elif status[k] == "started":
            movable |= {("R", k), F(k)}
        elif status[k] == "skipped":
            movable.add(("X", k))
    bg = nx.DiGraph()
    bg.add_node("SINK")
    for u, v in back:
        if u in movable and v in movable:
            bg.add_edge(v, u, w=g[u][v]["w"])  # reversed
    for k in unfinished:
        bg.add_edge("SINK", F(k), w=0)
        if status[k] == "started":
            # §5.5: the latest start of the remaining work is LF - R (working days; for
            # calendar-day steps the latest day from which R calendar days still end by LF,
            # the same index arithmetic on the every-day calendar), also when an FF/SF bound
            # holds the finish beyond rs_b + R
            bg.add_edge(F(k), ("R", k), w=rem[k])
    tail = nx.single_source_bellman_ford_path_length(bg, "SINK", weight=lambda u, v, a: -a["w"])
    late = {n: pf_b + v for n, v in tail.items()} if pf_b is not None else {}  # pf - longest path

    out = {}
    for k in steps:
        s = status[k]
        r = {"critical": False}
        if s == "open":
            es, ls = early[S(k)], late[S(k)]
            r.update(es=cal.wd(es), ef=cal.wd(es + dur[k] - 1), ls=cal.wd(ls),
                     lf=cal.wd(ls + dur[k] - 1), float=ls - es)
        elif s == "started":
            as_ = D.fromisoformat(st[k]["actual_start"])
            ef, lf = early[F(k)], late[F(k)]
            fl = lf - ef
            r.update(es=as_, ef=cal.wd(ef - 1), lf=cal.wd(lf - 1), float=fl,
                     ls=as_ if fl == 0 else cal.wd(cal.before(as_) + fl))
        elif s == "done" and known(k):
            r.update(es=D.fromisoformat(st[k]["actual_start"]),
                     ef=D.fromisoformat(st[k]["actual_finish"]))
        if s in ("open", "started"):
            r["critical"] = r["float"] <= 0
        out[k] = r

    def not_done(p):
        if status[p] == "skipped":
            return any(not_done(q) for q, _, _ in preds[p])
        return status[p] != "done"

    def not_started(p):
        if status[p] == "skipped":
            return any(not_started(q) for q, _, _ in preds[p])
        return status[p] == "open"

    oos = set()
    for k in steps:
        for p, t, _ in preds[k]:
            if status[k] in ("started", "done") and (
                    (t == "FS" and not_done(p)) or (t == "SS" and not_started(p))):
                oos.add(k)
            if status[k] == "done" and ((t == "FF" and not_done(p)) or (t == "SF" and not_started(p))):
                oos.add(k)
    return out, (cal.wd(pf_b - 1) if pf_b is not None else None), oos


def gen_state(rng, schema, dd, every_day):
    """Random progress facts around the predecessors' finishes and the data date."""
    state, fin = {}, {}
    for s in schema["steps"]:
        k, d = s["key"], s["duration"]["value"]
        pf = [fin[dep["step"]] for dep in s.get("depends_on", []) if dep["step"] in fin]
        base = max(pf) if pf and rng.random() < 0.6 else dd + rng.randint(-60, 5) * ONE
        x = rng.random()
        if x < 0.30:
            as_ = base + rng.randint(-4, 4) * ONE
            af = as_ + rng.randint(0, 2 * d) * ONE
            state[k] = {"status": "done", "actual_start": iso(as_), "actual_finish": iso(af)}
            fin[k] = af + ONE
            if rng.random() < 0.08:
                state[k] = {"status": "done"} if rng.random() < 0.5 else dict(state[k], actual_estimated=True)
        elif x < 0.58:
            as_ = base + rng.randint(-4, 4) * ONE
            state[k] = {"status": "started", "actual_start": iso(as_)}
            if rng.random() < 0.3:
                state[k]["remaining"] = rng.randint(0 if rng.random() < 0.1 else 1, d + 5)
            fin[k] = as_ + d * ONE
        elif x < 0.66:
            state[k] = {"status": "skipped"}  # only an optional step is skipped (§5.7)
            s.update(optional=True, applies_to={"planstatus": ["1B", "2B"]})
        elif pf:
            fin[k] = max(pf) + d * ONE
    return state


def make_doc(schema, state, cal, dd, pd):
    doc = {"schema": schema, "data_date": iso(dd), "steps": state}
    if pd is not None:
        doc["progress_date"] = iso(pd)
    if cal.every_day:
        doc["calendar"] = {"every_day_working": True}
    return doc


def compare(engine_answer, doc, schema, state, cal, dd, pd, what):
    got, err = engine_answer
    if got is None:
        return False, f"engine failed: {err}; input {json.dumps(doc)}"
    ref, pf, oos = reference(schema, state, cal, dd, pd)
    bad = []
    for s in got["steps"]:
        k, want = s["key"], ref[s["key"]]
        have = {"es": s["early_start"], "ef": s["early_finish"], "critical": s["critical"],
                "oos": s["out_of_sequence"]}
        exp = {"es": iso(want.get("es")), "ef": iso(want.get("ef")), "critical": want["critical"],
               "oos": k in oos}
        if "float" in want:
            have.update(ls=s["late_start"], lf=s["late_finish"], float=s["total_float"])
            exp.update(ls=iso(want["ls"]), lf=iso(want["lf"]), float=want["float"])
        if have != exp:
            bad.append((k, state.get(k, {}), {x: (have[x], exp[x]) for x in have if have[x] != exp[x]}))
    if got.get("project_finish") != iso(pf):
        bad.append(("project_finish", got.get("project_finish"), iso(pf)))
    if sorted(got.get("out_of_sequence", [])) != sorted(oos):
        bad.append(("out_of_sequence", got.get("out_of_sequence"), sorted(oos)))
    if bad:
        return False, (f"{len(bad)} difference(s) (engine, reference), first {bad[:2]}; "
                       f"input {json.dumps(doc)}")
    return True, ""


def gen_schema(rng, every_day):
    n = rng.randint(2, 16)
    steps = []
    for i in range(n):
        d = rng.randint(1, 25)
        unit = rng.choice(["working_days", "calendar_days"]) if every_day else "working_days"
        deps = []
        for p in sorted(rng.sample(range(i), min(i, rng.randint(0, 3)))):
            lag = rng.randint(-10, 15) if rng.random() < 0.5 else 0
            lu = rng.choice(["working_days", "calendar_days"]) if every_day else "working_days"
            t = "FS" if rng.random() < 0.4 else rng.choice(TYPES)
            deps.append({"step": f"s{p}", "type": t, "lag": {"value": lag, "unit": lu}})
        s = {"key": f"s{i}", "name": f"stap {i}", "stream": rng.choice(["public", "private"]),
             "duration": {"value": d, "unit": unit}, "source": "random test"}
        if deps:
            s["depends_on"] = deps
        steps.append(s)
    return {"key": "prog", "name": "progress differential", "version": 1, "steps": steps}


def randomised(rounds, seed):
    rng = random.Random(seed)
    mismatches = 0
    seen = collections.Counter()
    cals = {True: Calendar(D(2025, 6, 1), True), False: Calendar(D(2025, 6, 1), False)}
    cases = []
    for r in range(rounds):
        every_day = r % 2 == 0
        dd = D(2026, 3, 2) + rng.randint(0, 60) * ONE
        x = rng.random()
        pd = None if x < 0.2 else dd if x < 0.4 else dd - rng.randint(1, 30) * ONE
        cal = cals[every_day]
        schema = gen_schema(rng, every_day)
        state = gen_state(rng, schema, dd, every_day)
        for st in schema["steps"]:
            x = state.get(st["key"], {})
            seen[x.get("status", "open") + (" remaining" if "remaining" in x else "")
                 + (" unknown dates" if x.get("status") == "done" and (
                     "actual_finish" not in x or x.get("actual_estimated")) else "")] += 1
            for dep in st.get("depends_on", []):
                seen[dep["type"] + " into " + x.get("status", "open")] += 1
        cases.append((make_doc(schema, state, cal, dd, pd), schema, state, cal, dd, pd,
                      f"random round {r} ({'every day' if every_day else 'Dutch calendar'})"))
    # the engine runs are independent processes: a few at a time keep the test short on a
    # busy machine
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda c: run_engine(ARGS.binary, c[0]), cases))
    for answer, case in zip(answers, cases):
        ok, detail = compare(answer, *case)
        if not ok:
            mismatches += 1
            if mismatches <= 5:  # the first five in full are enough to debug
                check(False, case[-1], detail)
        else:
            check(True, case[-1])
    eq(mismatches, 0, "random progress rounds that differ from the reference")
    if rounds >= 100:
        want = [f"{t} into {s}" for t in TYPES for s in ("open", "started", "done", "skipped")]
        check(all(seen[w] >= 5 for w in want), "every link type into every status is exercised",
              dict(seen))
    print(f"{rounds} random progress cases: {dict(sorted(seen.items()))}")


def step(key, d, deps=(), unit="working_days", milestone=False, statutory=False, optional=False):
    """A schema step; keys are written upper-case in HAND for legibility, lower-case in the schema."""
    s = {"key": key.lower(), "name": key, "stream": "public", "source": "hand-worked case"}
    if milestone:
        s["milestone"] = True
    else:
        s["duration"] = {"value": d, "unit": unit}
    if statutory:
        s["statutory"] = True
    if optional:
        s.update(optional=True, applies_to={"planstatus": ["1B", "2B"]})
    if deps:
        s["depends_on"] = [{"step": p.lower(), "type": t, "lag": {"value": lag, "unit": "working_days"}}
                           for p, t, lag in deps]
    return s


# Hand-worked cases: Dutch calendar 2026, default options. Off: Easter Monday 6 April,
# Koningsdag Mon 27 April, Hemelvaart Thu 14 May, Whit Monday 25 May; Goede Vrijdag 3 April
# and 5 May (not a lustrum year) are worked. Expected: per step (early_start, early_finish,
# total_float or None to skip it), the project finish, the out-of-sequence keys.
HAND = [
    # The doubled gap. P done 23 Feb - Fri 6 Mar; S (130 wd) started Mon 9 Mar, the day after;
    # PD = DD = Mon 2 Mar. done = max(0, pd_b - b(9 Mar)) = 0, R = 130; rs = max(dd 2 Mar,
    # AS 9 Mar, FS bound after 6 Mar = 9 Mar) = 9 Mar. Working days from 9 Mar: March 17,
    # April 22-2 = 20, May 21-2 = 19, June 22, July 23, August 21 (= 122), Sep 1-10: 8 -> 130
    # ends Thu 10 Sep. (Counting the gap twice gave 135: Thu 17 Sep.)
    ("doubled gap, PD = DD before the predecessor's finish",
     [step("P", 10), step("S", 130, [("P", "FS", 0)]), step("M", 0, [("S", "FS", 0)], milestone=True)],
     {"P": {"status": "done", "actual_start": "2026-02-23", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-09"}},
     "2026-03-02", "2026-03-02",
     {"S": ("2026-03-09", "2026-09-10", 0), "M": ("2026-09-10", "2026-09-10", 0)}, "2026-09-10", []),
    # Same with remaining given (130): the reporter's R is used as is: Thu 10 Sep.
    ("doubled gap, remaining given",
     [step("P", 10), step("S", 130, [("P", "FS", 0)])],
     {"P": {"status": "done", "actual_start": "2026-02-23", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-09", "remaining": 130}},
     "2026-03-02", "2026-03-02", {"S": ("2026-03-09", "2026-09-10", 0)}, "2026-09-10", []),
    # PD = 2 Mar before the start, DD = Mon 16 Mar after it: done 0, R 130 from 16 Mar =
    # 5 working days later than from 9 Mar: Fri 11, Mon 14 ... Thu 17 Sep.
    ("doubled gap, PD before AS, DD after it",
     [step("P", 10), step("S", 130, [("P", "FS", 0)])],
     {"P": {"status": "done", "actual_start": "2026-02-23", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-09"}},
     "2026-03-16", "2026-03-02", {"S": ("2026-03-09", "2026-09-17", 0)}, "2026-09-17", []),
    # PD = DD = 16 Mar: done = 9-13 Mar = 5, R = 125 from 16 Mar: again Thu 10 Sep.
    ("doubled gap, PD = DD after AS",
     [step("P", 10), step("S", 130, [("P", "FS", 0)])],
     {"P": {"status": "done", "actual_start": "2026-02-23", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-09"}},
     "2026-03-16", "2026-03-16", {"S": ("2026-03-09", "2026-09-10", 0)}, "2026-09-10", []),
    # PD = DD = Fri 6 Mar, the day P finished and S started: done = b(6) - b(6) = 0, R 10;
    # rs = max(dd Fri 6, AS Fri 6, FS bound after Fri 6 = Mon 9) = Mon 9: 9-13, 16-20 Mar.
    ("PD = DD = the predecessor's finish = the start",
     [step("P", 5), step("S", 10, [("P", "FS", 0)])],
     {"P": {"status": "done", "actual_start": "2026-03-02", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-06"}},
     "2026-03-06", "2026-03-06", {"S": ("2026-03-06", "2026-03-20", 0)}, "2026-03-20", []),
    # P done Fri 6 Mar, S (10) started Mon 9; PD Wed 11 (after P's finish): done = 9, 10 = 2,
    # R 8; DD Mon 16: 16-20, 23-25 -> Wed 25 Mar.
    ("PD after the predecessor's finish, DD later",
     [step("P", 5), step("S", 10, [("P", "FS", 0)])],
     {"P": {"status": "done", "actual_start": "2026-03-02", "actual_finish": "2026-03-06"},
      "S": {"status": "started", "actual_start": "2026-03-09"}},
     "2026-03-16", "2026-03-11", {"S": ("2026-03-09", "2026-03-25", 0)}, "2026-03-25", []),
    # A (10) started Mon 2 Mar with remaining 8; B (6, FS after A) started Wed 4 Mar out of
    # sequence; PD Thu 5 Mar, DD Mon 9 Mar. A: 8 wd from 9 Mar = 9-13, 16-18 -> Wed 18 Mar.
    # B: done = Wed 4 only = 1, R = 5, waits for A: 19, 20, 23, 24, 25 -> Wed 25 Mar.
    ("started predecessor finishing after DD, out-of-sequence successor started before PD",
     [step("A", 10), step("B", 6, [("A", "FS", 0)])],
     {"A": {"status": "started", "actual_start": "2026-03-02", "remaining": 8},
      "B": {"status": "started", "actual_start": "2026-03-04"}},
     "2026-03-09", "2026-03-05",
     {"A": ("2026-03-02", "2026-03-18", 0), "B": ("2026-03-04", "2026-03-25", 0)}, "2026-03-25", ["B"]),
    # P (5) started Mon 2 Mar = PD: done 0, R 5 from DD Mon 16 Mar -> Fri 20 Mar. S (3, FS
    # lag 2 wd): boundary after 20 Mar = Mon 23, + 2 -> starts Wed 25, ends Fri 27 Mar.
    ("started at PD, DD later, open successor with a lag",
     [step("P", 5), step("S", 3, [("P", "FS", 2)])],
     {"P": {"status": "started", "actual_start": "2026-03-02"}},
     "2026-03-16", "2026-03-02",
     {"P": ("2026-03-02", "2026-03-20", 0), "S": ("2026-03-25", "2026-03-27", 0)}, "2026-03-27", []),
    # P done 9 - Fri 20 Mar, facts after DD = PD = Wed 11 Mar. S1 (4, FS): Mon 23 - Thu 26.
    # S2 (10, SS +3): b(9 Mar) + 3 = Thu 12 (>= DD): 12-13, 16-20, 23-25 -> Wed 25, float 1.
    # S3 (2, FF 0): finish >= end of Fri 20: starts Thu 19, float 4 (to Thu 26).
    ("done predecessor finishing after DD, FS/SS/FF successors",
     [step("P", 5), step("S1", 4, [("P", "FS", 0)]), step("S2", 10, [("P", "SS", 3)]),
      step("S3", 2, [("P", "FF", 0)])],
     {"P": {"status": "done", "actual_start": "2026-03-09", "actual_finish": "2026-03-20"}},
     "2026-03-11", "2026-03-11",
     {"P": ("2026-03-09", "2026-03-20", None), "S1": ("2026-03-23", "2026-03-26", 0),
      "S2": ("2026-03-12", "2026-03-25", 1), "S3": ("2026-03-19", "2026-03-20", 4)}, "2026-03-26", []),
    # A (10) started Mon 23 Mar, after PD = DD = Mon 16 Mar: done 0, R 10 from 23 Mar:
    # 23-27, 30, 31, 1, 2, Fri 3 Apr (Goede Vrijdag worked). B (1, FS): Tue 7 Apr (Easter Monday).
    ("started after DD",
     [step("A", 10), step("B", 1, [("A", "FS", 0)])],
     {"A": {"status": "started", "actual_start": "2026-03-23"}},
     "2026-03-16", "2026-03-16",
     {"A": ("2026-03-23", "2026-04-03", 0), "B": ("2026-04-07", "2026-04-07", 0)}, "2026-04-07", []),
    # D (3) done 2-4 Mar while A (5) is open: out of sequence, its facts stand. PD = DD = Mon
    # 9 Mar: A 9-13 Mar. E (2, FS after D): bound 5 Mar, DD -> 9-10 Mar, float 3 (to Fri 13).
    ("done out of sequence, predecessor open",
     [step("A", 5), step("D", 3, [("A", "FS", 0)]), step("E", 2, [("D", "FS", 0)])],
     {"D": {"status": "done", "actual_start": "2026-03-02", "actual_finish": "2026-03-04"}},
     "2026-03-09", "2026-03-09",
     {"A": ("2026-03-09", "2026-03-13", 0), "D": ("2026-03-02", "2026-03-04", None),
      "E": ("2026-03-09", "2026-03-10", 3)}, "2026-03-13", ["D"]),
    # T (20 calendar days) started Mon 2 Mar, PD Mon 9 Mar: done 7, R 13. DD = Sat 14 Mar,
    # not held back: RS = Sat 14, F = 14 + 12 = Thu 26 Mar. U (1 wd, FS): Fri 27 Mar.
    ("calendar-day remaining work from a Saturday data date",
     [step("T", 20, unit="calendar_days"), step("U", 1, [("T", "FS", 0)])],
     {"T": {"status": "started", "actual_start": "2026-03-02"}},
     "2026-03-14", "2026-03-09",
     {"T": ("2026-03-02", "2026-03-26", 0), "U": ("2026-03-27", "2026-03-27", 0)}, "2026-03-27", []),
    # Statutory 56 calendar days started Mon 2 Mar, PD = DD = Mon 16 Mar: done 14, R 42:
    # 16 Mar + 41 = Sun 26 Apr, Koningsdag Mon 27 -> Atw Tue 28 Apr.
    ("statutory remaining term",
     [step("T", 56, unit="calendar_days", statutory=True)],
     {"T": {"status": "started", "actual_start": "2026-03-02"}},
     "2026-03-16", "2026-03-16", {"T": ("2026-03-02", "2026-04-28", 0)}, "2026-04-28", []),
    # A (5) open -> M (milestone) started Wed 4 Mar -> B (3). PD Mon 2 Mar, DD Sat 14 Mar:
    # M at the start of Sat 14 (shown 14 Mar), ignores A; A Mon 16 - Fri 20; B 16-18 Mar,
    # float 2. M is out of sequence.
    ("started milestone, Saturday data date",
     [step("A", 5), step("M", 0, [("A", "FS", 0)], milestone=True), step("B", 3, [("M", "FS", 0)])],
     {"M": {"status": "started", "actual_start": "2026-03-04"}},
     "2026-03-14", "2026-03-02",
     {"A": ("2026-03-16", "2026-03-20", 0), "M": ("2026-03-04", "2026-03-14", None),
      "B": ("2026-03-16", "2026-03-18", 2)}, "2026-03-20", ["M"]),
    # P (4) done 2-5 Mar -> X skipped (FS +2) -> S (3) started Mon 9 Mar (FS +1 after X).
    # X passes P's finish + 2: b(after 5 Mar) = Fri 6, + 2 = Tue 10; S's remaining work
    # waits for Tue 10 + 1 = Wed 11. PD = DD = Mon 9: done 0, R 3: 11-13 Mar.
    ("skipped step passes a done predecessor's bound to a started step",
     [step("P", 4), step("X", 5, [("P", "FS", 2)], optional=True), step("S", 3, [("X", "FS", 1)])],
     {"P": {"status": "done", "actual_start": "2026-03-02", "actual_finish": "2026-03-05"},
      "X": {"status": "skipped"}, "S": {"status": "started", "actual_start": "2026-03-09"}},
     "2026-03-09", "2026-03-09", {"S": ("2026-03-09", "2026-03-13", 0)}, "2026-03-13", []),
]


def hand_cases():
    cal = Calendar(D(2025, 6, 1), False)
    for what, steps, state, dd, pd, want, pf, oos in HAND:
        state = {k.lower(): v for k, v in state.items()}
        want = {k.lower(): v for k, v in want.items()}
        oos = [k.lower() for k in oos]
        schema = {"key": "hand", "name": "hand-worked", "version": 1, "steps": steps}
        doc = {"schema": schema, "data_date": dd, "progress_date": pd, "steps": state}
        got, err = run_engine(ARGS.binary, doc)
        if got is None:
            check(False, f"hand: {what}: engine ran", err)
            continue
        by = {s["key"]: s for s in got["steps"]}
        for k, (es, ef, fl) in want.items():
            have = (by[k]["early_start"], by[k]["early_finish"])
            if fl is not None:
                have += (by[k]["total_float"],)
            eq(have, (es, ef) + ((fl,) if fl is not None else ()), f"hand: {what}: {k}")
        eq(got["project_finish"], pf, f"hand: {what}: project finish")
        eq(sorted(got["out_of_sequence"]), oos, f"hand: {what}: out of sequence")
        # the reference agrees with the hand-worked figures where it applies (no milestone,
        # no calendar-day unit on the Dutch calendar)
        if all("duration" in s and s["duration"]["unit"] == "working_days" for s in steps):
            ref, rpf, roos = reference(schema, state, cal, D.fromisoformat(dd), D.fromisoformat(pd))
            for k, (es, ef, fl) in want.items():
                r = ref[k]
                eq((iso(r.get("es")), iso(r.get("ef"))) + ((r["float"],) if fl is not None else ()),
                   (es, ef) + ((fl,) if fl is not None else ()), f"hand: {what}: reference {k}")
            eq((iso(rpf), sorted(roos)), (pf, oos), f"hand: {what}: reference finish, out of sequence")


ARGS = None


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--rounds", type=int, default=120)
    ap.add_argument("--seed", type=int, default=20261204)
    ARGS = ap.parse_args()
    hand_cases()
    randomised(ARGS.rounds, ARGS.seed)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
