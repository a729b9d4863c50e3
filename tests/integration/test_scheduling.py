#!/usr/bin/python3
"""Integration test of scheduling against real PostgreSQL and real HTTP:
start, PATCH with reason, history and known_on, what-if (milestone shifts, cycles → 409),
scenarios (save, list, compare, apply), checks, complete (with history), the offline
`bouwstroom schedule` command, and that nothing accepted is lost (re-read after every 2xx).

Data: the sample municipality shipped in adapters/sample (plan 8 "Bedrijventerrein De
Vaart", planstatus 4B: every step open, data date 2020-07-01). The server's today is
bsit.TODAY (2026-11-29), so every change made here is known from that day.

Usage: test_scheduling.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (TODAY, Api, check, eq, expect_problem, finish, fresh_database, psql,  # noqa: E402
                  start_server)
import bsit  # noqa: E402


def step(doc, key):
    for s in doc["steps"]:
        if s["key"] == key:
            return s
    raise KeyError(key)


def shifts(doc):
    return {m["step"]: m["shift_working_days"] for m in doc["milestone_shifts"]}


def offline(args):
    print("== offline: bouwstroom schedule FILE.json (no database)")
    env = {k: v for k, v in os.environ.items() if k != "BOUWSTROOM_DATABASE_URL"}
    env["BOUWSTROOM_HOME"] = args.source
    with tempfile.TemporaryDirectory() as d:
        inp = {"process_schema": "ppm-woningbouw", "data_date": "2026-01-05",
               "steps": {"initiatief_ingediend": {"status": "done", "actual_finish": "2026-01-02"},
                         "principeverzoek_beoordeeld": {"status": "started", "actual_start": "2026-01-05",
                                                        "remaining": 70},
                         "laatste_oplevering": {"finish_no_later_than": "2030-01-01"}}}
        path = os.path.join(d, "in.json")
        with open(path, "w") as f:
            json.dump(inp, f)
        r = subprocess.run([args.binary, "schedule", path], env=env, capture_output=True, text=True)
        eq(r.returncode, 0, "offline exit code " + r.stderr)
        doc = json.loads(r.stdout) if r.returncode == 0 else {"steps": []}
        if r.returncode == 0:
            eq(step(doc, "principeverzoek_beoordeeld")["remaining"], 70, "offline remaining echoed")
            eq([k["step"] for k in doc["knelpunten"]], ["laatste_oplevering"], "offline knelpunt")
            check(step(doc, "laatste_oplevering")["total_float"] < 0, "offline negative float",
                  step(doc, "laatste_oplevering"))
            check(len(doc["critical_paths"]) >= 1, "offline critical path", doc["critical_paths"])
        # a cycle through changes: exit 3, the path on stderr
        inp["changes"] = [{"op": "add_link", "pred": "laatste_oplevering", "succ": "initiatief_ontvangen"}]
        with open(path, "w") as f:
            json.dump(inp, f)
        r = subprocess.run([args.binary, "schedule", path], env=env, capture_output=True, text=True)
        eq(r.returncode, 3, "offline cycle exit code")
        check("cycle: " in r.stderr and "laatste_oplevering -> initiatief_ontvangen" in r.stderr,
              "offline cycle path", r.stderr)
        # invalid input names the field
        inp = {"process_schema": "ppm-woningbouw", "data_date": "2026-13-01"}
        with open(path, "w") as f:
            json.dump(inp, f)
        r = subprocess.run([args.binary, "schedule", path], env=env, capture_output=True, text=True)
        eq(r.returncode, 1, "offline bad date exit code")
        check("data_date" in r.stderr, "offline bad date names the field", r.stderr)
        # the progress date (docs/scheduling.md §5): work done counts up to it, remaining work runs
        # from the data date. principeverzoek_beoordeeld started Mon 5 Jan 2026: PD = DD = 9 Jan and
        # PD = DD = 16 Jan give the same finish (work goes on as planned); PD 9 Jan with DD 16 Jan
        # finishes later (only 4 days are known done, the rest starts on 16 Jan). PD > DD: refused.
        base = {"process_schema": "ppm-woningbouw",
                "steps": {"initiatief_ingediend": {"status": "done", "actual_finish": "2026-01-02"},
                          "principeverzoek_beoordeeld": {"status": "started", "actual_start": "2026-01-05"}}}
        fin = {}
        for pd, dd in (("2026-01-09", "2026-01-09"), ("2026-01-09", "2026-01-16"), ("2026-01-16", "2026-01-16")):
            with open(path, "w") as f:
                json.dump(dict(base, progress_date=pd, data_date=dd), f)
            r = subprocess.run([args.binary, "schedule", path], env=env, capture_output=True, text=True)
            eq(r.returncode, 0, "offline with progress_date " + r.stderr)
            if r.returncode == 0:
                fin[(pd, dd)] = step(json.loads(r.stdout), "principeverzoek_beoordeeld")["early_finish"]
        check(len(fin) == 3 and fin[("2026-01-09", "2026-01-16")] > fin[("2026-01-16", "2026-01-16")]
              == fin[("2026-01-09", "2026-01-09")], "offline: work done counts up to the progress date only", fin)
        with open(path, "w") as f:
            json.dump(dict(base, progress_date="2026-01-17", data_date="2026-01-16"), f)
        r = subprocess.run([args.binary, "schedule", path], env=env, capture_output=True, text=True)
        eq(r.returncode, 1, "offline progress_date after data_date exit code")
        check("progress_date" in r.stderr, "offline progress_date after data_date names the field", r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    offline(args)
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


def scenario(api, pid, url):
    P = f"/api/v1/projects/{pid}"
    who = {}  # the author is the authenticated user (the test operator's token)

    print("== GET schedule: critical path, floats, the statutory term on the critical chain")
    st, ct, doc0 = api.json("GET", P + "/schedule")
    eq(st, 200, "schedule status")
    paths = doc0["critical_paths"]
    check(len(paths) >= 1 and paths[0][0] == "initiatief_ingediend", "critical path starts at the start", paths)
    chain = ["omgevingsplan_vastgesteld", "beroepstermijn_omgevingsplan", "omgevingsplan_onherroepelijk"]
    joined = " ".join(paths[0])
    check(" ".join(chain) in joined, "statutory term on the critical path between its milestones", paths[0])
    for k in chain:
        eq(step(doc0, k)["critical"], True, f"{k} critical")
    check(all("free_float" in s and "near_critical" in s for s in doc0["steps"]), "free float and near-critical flags")
    eq(doc0["near_critical_days"], 10, "default near-critical threshold")
    st, _, d = api.json("GET", P + "/schedule?near_critical_days=500")
    check(st == 200 and any(s["near_critical"] for s in d["steps"]), "near-critical threshold configurable")
    expect_problem(api, "GET", P + "/schedule?near_critical_days=-1", 400, "near_critical_days", "bad threshold")

    print("== what-if")
    st, _, w = api.json("POST", P + "/what-if", {"changes": []})
    eq(st, 200, "empty what-if status")
    sh = shifts(w)
    check(len(sh) >= 10 and all(v == 0 for v in sh.values() if v is not None), "empty what-if: zero shifts", sh)
    eq(w["schedule"]["project_finish"], doc0["project_finish"], "empty what-if: same schedule")
    fs = w.get("forecast_shifts") or {}
    check(fs.get("completion", {}).get("p50") and fs["completion"].get("p50_days") == 0
          and fs["completion"].get("p80_days") == 0, "empty what-if: forecast shifts zero (P50/P80)", fs)
    check(fs.get("milestones") and all(m["p50_days"] in (0, None) for m in fs["milestones"]),
          "empty what-if: every milestone's forecast shift zero", fs.get("milestones"))
    st, _, w = api.json("POST", P + "/what-if",
                        {"changes": [{"op": "set_duration", "step": "principeverzoek_beoordeeld", "duration": 75}]})
    eq(st, 200, "what-if set_duration")
    eq(shifts(w).get("laatste_oplevering"), 10, "critical step +10 wd shifts the last delivery 10 wd")
    eq(shifts(w).get("initiatief_ontvangen"), 0, "earlier milestone does not move")
    fs = w.get("forecast_shifts") or {}
    # set_duration pins the step in every sample (its spread is gone), so the sign is not given
    check(isinstance((fs.get("completion") or {}).get("p50_days"), int)
          and isinstance(fs["completion"].get("p80_days"), int),
          "what-if set_duration: forecast shifts of completion reported (P50, P80)", fs.get("completion"))
    st, _, w = api.json("POST", P + "/what-if",
                        {"changes": [{"op": "set_link", "pred": "principeverzoek_beoordeeld", "succ": "principeakkoord",
                                      "type": "FF", "lag": -5, "lag_unit": "working_days"}]})
    eq(st, 200, "what-if set_link FF with a lead")
    eq(shifts(w).get("principeakkoord"), -5, "FF -5: the milestone moves 5 wd earlier")
    _, _, again = api.json("GET", P + "/schedule")
    eq(again["project_finish"], doc0["project_finish"], "what-if saves nothing")
    p = expect_problem(api, "POST", P + "/what-if", 409, "changes", "cycle edit",
                       body={"changes": [{"op": "add_link", "pred": "start_bouw", "succ": "principeakkoord"}]})
    check(p and "principeakkoord" in p["detail"] and "start_bouw" in p["detail"] and "->" in p["detail"],
          "cycle problem names the path", p)
    expect_problem(api, "POST", P + "/what-if", 422, "changes[0].op", "unknown op",
                   body={"changes": [{"op": "teleport"}]})
    expect_problem(api, "POST", P + "/what-if", 422, "changes[1].lag_unit", "bad lag unit",
                   body={"changes": [{"op": "set_duration", "step": "woonrijp", "duration": 5},
                                     {"op": "add_link", "pred": "woonrijp", "succ": "nazorg", "lag_unit": "weeks"}]})
    expect_problem(api, "POST", P + "/what-if", 422, "changes", "changes missing", body={})
    expect_problem(api, "POST", P + "/what-if", 400, "body", "malformed body", raw=b"{nope")
    expect_problem(api, "GET", P + "/what-if", 405, None, "what-if GET not allowed")

    print("== start (out of sequence), PATCH with reason, complete")
    st, _, d = api.json("POST", P + "/steps/grond_verworven/start", {"date": "2020-09-01", "reason": "grond gekocht"},
                        headers=who)
    eq(st, 200, "start status")
    check("grond_verworven" in d["out_of_sequence"], "start before its predecessor is out of sequence",
          d["out_of_sequence"])
    eq(step(d, "grond_verworven")["status"], "started", "started")
    st, _, d = api.json("POST", P + "/steps/grond_verworven/start", {"date": "2020-09-01"})
    eq(st, 200, "start repeated with the same date is idempotent")
    expect_problem(api, "POST", P + "/steps/grond_verworven/start", 409, "date", "start with another date",
                   body={"date": "2020-09-02"})
    expect_problem(api, "POST", P + "/steps/woonrijp/start", 422, "date", "start in the future",
                   body={"date": "2027-01-01"})
    expect_problem(api, "POST", P + "/steps/nope/start", 404, "key", "start unknown step", body={"date": "2020-09-01"})
    expect_problem(api, "PATCH", P + "/steps/grond_verworven", 422, "finish_no_later_than",
                   "PATCH a deadline outside the calendar's range",
                   body={"reason": "x", "finish_no_later_than": "0001-01-01"})
    expect_problem(api, "POST", P + "/scenarios/00000000-0000-0000-0000-000000000000/apply", 422, "reason",
                   "apply with a non-text reason", body={"reason": 5})
    expect_problem(api, "PATCH", P + "/steps/grond_verworven", 422, "reason", "PATCH without reason",
                   body={"remaining_duration": 20})
    expect_problem(api, "PATCH", P + "/steps/grond_verworven", 422, "remaining_duration", "PATCH bad remaining",
                   body={"remaining_duration": "x", "reason": "r"})
    expect_problem(api, "PATCH", P + "/steps/grond_verworven", 422, "colour", "PATCH unknown field",
                   body={"colour": "red", "reason": "r"})
    expect_problem(api, "PATCH", P + "/steps/woonrijp", 409, "remaining_duration", "remaining on an open step",
                   body={"remaining_duration": 3, "reason": "r"})
    st, _, d = api.json("PATCH", P + "/steps/grond_verworven",
                        {"remaining_duration": 20, "planned_finish": "2021-06-30", "reason": "notaris vertraagd"},
                        headers=who)
    eq(st, 200, "PATCH status")
    eq(step(d, "grond_verworven")["remaining"], 20, "remaining stored")
    eq(step(d, "grond_verworven")["planned_finish"], "2021-06-30", "planned finish stored")
    st, _, d = api.json("PATCH", P + "/steps/laatste_oplevering",
                        {"finish_no_later_than": "2024-12-31", "reason": "afspraak met de wethouder"}, headers=who)
    eq(st, 200, "deadline PATCH")
    eq([k["step"] for k in d["knelpunten"]], ["laatste_oplevering"], "deadline missed: a knelpunt")
    check(step(d, "laatste_oplevering")["total_float"] < 0, "negative float", step(d, "laatste_oplevering"))
    check(d["knelpunten"][0]["overshoot_working_days"] == -step(d, "laatste_oplevering")["total_float"],
          "overshoot = -float", d["knelpunten"])
    _, _, d2 = api.json("GET", P + "/schedule")
    eq(step(d2, "laatste_oplevering")["finish_no_later_than"], "2024-12-31", "deadline kept after re-read")
    eq(step(d2, "grond_verworven")["remaining"], 20, "remaining kept after re-read")
    st, _, d = api.json("POST", P + "/steps/initiatief_ingediend/complete", {"date": "2020-07-15"}, headers=who)
    eq(st, 200, "complete status")
    eq(step(d, "initiatief_ingediend")["actual_finish"], "2020-07-15", "completed")
    # open work is planned from the data date (today), so reports about 2020 move no milestone:
    # a constraint on the last milestone does (and is taken back)
    st, _, d = api.json("PATCH", P + "/steps/laatste_oplevering",
                        {"start_no_earlier_than": "2040-01-02", "reason": "wacht op de gemeenteraad"}, headers=who)
    eq(st, 200, "constraint PATCH")
    st, _, d = api.json("PATCH", P + "/steps/laatste_oplevering",
                        {"start_no_earlier_than": None, "reason": "raad akkoord"}, headers=who)
    eq(st, 200, "constraint removed")

    print("== history and known_on")
    st, _, h = api.json("GET", P + "/history")
    eq(st, 200, "history status")
    fields = [(r["step"], r["field"]) for r in h["results"]]
    for f in [("grond_verworven", "status"), ("grond_verworven", "actual_start"),
              ("grond_verworven", "remaining_duration"), ("grond_verworven", "planned_finish"),
              ("laatste_oplevering", "finish_no_later_than"), ("initiatief_ingediend", "actual_finish")]:
        check(f in fields, f"history has {f}", fields)
    check(any(f == "forecast_finish" for _, f in fields), "forecast changes are history too", fields)
    r = next(r for r in h["results"] if r["field"] == "remaining_duration")
    eq((r["old_value"], r["new_value"], r["reason"], r["changed_by"], r["known_from"]),
       (None, "20", "notaris vertraagd", bsit.OPERATOR, TODAY), "history row: old, new, reason, who, known from")
    eq(h["count"], len(h["results"]), "history count")
    st, _, hs = api.json("GET", P + "/history?step=laatste_oplevering")
    check(st == 200 and all(r["step"] == "laatste_oplevering" for r in hs["results"]) and hs["count"] >= 1,
          "history filtered by step", hs)
    st, _, k = api.json("GET", P + "/schedule?known_on=2026-11-28")
    eq(st, 200, "known_on status")
    eq(step(k, "grond_verworven")["status"], "open", "known on the day before: not started")
    eq(step(k, "laatste_oplevering")["finish_no_later_than"], None, "known on the day before: no deadline")
    eq(k["project_finish"], doc0["project_finish"], "known on the day before: the imported schedule")
    eq(k["known_on"], "2026-11-28", "known_on echoed")
    st, _, k = api.json("GET", P + f"/schedule?known_on={TODAY}")
    eq(step(k, "grond_verworven")["status"], "started", "known today: started")
    expect_problem(api, "GET", P + "/schedule?known_on=2019-01-01", 422, "known_on", "before the data date")
    expect_problem(api, "GET", P + "/schedule?known_on=gisteren", 400, "known_on", "bad known_on")

    print("== scenarios")
    body = {"name": "parallel ontwerp",
            "changes": [{"op": "set_link", "pred": "architect_gekozen", "succ": "voorlopig_ontwerp", "type": "SS",
                         "lag": 10, "lag_unit": "working_days"},
                        {"op": "set_duration", "step": "onderzoeken_uitgevoerd", "duration": 150}]}
    st, _, s = api.json("POST", P + "/scenarios", body, headers=who)
    eq(st, 201, "scenario saved")
    sid = s.get("id")
    check(s.get("milestone_shifts") and any((v or 0) < 0 for v in shifts(s).values()),
          "scenario shows the milestones it moves earlier", s.get("milestone_shifts"))
    expect_problem(api, "POST", P + "/scenarios", 409, "name", "duplicate scenario name", body=body)
    expect_problem(api, "POST", P + "/scenarios", 409, "changes", "scenario with a cycle",
                   body={"name": "rond", "changes": [{"op": "add_link", "pred": "nazorg", "succ": "woonrijp"},
                                                     {"op": "add_link", "pred": "woonrijp", "succ": "laatste_oplevering"}]})
    expect_problem(api, "POST", P + "/scenarios", 422, "name", "scenario without a name", body={"changes": []})
    st, _, lst = api.json("GET", P + "/scenarios")
    eq((st, lst["count"], lst["results"][0]["name"]), (200, 1, "parallel ontwerp"), "scenario list")
    st, _, cmp_ = api.json("GET", P + f"/scenarios/{sid}/compare")
    eq(st, 200, "compare status")
    eq(shifts(cmp_), shifts(s), "compare gives the saved shifts")
    expect_problem(api, "GET", P + "/scenarios/00000000-0000-0000-0000-000000000000/compare", 404, "scenario_id",
                   "unknown scenario")
    st, _, ap_ = api.json("POST", P + f"/scenarios/{sid}/apply", {}, headers=who)
    eq(st, 200, "apply status")
    eq(ap_["project_finish"], cmp_["schedule"]["project_finish"], "applied schedule = compared schedule")
    _, _, now = api.json("GET", P + "/schedule")
    eq(now["project_finish"], cmp_["schedule"]["project_finish"], "applied scenario kept after re-read")
    link = [l for l in now["links"] if l["pred"] == "architect_gekozen" and l["succ"] == "voorlopig_ontwerp"]
    eq(link, [{"pred": "architect_gekozen", "succ": "voorlopig_ontwerp", "type": "SS", "lag": 10,
               "lag_unit": "working_days"}], "applied link")
    eq(step(now, "onderzoeken_uitgevoerd")["duration"], 150, "applied duration")
    _, _, h2 = api.json("GET", P + "/history")
    new = h2["results"][len(h["results"]):]
    lr = [r for r in new if r["field"] == "link"]
    check(len(lr) == 1 and json.loads(lr[0]["old_value"])["type"] == "FS" and json.loads(lr[0]["new_value"])["type"] == "SS"
          and lr[0]["reason"] == "scenario 'parallel ontwerp' applied", "link change in the history", lr)
    st, _, lst = api.json("GET", P + "/scenarios")
    check(lst["results"][0]["applied_at"] is not None, "scenario marked applied", lst)
    _, _, k = api.json("GET", P + "/schedule?known_on=2026-11-28")
    eq([l["type"] for l in k["links"] if l["pred"] == "architect_gekozen" and l["succ"] == "voorlopig_ontwerp"],
       ["FS"], "known_on before the apply: the schema's link")
    eq((k["project_finish"], step(k, "onderzoeken_uitgevoerd")["duration"]), (doc0["project_finish"], 200),
       "known_on before the apply: the imported schedule")
    eq(psql(url, f"SELECT count(*) FROM project_links WHERE project_id = '{pid}'"),
       str(len(now["links"])), "the project's link set is stored")

    print("== concurrent changes: every 2xx is stored with its history, the others get 409")
    import threading
    results = []

    def patch(day):
        st, ct, d = api.json("PATCH", P + "/steps/woonrijp", {"planned_start": f"2031-01-{day:02d}", "reason": f"r{day}"})
        results.append((st, ct))

    ths = [threading.Thread(target=patch, args=(d,)) for d in range(1, 9)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    ok = sum(1 for st, _ in results if st == 200)
    check(ok >= 1 and all(st in (200, 409) for st, _ in results), "concurrent PATCHes: 200 or 409", results)
    check(all(ct == "application/problem+json" for st, ct in results if st == 409), "409s are problems", results)
    _, _, h3 = api.json("GET", P + "/history?step=woonrijp")
    eq(sum(1 for r in h3["results"] if r["field"] == "planned_start"), ok, "one history row per accepted PATCH")
    _, _, now = api.json("GET", P + "/schedule")
    last = [r for r in h3["results"] if r["field"] == "planned_start"][-1]
    eq(step(now, "woonrijp")["planned_start"], last["new_value"], "the last accepted value is the stored one")

    print("== checks")
    st, _, c = api.json("GET", P + "/checks")
    eq(st, 200, "checks status")
    names = [x["name"] for x in c["checks"]]
    eq(names, ["missing_logic", "leads", "lags", "fs_share", "hard_constraints", "high_float", "negative_float",
               "high_duration", "out_of_sequence", "stale_progress"], "check names")
    byname = {x["name"]: x for x in c["checks"]}
    eq((byname["negative_float"]["pass"], byname["hard_constraints"]["count"]), (False, 1),
       "deadline: negative float fails, one hard constraint")
    check("grond_verworven" in byname["out_of_sequence"]["steps"], "out-of-sequence check names the step", byname)
    eq(byname["high_float"]["threshold_working_days"], 130, "project default high float threshold")
    st, _, c44 = api.json("GET", P + "/checks?high_float_days=44&lags_max_percent=0")
    b44 = {x["name"]: x for x in c44["checks"]}
    check(b44["high_float"]["count"] >= byname["high_float"]["count"] and b44["high_float"]["threshold_working_days"] == 44,
          "high float threshold configurable", b44["high_float"])
    eq(b44["lags"]["pass"], b44["lags"]["count"] == 0, "lags threshold configurable")
    expect_problem(api, "GET", P + "/checks?high_float_days=x", 400, "high_float_days", "bad threshold")
    expect_problem(api, "GET", "/api/v1/projects/00000000-0000-0000-0000-000000000000/checks", 404, "id",
                   "checks of an unknown project")


if __name__ == "__main__":
    sys.exit(main())
