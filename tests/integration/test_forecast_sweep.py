#!/usr/bin/python3
"""The forecast sweep (issue 18 items 3-4; docs/homes-and-goals.md "The forecast sweep"), against the
real binary, a real PostgreSQL and real HTTP, on the sample municipality (12 plans with blocks).

The server runs with BOUWSTROOM_FORECAST_SWEEP=1 (the harness switches it off for every other test).
- At start the sweep forecasts every project with blocks: each gets rows in
  project_milestone_forecasts under its current forecast stamp, none failed, and the dashboard
  version rises by at most one per write statement (set-wise invalidation).
- The dashboard's homes-by-year P50/P80 equal the quantiles of the delivery samples the API reports:
  for every year Y of the range, a goal "delivered by 31 December Y" gives each project's
  probability of delivering by Y (its `delivery`); its P50 (P80) year is the first Y at which that
  probability reaches 0.5 (0.8) — the type-1 quantile of its 2,000 samples — and the homes per P50
  (P80) year computed here from those equal the dashboard's cells.
- Goal progress right after the sweep computes nothing (`forecasts.computed` 0): the sweep filled
  the cache the goals read.
- A project changed through the API (a critical step lengthened) is re-forecast: its rows move to
  the new stamp with a later P50, the dashboard follows (the same comparison again), and progress
  still computes nothing.
- That write sends no NOTIFY bs_forecast_sweep in its own transaction (issue 17 item 1, migration
  0045): a LISTEN connection has none right after the 200, and gets the server's debounced one (in a
  transaction of its own; BOUWSTROOM_SWEEP_WAKE_MS stretches the debounce to 20 s here) later.
- After a restart with unchanged data the sweep warms the cache again (progress computes nothing)
  and writes nothing the dashboards read (the dashboard version stays).
- /readyz lists the sweep's check when it is on, not when it is off.

Usage: test_forecast_sweep.py --binary BOUWSTROOM --source SRC
"""
import argparse
import math
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, finish, fresh_database, psql, start_server  # noqa: E402

DEADLINE_S = 600  # generous: the sanitizer build on a busy 2-core machine

PENDING_SQL = """
SELECT count(*) FROM (SELECT DISTINCT b.project_id FROM project_blocks b WHERE b.spread IS NULL) c
 WHERE NOT EXISTS (SELECT 1 FROM project_milestone_forecasts f
                   LEFT JOIN project_forecast_stamps s ON s.project_id = f.project_id
                   WHERE f.project_id = c.project_id AND f.stamp = COALESCE(s.stamp, 0))"""


def wait_for(what, cond, deadline_s=DEADLINE_S):
    t0 = time.time()
    while time.time() - t0 < deadline_s:
        v = cond()
        if v:
            return v
        time.sleep(0.3)
    check(False, what, f"not within {deadline_s} s")
    return None


def version(url):
    return int(psql(url, "SELECT version FROM dashboard_version"))


def sweep_check(base):
    st, _, doc = Api(base, token=None).json("GET", "/readyz")
    return next((c for c in (doc or {}).get("checks", []) if c["name"] == "forecast_sweep"), None)


class Listener:
    """A psql session that LISTENs to bs_forecast_sweep; poll() returns the notifications received
    since the last poll (psql prints them after the result of the query they arrived with)."""

    def __init__(self, url):
        self.p = subprocess.Popen(["psql", url, "-XAtq"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.n = 0
        self.p.stdin.write("LISTEN bs_forecast_sweep;\n")

    def poll(self):
        self.n += 1
        mark = f"mark-{self.n}"
        self.p.stdin.write(f"SELECT 'poll';\nSELECT '{mark}';\n")
        self.p.stdin.flush()
        got = []
        for line in self.p.stdout:
            if line.strip() == mark:
                break
            if "Asynchronous notification" in line:
                got.append(line.strip())
        return got

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


def stop(proc):
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    eq(proc.returncode, 0, "the server stops cleanly " + err[-500:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source,
                   BOUWSTROOM_FORECAST_SWEEP="1", BOUWSTROOM_SWEEP_WAKE_MS="20000")
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=300)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        org = psql(url, "SELECT id FROM organisations WHERE name = 'Voorbeeldstad'")
        run(args, env, url, org)
    return finish()


def run(args, env, url, org):
    n = int(psql(url, "SELECT count(DISTINCT project_id) FROM project_blocks WHERE spread IS NULL"))
    check(n >= 5, "a handful of projects with blocks", n)
    eq(psql(url, "SELECT count(DISTINCT milestone) FROM project_blocks"), "1",
       "the sample's blocks follow one milestone (the comparison below relies on it)")
    bsit.provision(args.binary, env)
    v0 = version(url)
    print(f"== cold start: the sweep forecasts the {n} projects")
    t0 = time.time()
    proc, base = start_server(args.binary, env, operator=False)
    try:
        wait_for("every project swept", lambda: psql(url, PENDING_SQL) == "0")
        print(f"   swept in {time.time() - t0:.1f} s")
        eq(psql(url, "SELECT count(DISTINCT project_id) FROM project_milestone_forecasts"), str(n),
           "every project with blocks has rows")
        eq(psql(url, "SELECT count(*) FROM project_milestone_forecasts WHERE failed OR p50 IS NULL OR p80 IS NULL "
                     "OR samples <> 2000 OR data_date <> DATE '" + bsit.TODAY + "'"), "0",
           "none failed; 2,000 samples; the data date is today (no progress dates in the sample)")
        bumps = version(url) - v0
        check(1 <= bumps <= math.ceil(n / 128) + 1, "the dashboards invalidated once per write statement", bumps)
        c = sweep_check(base)
        check(c is not None and c["ok"], "/readyz lists the sweep", c)

        api = Api(base)
        st, _, g = api.json("POST", "/api/v1/goals", {"organisation_id": org, "name": "alles", "target": 1,
                                                      "year_to": 2030})
        eq(st, 201, "a goal over the organisation's projects")
        print("== the dashboard's P50/P80 per year equal the quantiles of the reported delivery samples")
        st, _, pr = api.json("GET", f"/api/v1/goals/{g['id']}/progress")
        eq(st, 200, "progress")
        eq((pr["forecasts"]["computed"], pr["forecasts"]["not_forecast"]), (0, 0),
           "goal progress right after the sweep computes nothing: " + str(pr["forecasts"]))
        compare(api, g["id"], url, "after the cold sweep")

        print("== a changed project is re-forecast")
        pid = pr["projects"][0]["id"]
        before = psql(url, f"SELECT stamp || '|' || p50 FROM project_milestone_forecasts WHERE project_id = '{pid}'")
        st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
        step = next(s for s in sched["steps"] if s["status"] == "open" and not s["milestone"] and s["critical"])
        listener = Listener(url)
        listener.poll()  # anything sent before the write
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{pid}/steps/{step['key']}",
                            {"duration": 2500, "reason": "vertraging"})
        eq(st, 200, "a critical step lengthened")
        # the listening backend reads the queue up to every committed transaction before it answers
        eq(listener.poll(), [], "no NOTIFY in the write's own transaction (the server wakes the sweeps after it)")
        wait_for("the server's debounced NOTIFY after the write", listener.poll)
        listener.close()
        stamp = psql(url, f"SELECT stamp FROM project_forecast_stamps WHERE project_id = '{pid}'")
        check(stamp != before.split("|")[0], "the write moved the project's stamp", (before, stamp))
        after = wait_for("the changed project's rows under its new stamp", lambda: psql(
            url, f"SELECT stamp || '|' || p50 FROM project_milestone_forecasts "
                 f"WHERE project_id = '{pid}' AND stamp = {stamp}"))
        if after:
            check(after.split("|")[1] > before.split("|")[1], "its P50 moved later", (before, after))
        st, _, pr = api.json("GET", f"/api/v1/goals/{g['id']}/progress")
        eq(pr["forecasts"]["computed"], 0, "progress after the re-forecast computes nothing")
        compare(api, g["id"], url, "after the change")
    finally:
        stop(proc)

    print("== a restart: the cache warmed again, nothing the dashboards read rewritten")
    v1 = version(url)
    rows = psql(url, "SELECT string_agg(project_id || step_key || p50 || p80 || stamp, ',' ORDER BY project_id) "
                     "FROM project_milestone_forecasts")
    proc, base = start_server(args.binary, env, operator=False)
    try:
        def idle_after_pass():
            c = sweep_check(base)
            m = re.match(r"idle; (\d+) passes, (\d+) projects forecast", (c or {}).get("detail", ""))
            return m and int(m.group(1)) >= 1 and int(m.group(2)) == n
        wait_for("the sweep's first pass after the restart", idle_after_pass)
        eq(version(url), v1, "the dashboard version stays (nothing changed)")
        eq(psql(url, "SELECT string_agg(project_id || step_key || p50 || p80 || stamp, ',' ORDER BY project_id) "
                     "FROM project_milestone_forecasts"), rows, "the same rows (seeded per project)")
        st, _, pr = Api(base).json("GET", f"/api/v1/goals/{g['id']}/progress")
        eq((st, pr["forecasts"]["computed"]), (200, 0), "progress after the restart computes nothing")
    finally:
        stop(proc)

    print("== switched off")
    proc, base = start_server(args.binary, dict(env, BOUWSTROOM_FORECAST_SWEEP="0"), operator=False)
    try:
        eq(sweep_check(base), None, "/readyz has no sweep check when it is off")
    finally:
        stop(proc)


def compare(api, goal_id, url, what):
    """The dashboard's homes_p50/homes_p80 per year against the quantile years computed here from the
    per-project delivery distributions of goals "delivered by 31 December Y"."""
    st, _, dash = api.json("GET", "/api/v1/dashboard?view=homes&group_by=year")
    eq(st, 200, f"{what}: the dashboard by year")
    years = [int(c["key"]) for c in dash["cells"] if c["key"] is not None]
    lo, hi = min(years) - 1, max(years) + 1
    reach = {}  # project -> [(year, P(delivered by 31 Dec year))]
    homes = {}
    for y in range(lo, hi + 1):
        st, _, _ = api.json("PATCH", f"/api/v1/goals/{goal_id}", {"year_to": y})
        st, _, pr = api.json("GET", f"/api/v1/goals/{goal_id}/progress")
        eq((st, pr["forecasts"]["computed"]), (200, 0), f"{what}: progress by {y} from the cache")
        for p in pr["projects"]:
            delivered = [d for d in p["delivery"] if d["value"] != 0]
            reach.setdefault(p["id"], []).append((y, sum(d["probability"] for d in delivered)))
            if delivered:
                homes[p["id"]] = delivered[0]["value"]
    want = {"p50": {}, "p80": {}}
    for pid, qs in reach.items():
        for name, level in (("p50", 0.5), ("p80", 0.8)):
            # the type-1 quantile of 2,000 samples: the ceil(level * 2000)-th smallest finish day
            k = math.ceil(level * 2000) / 2000
            hit = [y for y, q in qs if q >= k - 1e-9]
            check(bool(hit) and hit[0] > lo, f"{what}: project {pid} reaches its {name} inside the range", qs)
            if hit and pid in homes:
                want[name][str(hit[0])] = want[name].get(str(hit[0]), 0) + homes[pid]
    for name in ("p50", "p80"):
        got = {c["key"]: c["homes_" + name] for c in dash["cells"] if c["key"] is not None and c["homes_" + name]}
        eq(got, {y: v for y, v in want[name].items() if v}, f"{what}: homes per {name.upper()} year")
    print(f"   {what}: P50 {want['p50']}, P80 {want['p80']}")


if __name__ == "__main__":
    sys.exit(main())
