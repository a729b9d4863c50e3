"""Planning from today (docs/scheduling.md §6) against the real binary, a real PostgreSQL and
real HTTP: the stored progress_date and the computed data_date in the schedule and the
forecast, a progress report moving progress_date (with history, reverted for known_on), and
the daily re-plan after local midnight, claimed once by two server processes on one database
and idempotent.

The wall clock of both servers is pinned (`serve --clock`) to just before local midnight;
the test waits for what the servers record in the database (generous deadlines), never for
an elapsed time. Uses the shipped sample municipality (facts dated 1-7-2020).
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, fresh_database, psql  # noqa: E402

# Tue 1 December 2026 23:59:40 in Amsterdam (CET, UTC+1): the re-plan of Wed 2 December is
# 20 seconds of the servers' clock away
CLOCK = "2026-12-01T22:59:40Z"
BEFORE, AFTER = "2026-12-01", "2026-12-02"


def serve(binary, env, clock):
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--clock", clock], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + line)
    return proc, Api(line.split()[-1].strip())


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    return pred()


def step(doc, key):
    return next(s for s in doc["steps"] if s["key"] == key)


def open_milestones(doc):
    return {s["key"]: s["early_finish"] for s in doc["steps"] if s["milestone"] and s["status"] in ("open", "started")}


def stored(url, pid):
    rows = psql(url, "SELECT step_key, planned_finish, revision FROM milestone_dates m "
                     f"WHERE project_id = '{pid}' AND status IN ('open','started') ORDER BY step_key")
    return [tuple(r.split("|")) for r in rows.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=300)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND name = 'Stationskwartier'")
        eq(psql(url, f"SELECT progress_date FROM projects WHERE id = '{pid}'"), "2020-07-01",
           "the import stores the file's date as progress_date")
        bsit.provision(args.binary, env)
        a, api = serve(args.binary, env, CLOCK)
        b, _ = serve(args.binary, env, CLOCK)
        try:
            scenario(args, env, url, pid, api, a, b)
        finally:
            for p in (a, b):
                p.terminate()
                p.wait(timeout=15)
    return bsit.finish()


def scenario(args, env, url, pid, api, a, b):
    P = f"/api/v1/projects/{pid}"
    org = psql(url, "SELECT id FROM organisations WHERE import_key = 'gemeente:Voorbeeldstad'")
    st, _, u = api.json("POST", "/api/v1/users", {"organisation_id": org, "email": "volger@voorbeeldstad.example"})
    eq(st, 201, "follower created")
    st, _, _ = api.json("POST", P + "/follows", {"user_id": u["id"]})
    eq(st, 201, "follow")

    print("== the schedule: facts known up to progress_date, open work from data_date (today)")
    st, _, d = api.json("GET", P + "/schedule")
    eq(st, 200, "schedule status")
    eq(d["progress_date"], "2020-07-01", "progress_date shown")
    check(d["data_date"] in (BEFORE, AFTER), "data_date is today, not the file's date", d["data_date"])
    late = [s["key"] for s in d["steps"] if s["status"] in ("open", "started") and s["early_start"] < d["data_date"]]
    eq(late, [], "no open work planned before the data date")
    check(all(v >= d["data_date"] for v in open_milestones(d).values()), "open milestones lie from today on",
          open_milestones(d))
    st, _, f = api.json("GET", P + "/forecast?samples=100")
    eq(st, 200, "forecast status")
    eq((f["progress_date"], f["data_date"]), ("2020-07-01", d["data_date"]), "the forecast uses the same dates")
    check(all(m["p50"] is None or m["p50"] >= d["data_date"] for m in f["milestones"] if m["status"] == "open"),
          "open milestones' P50 not in the past", f["milestones"])

    # the follower's summary of what is already late (docs/alerts.md), planned on BEFORE
    late = "kind IN ('milestone_overdue', 'blocked_by_other_stream')"
    mine = f"FROM alerts WHERE project_id = '{pid}' AND user_id = '{u['id']}'"
    eq(wait_for(lambda: psql(url, f"SELECT count(*) {mine} AND kind = 'follow_summary'") == "1", 240), True,
       "one follow_summary for the new follower")
    n_late0 = int(psql(url, f"SELECT count(*) {mine} AND {late}"))
    eq(psql(url, f"SELECT count(*) {mine} AND {late} AND status <> 'superseded'"), "0",
       "nothing already late alerts singly")

    print("== the daily re-plan after local midnight, claimed once by two servers")
    run = wait_for(lambda: psql(url, f"SELECT node FROM replan_runs WHERE day = '{AFTER}'"), 240)
    check(run.endswith(f":{a.pid}") or run.endswith(f":{b.pid}"), "one of the two servers claimed the day", run)
    eq(psql(url, f"SELECT count(*) FROM replan_runs WHERE day = '{AFTER}'"), "1", "the day is claimed once")
    eq(psql(url, f"SELECT projects FROM replan_runs WHERE day = '{AFTER}'"), "1", "the followed project was queued")
    st, _, d2 = api.json("GET", P + "/schedule")
    eq(d2["data_date"], AFTER, "after midnight the data date is the new day")
    want = sorted(open_milestones(d2).items())
    got = wait_for(lambda: [(k, f) for k, f, _ in stored(url, pid) if k in dict(want)] == want, 240)
    check(bool(got), "stored milestone dates re-planned from the new data date", (stored(url, pid), want))
    st, _, y = api.json("GET", P + f"/schedule?known_on={BEFORE}")
    eq(st, 200, "known_on status")
    eq(y["data_date"], BEFORE, "known_on: the plan as it was, from that day")
    check(sorted(open_milestones(y).items()) != want, "yesterday's plan differs from today's (the dates moved)",
          open_milestones(y))
    eq(psql(url, f"SELECT count(*) FROM notifier_dirty WHERE project_id = '{pid}'"), "0", "nothing left queued")
    # the moved data date raised the milestones' date revisions, but the late items' news is
    # their promised date (their key, docs/alerts.md "Late news once"): nothing new is planned
    # for them, and those the summary listed stay quiet
    check(any(int(r) > 0 for _, _, r in stored(url, pid)), "the re-plan raised date revisions", stored(url, pid))
    eq(int(psql(url, f"SELECT count(*) {mine} AND {late}")), n_late0,
       "the re-plan planned no late item again (same promised dates, same keys)")
    summarised = f"EXISTS (SELECT 1 {mine} AND kind = 'follow_summary' AND payload->'items' @> " \
                 "jsonb_build_array(jsonb_build_object('kind', o.kind, 'step_key', o.step_key, " \
                 "'date', o.payload->>'date')))"
    n_items = int(psql(url, f"SELECT jsonb_array_length(payload->'items') {mine} AND kind = 'follow_summary'"))
    cov = psql(url, f"SELECT count(*) FILTER (WHERE {summarised}) || '|' || "
                    f"count(*) FILTER (WHERE status <> 'superseded' AND {summarised}) FROM alerts o "
                    f"WHERE project_id = '{pid}' AND user_id = '{u['id']}' AND {late.replace('kind', 'o.kind')}")
    check(int(cov.split("|")[0]) == n_items > 0, "each summarised item has its single alert, recorded", (cov, n_items))
    eq(cov.split("|")[1], "0", "after the daily re-plan: no single alert of an item the summary listed (same date)")

    print("== running the day's re-plan again changes nothing")
    before = stored(url, pid)
    n_alerts = psql(url, f"SELECT count(*) FROM alerts WHERE project_id = '{pid}'")
    psql(url, f"DELETE FROM replan_runs WHERE day = '{AFTER}'")
    c, _ = serve(args.binary, env, "2026-12-01T23:00:30Z")  # 00:00:30 local: claims the day at start
    try:
        run2 = wait_for(lambda: psql(url, f"SELECT node FROM replan_runs WHERE day = '{AFTER}'"), 240)
        check(bool(run2), "the day was claimed again", run2)
        done = wait_for(lambda: psql(url, f"SELECT count(*) FROM notifier_dirty WHERE project_id = '{pid}'") == "0"
                        and stored(url, pid) == before, 240)
        check(bool(done), "second run: the same stored dates and revisions", (stored(url, pid), before))
        eq(psql(url, f"SELECT count(*) FROM alerts WHERE project_id = '{pid}'"), n_alerts, "second run: no new alerts")
    finally:
        c.terminate()
        c.wait(timeout=15)

    print("== the stale_progress check: no progress report for more than N months (per organisation)")
    st, _, ch = api.json("GET", P + "/checks")
    stale = next(x for x in ch["checks"] if x["name"] == "stale_progress")
    eq((stale["pass"], stale["max_months"], stale["progress_date"], stale["stale_before"]),
       (False, 6, "2020-07-01", "2026-06-02"), "a plan last reported in 2020 is stale (default 6 months)")
    eq(ch["pass"], False, "a stale project does not pass the checks")
    st, _, _ = api.json("PATCH", f"/api/v1/organisations/{org}", {"stale_after_months": 0})
    eq(st, 422, "stale_after_months 0 refused")
    st, _, o = api.json("PATCH", f"/api/v1/organisations/{org}", {"stale_after_months": 120})
    eq((st, o and o.get("stale_after_months")), (200, 120), "stale_after_months stored on the organisation")
    st, _, ch = api.json("GET", P + "/checks")
    stale = next(x for x in ch["checks"] if x["name"] == "stale_progress")
    eq((stale["pass"], stale["stale_before"]), (True, "2016-12-02"), "120 months: not stale")
    api.json("PATCH", f"/api/v1/organisations/{org}", {"stale_after_months": 6})

    print("== a progress report moves progress_date to today (history; known_on reverts it)")
    st, _, d3 = api.json("POST", P + "/steps/grond_verworven/start", {"date": "2021-03-01", "reason": "grond gekocht"})
    eq(st, 200, "start status")
    eq(d3["progress_date"], AFTER, "progress_date is the day of the report")
    eq(psql(url, f"SELECT progress_date FROM projects WHERE id = '{pid}'"), AFTER, "stored")
    st, _, h = api.json("GET", P + "/history")
    rows = [r for r in h["results"] if r["field"] == "progress_date"]
    eq([(r["old_value"], r["new_value"]) for r in rows], [("2020-07-01", AFTER)], "history row of progress_date")
    st, _, y = api.json("GET", P + f"/schedule?known_on={BEFORE}")
    eq((y["progress_date"], y["data_date"]), ("2020-07-01", BEFORE), "known_on: progress date as it was")
    st, _, d4 = api.json("PATCH", P + "/steps/grond_verworven", {"planned_finish": "2021-06-30", "reason": "r"})
    eq(st, 200, "PATCH status")
    eq(psql(url, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}' AND field = 'progress_date'"), "1",
       "a second report the same day does not move it again")
    st, _, ch = api.json("GET", P + "/checks")
    stale = next(x for x in ch["checks"] if x["name"] == "stale_progress")
    eq((stale["pass"], stale["progress_date"]), (True, AFTER), "after a progress report the project is not stale")

    print("== GET /alerts hides superseded alerts unless ?include=superseded")
    psql(url, "INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, status, payload, message_id) "
              f"VALUES ('{pid}', 'start_bouw', 'milestone_upcoming', 9999, '{u['id']}', now(), 'superseded', "
              "'{}'::jsonb, 'alert.superseded@bouwstroom.test')")
    st, _, al = api.json("GET", f"/api/v1/alerts?user_id={u['id']}")
    eq(st, 200, "alerts status")
    eq([x for x in al["results"] if x["status"] == "superseded"], [], "superseded hidden by default")
    st, _, al = api.json("GET", f"/api/v1/alerts?user_id={u['id']}&include=superseded&page_size=500")
    n_sup = psql(url, f"SELECT count(*) FROM alerts WHERE user_id = '{u['id']}' AND status = 'superseded'")
    eq(str(sum(1 for x in al["results"] if x["status"] == "superseded")), n_sup, "include=superseded lists them")
    check("alert.superseded@bouwstroom.test" in [x["message_id"] for x in al["results"]], "including the one made here")
    st, _, al = api.json("GET", f"/api/v1/alerts?user_id={u['id']}&status=superseded&page_size=500")
    eq(str(al["count"]), n_sup, "status=superseded asks for them too")
    bsit.expect_problem(api, "GET", "/api/v1/alerts?include=everything", 400, "include", "unknown include value")


if __name__ == "__main__":
    sys.exit(main())
