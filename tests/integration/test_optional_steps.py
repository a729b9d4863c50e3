#!/usr/bin/python3
"""Integration test of applying and skipping an optional step against real PostgreSQL and real
HTTP: PATCH /api/v1/projects/{id}/steps/{key} with {"applies": true|false, "reason"}
(docs/api.md "Scheduling", docs/scheduling.md §5.7).

Data: the sample municipality shipped in adapters/sample (plan 8 "Bedrijventerrein De Vaart",
planstatus 4B), for which the optional step `uitwerkingsplan_wijzigingsplan` (carried only by
planstatus 1B/1C/2B/2C) is skipped. A skipped step could not be completed (409) and there was no
way to make it apply; now bringing it back and skipping it again are updates with a reason,
recorded in the history and the audit log, followed by a re-plan (stored planned completion,
forecast_finish history, the notifier's dirty mark). Every 2xx is re-read.

Usage: test_optional_steps.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (OPERATOR, Api, check, eq, expect_problem, finish, fresh_database, psql,  # noqa: E402
                  start_server)

OPT = "uitwerkingsplan_wijzigingsplan"


def step(doc, key):
    for s in doc["steps"]:
        if s["key"] == key:
            return s
    raise KeyError(key)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND source_key = '8'")
        check(len(pid) == 36, "project 8 exists", pid)
        proc, base = start_server(args.binary, env)
        try:
            scenario(Api(base), pid, url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def history(api, P, field="status"):
    st, _, h = api.json("GET", P + f"/history?step={OPT}")
    eq(st, 200, "history status")
    return [x for x in h["results"] if x["field"] == field]  # oldest first


def wait_for(pred, timeout=60.0, step=0.1):
    """Polls pred until it is truthy (the notifier works asynchronously); no speed is asserted."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def milestone_dates(url, pid):
    out = psql(url, "SELECT string_agg(step_key || '=' || coalesce(planned_finish::text, ''), ',') "
                    f"FROM milestone_dates WHERE project_id = '{pid}'")
    return dict(x.split("=", 1) for x in out.split(",") if x)


def audited_statuses(url, pid):
    out = psql(url, "SELECT string_agg(coalesce(old->>'status', '-') || '>' || (new->>'status') || ':' || actor_label, ','"
                    " ORDER BY id) FROM audit_log WHERE project_id = '" + pid + "' AND entity = 'project_steps'"
                    " AND new->>'step_key' = '" + OPT + "'")
    return [x for x in out.split(",") if x]


def scenario(api, pid, url):
    P = f"/api/v1/projects/{pid}"
    S = P + "/steps/" + OPT

    print("== the optional step is skipped for planstatus 4B and cannot be completed")
    st, _, d0 = api.json("GET", P + "/schedule")
    eq(st, 200, "schedule status")
    eq(step(d0, OPT)["status"], "skipped", "optional step skipped")
    p = expect_problem(api, "POST", S + "/complete", 409, "key", "complete a skipped step", body={"date": "2020-09-01"})
    check(p and "applies" in p.get("detail", ""), "the 409 says how to make it apply", p)
    expect_problem(api, "PATCH", S, 409, "key", "PATCH a skipped step without applies",
                   body={"reason": "r", "duration": 20})

    print("== refused: blank or missing reason, non-boolean applies, skipping a non-optional step")
    expect_problem(api, "PATCH", S, 422, "reason", "blank reason", body={"applies": True, "reason": "   "})
    expect_problem(api, "PATCH", S, 422, "reason", "tab/newline reason", body={"applies": True, "reason": "\t\n "})
    expect_problem(api, "PATCH", S, 422, "reason", "no reason", body={"applies": True})
    expect_problem(api, "PATCH", S, 422, "applies", "applies not a boolean", body={"applies": "yes", "reason": "r"})
    expect_problem(api, "PATCH", P + "/steps/woonrijp", 422, "applies", "skip a non-optional step",
                   body={"applies": False, "reason": "r"})
    _, _, d = api.json("GET", P + "/schedule")
    eq(step(d, OPT)["status"], "skipped", "nothing changed by the refused requests")
    eq(history(api, P), [], "no history from refused requests")
    # a follower: the project's alert plan is kept (milestone_dates) and re-planned on change
    uid = psql(url, f"SELECT id FROM users WHERE email = '{OPERATOR}'")
    st, _, _ = api.json("POST", P + "/follows", {"user_id": uid})
    eq(st, 201, "follow the project")
    want0 = {m["key"]: m["early_finish"] for m in d0["steps"] if m["milestone"] and m["status"] == "open"}
    check(wait_for(lambda: (lambda g: all(g.get(k) == v for k, v in want0.items()))(milestone_dates(url, pid))),
          "the follower's milestone dates are planned", milestone_dates(url, pid))

    print("== bring it back: an update with a reason, history, audit, re-plan")
    st, _, d = api.json("PATCH", S, {"applies": True, "reason": "gemeente kiest toch een wijzigingsplan"})
    eq(st, 200, "applies true status")
    eq(step(d, OPT)["status"], "open", "the step applies again")
    check(step(d, OPT).get("early_finish"), "the step is scheduled", step(d, OPT))
    _, _, d1 = api.json("GET", P + "/schedule")
    eq(step(d1, OPT)["status"], "open", "re-read: the step applies (nothing accepted is lost)")
    eq(d1["project_finish"], d["project_finish"], "re-read: same schedule")
    h = history(api, P)
    eq(len(h), 1, "one history row for the status")
    if h:
        eq((h[0]["old_value"], h[0]["new_value"]), ("skipped", "open"), "history old -> new")
        eq(h[0]["reason"], "gemeente kiest toch een wijzigingsplan", "history reason")
        eq(h[0]["changed_by"], OPERATOR, "history author")
    eq(audited_statuses(url, pid)[-1:], [f"skipped>open:{OPERATOR}"], "audit row of the change")
    completion1 = psql(url, f"SELECT planned_completion FROM projects WHERE id = '{pid}'")
    moved = [m for m in d["steps"] if m["milestone"] and m["early_finish"] != step(d0, m["key"])["early_finish"]]
    check(moved, "bringing the step back moves milestones", d["project_finish"])
    eq(completion1, step(d, "laatste_oplevering")["early_finish"], "stored planned completion = the new schedule's")
    fh = [x for x in api.json("GET", P + "/history")[2]["results"] if x["field"] == "forecast_finish"]
    eq(sorted(x["step"] for x in fh), sorted(m["key"] for m in moved), "forecast_finish history of every moved milestone")
    # the follower's alert plan (milestone_dates, kept by the notifier) follows the new schedule
    want = {m["key"]: m["early_finish"] for m in d["steps"] if m["milestone"] and m["status"] == "open"}
    got = wait_for(lambda: (lambda g: g if all(g.get(k) == v for k, v in want.items()) else None)(milestone_dates(url, pid)))
    check(got, "the notifier re-planned the follower's milestone dates", (moved[:2], got))

    print("== it can now be started and completed; skipping a step with progress is refused")
    st, _, d = api.json("POST", S + "/start", {"date": "2020-09-01", "reason": "ter inzage"})
    eq(st, 200, "start the step that applies again")
    expect_problem(api, "PATCH", S, 409, "applies", "skip a started step", body={"applies": False, "reason": "r"})
    st, _, d = api.json("POST", S + "/complete", {"date": "2020-10-01"})
    eq(st, 200, "complete the step that applies again")
    eq(step(d, OPT)["status"], "done", "completed")
    expect_problem(api, "PATCH", S, 409, "applies", "skip a realised step", body={"applies": False, "reason": "r"})
    st, _, d = api.json("PATCH", S, {"actual_start": None, "actual_finish": None, "reason": "toch niet gestart"})
    eq(st, 200, "remove the actual dates")
    eq(step(d, OPT)["status"], "open", "open again")

    print("== skip it again")
    expect_problem(api, "PATCH", S, 422, "applies", "skip with other fields",
                   body={"applies": False, "reason": "r", "duration": 10})
    st, _, d = api.json("PATCH", S, {"applies": False, "reason": "wijzigingsplan vervalt"})
    eq(st, 200, "applies false status")
    eq(step(d, OPT)["status"], "skipped", "skipped")
    _, _, d2 = api.json("GET", P + "/schedule")
    eq(step(d2, OPT)["status"], "skipped", "re-read: skipped")
    h = history(api, P)
    check(h and (h[-1]["old_value"], h[-1]["new_value"], h[-1]["reason"]) == ("open", "skipped", "wijzigingsplan vervalt"),
          "history of the skip (the newest row)", h[-1:])
    eq(audited_statuses(url, pid)[-1:], [f"open>skipped:{OPERATOR}"], "audit row of the skip")
    st, _, d3 = api.json("PATCH", S, {"applies": False, "reason": "nog steeds niet"})
    eq(st, 200, "skipping a skipped step changes nothing")
    eq(len(history(api, P)), len(h), "no history for a no-op")
    expect_problem(api, "POST", S + "/complete", 409, "key", "complete a skipped step again", body={"date": "2020-09-01"})

    print("== known_on before the change shows the step skipped")
    st, _, k = api.json("GET", P + "/schedule?known_on=2026-01-01")
    eq(st, 200, "known_on status")
    eq(step(k, OPT)["status"], "skipped", "known_on: as imported")


if __name__ == "__main__":
    sys.exit(main())
