#!/usr/bin/python3
"""Integration tests: the real binary against a real PostgreSQL, over real HTTP.

Creates a database of its own next to BOUWSTROOM_DATABASE_URL's (dropped afterwards),
imports the full real plan file, re-imports it, then drives `bouwstroom serve` on an
ephemeral port with urllib. Shared data is found through BOUWSTROOM_SHARED (default
../shared); when it is missing the test skips loudly (exit 77), except with CI=true,
where it fails.

Run by ctest; by hand: tests/integration/run.py --binary build/bouwstroom --source .
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

from bsit import *  # noqa: F401,F403  (check, eq, psql, Api, …)
import bsit

def run(args):
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(args.source, "..", "shared"))
    plans = os.path.join(shared, "data", "plannen", "eib-2020-rd.geojson")
    if not os.path.isfile(plans):
        msg = f"SKIPPED: shared plan data not found at {plans} (set BOUWSTROOM_SHARED)"
        if os.environ.get("CI") == "true":
            print("FAIL: " + msg + " -- with CI=true a missing file is a failure", flush=True)
            return 1
        print("*" * 70 + "\n" + msg + "\n" + "*" * 70, flush=True)
        return SKIP
    base_url = os.environ.get("BOUWSTROOM_DATABASE_URL")
    if not base_url:
        print("FAIL: BOUWSTROOM_DATABASE_URL is not set (run through `make test`)")
        return 1
    dbname = "bouwstroom_it_" + uuid.uuid4().hex[:10]
    psql(base_url, f"CREATE DATABASE {dbname}")
    url = with_dbname(base_url, dbname)
    env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
    try:
        return scenario(args, env, url, plans)
    finally:
        subprocess.run(["psql", base_url, "-XAtq", "-c", f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"],
                       capture_output=True)


def bs(args, env, *cmd):
    return subprocess.run([args.binary, *cmd], env=env, capture_output=True, text=True, timeout=300)


def scenario(args, env, url, plans):
    print("== migrations")
    r = bs(args, env, "migrate")
    eq(r.returncode, 0, "migrate exit code")
    check("migration(s) applied" in r.stderr, "first migrate applies", r.stderr)
    r = bs(args, env, "migrate")
    eq(r.returncode, 0, "second migrate exit code")
    check("applied" not in r.stderr, "second migrate applies nothing", r.stderr)
    n_files = len([f for f in os.listdir(os.path.join(args.source, "engine", "runtime", "migrations"))
                   if f.endswith(".sql")])
    eq(psql(url, "SELECT count(*) FROM schema_migrations"), str(n_files), "each migration recorded once")

    print("== import of the full real file")
    t0 = time.monotonic()
    r = bs(args, env, "import", plans)
    print(f"   import took {time.monotonic() - t0:.2f} s")
    eq(r.returncode, 0, "import exit code " + r.stderr[-500:])
    check("4348 read, 4348 imported (4348 new, 0 updated, 0 unchanged), 0 rejected" in r.stdout,
          "import summary line", r.stdout[-800:])
    check("plans stored" in r.stdout, "import shows progress", r.stdout[:300])
    check("warnings by kind:" in r.stdout and "     21  plantype empty" in r.stdout
          and "   1670  datum is a year only" in r.stdout and "      1  provincie spelling normalised" in r.stdout,
          "import prints warnings by kind with their counts", r.stdout)
    check("datum is a year only" in r.stdout and "plantype empty" in r.stdout,
          "warnings for year-only datum and empty plantype", r.stdout)
    eq(psql(url, "SELECT count(*) FROM projects"), "4348", "all 4,348 plans present")
    eq(psql(url, "SELECT count(DISTINCT source_key) FROM projects"), "4348", "one project per OBJECTID")
    got = dict(line.split("|") for line in
               psql(url, "SELECT planstatus, count(*) FROM projects GROUP BY 1 ORDER BY 1").splitlines())
    eq({k: int(v) for k, v in got.items()}, EXPECTED_PLANSTATUS, "planstatus counts per normalised code")
    eq(psql(url, "SELECT count(*) FROM projects WHERE planstatus_raw IS NULL"), "0", "planstatus spelling kept")
    eq(psql(url, "SELECT count(*) FROM projects WHERE plantype_raw IS NULL"), "21", "21 plans without plan type")
    eq(psql(url, "SELECT count(*) FROM projects WHERE progress_date_estimated"), "1670", "year-only datum flagged")
    eq(psql(url, "SELECT progress_date FROM projects WHERE source_key = '1'"), "2020-04-02", "d-m-yyyy datum parsed")
    eq(psql(url, "SELECT count(*) FROM projects WHERE demolition > 0"), "0", "Sloop kept negative")
    eq(psql(url, "SELECT count(*) FROM projects WHERE demolition < 0"), "306", "306 plans with Sloop")
    eq(psql(url, "SELECT count(*) FROM projects WHERE provincie = 'Fryslân'"), "1", "Fryslan normalised")
    eq(psql(url, "SELECT count(*) FROM projects WHERE geometry IS NULL OR geometry_crs <> 'EPSG:28992'"), "0",
       "geometry in RD kept")
    eq(psql(url, "SELECT count(*) FROM projects WHERE planned_completion IS NULL"), "0", "every plan scheduled")
    # realised state by planstatus
    eq(psql(url, "SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.planstatus IN ('4A','4B','onbekend') AND s.status = 'done'"), "0",
       "4A/4B/onbekend: nothing realised")
    eq(psql(url, "SELECT count(DISTINCT p.id) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.planstatus = '3' AND s.step_key = 'principeakkoord' AND s.status = 'done' "
                 "AND s.actual_finish IS NULL AND s.actual_estimated"), "791", "3: principeakkoord realised (estimated)")
    eq(psql(url, "SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.planstatus = '3' AND s.step_key = 'omgevingsplan_vastgesteld' AND s.status = 'done'"), "0",
       "3: vastgesteld not realised")
    eq(psql(url, "SELECT count(DISTINCT p.id) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.planstatus IN ('2A','2B','2C') AND s.step_key = 'omgevingsplan_vastgesteld' "
                 "AND s.status = 'done'"), "173", "2x: vastgesteld realised")
    eq(psql(url, "SELECT count(DISTINCT p.id) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.planstatus IN ('1A','1B','1C') AND s.step_key = 'omgevingsplan_onherroepelijk' "
                 "AND s.status = 'done'"), "2389", "1x: onherroepelijk realised")
    eq(psql(url, "SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE s.step_key = 'uitwerkingsplan_wijzigingsplan' AND s.status <> 'skipped'"), "117",
       "optional uitwerkingsplan/wijzigingsplan carried by exactly the 1B/1C/2B/2C plans")
    eq(psql(url, "SELECT count(*) FROM project_steps WHERE status = 'done' AND actual_finish IS NOT NULL"), "0",
       "imported realised steps have no actual date")

    print("== idempotent re-import")
    before = psql(url, "SELECT count(*), max(updated_at), (SELECT count(*) FROM project_steps) FROM projects")
    r = bs(args, env, "import", plans)
    eq(r.returncode, 0, "re-import exit code")
    check("4348 read, 4348 imported (0 new, 0 updated, 4348 unchanged), 0 rejected" in r.stdout,
          "re-import changes nothing", r.stdout[-600:])
    eq(psql(url, "SELECT count(*), max(updated_at), (SELECT count(*) FROM project_steps) FROM projects"), before,
       "re-import: counts and timestamps unchanged")

    print("== import of a bad file")
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bs-bad-{os.getpid()}.geojson")
    with open(bad, "w") as f:
        f.write('{"type": "FeatureCollection", "features": [ {"type": "Feature", ')
    r = bs(args, env, "import", bad)
    os.unlink(bad)
    check(r.returncode != 0, "malformed file: nonzero exit", r.returncode)
    check(":1:" in r.stderr and "cannot read the plan file" in r.stderr, "malformed file: line:column in message",
          r.stderr)
    eq(psql(url, "SELECT count(*) FROM projects"), "4348", "malformed file: nothing changed")

    print("== summary")
    r = bs(args, env, "summary")
    eq(r.returncode, 0, "summary exit code")
    for prov in ("Noord-Holland", "Zuid-Holland", "Overijssel", "Fryslân"):
        check(prov in r.stdout, f"summary lists {prov}", r.stdout)
    check("total" in r.stdout and " 4348 " in r.stdout, "summary total", r.stdout)
    nh = [l for l in r.stdout.splitlines() if l.startswith("Noord-Holland")]
    check(nh and nh[0].split()[1] == "2141", "summary: Noord-Holland has 2141 projects", nh)

    print("== HTTP API")
    proc, base = start_server(args.binary, env)
    try:
        api_checks(Api(base), url)
        print("== durability: kill -9 and restart")
        pid = psql(url, "SELECT id FROM projects WHERE source_key = '2'")
        st, _, doc = Api(base).json("POST", f"/api/v1/projects/{pid}/steps/initiatief_ingediend/complete",
                                    {"date": "2020-05-04"})
        eq(st, 200, "complete before crash")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc, base = start_server(args.binary, env)
        st, _, doc = Api(base).json("GET", f"/api/v1/projects/{pid}/schedule")
        step = next(s for s in doc["steps"] if s["key"] == "initiatief_ingediend")
        eq((step["status"], step["actual_finish"]), ("done", "2020-05-04"), "accepted completion survives kill -9")
        print("== clean shutdown on SIGTERM")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "timeout"
        eq(rc, 0, "SIGTERM: exit code 0")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return 0


def api_checks(api, url):
    st, ct, doc = api.json("GET", "/healthz")
    eq((st, doc and doc.get("status")), (200, "ok"), "healthz")

    st, ct, doc = api.json("GET", "/api/v1/projects?page_size=10")
    eq(st, 200, "list status")
    eq(ct, "application/json", "list content type")
    eq(doc["count"], 4348, "list count")
    eq(len(doc["results"]), 10, "list page size")
    check(doc["previous"] is None and doc["next"] and "page=2" in doc["next"], "list next/previous", doc["next"])
    for k in ("id", "name", "gemeente", "provincie", "planstatus"):
        check(k in doc["results"][0], f"list result has {k}", doc["results"][0])
    st, _, doc2 = api.json("GET", urllib.parse.urlsplit(doc["next"]).path + "?" + urllib.parse.urlsplit(doc["next"]).query)
    eq(st, 200, "follow next")
    check(doc2["previous"] is not None, "page 2 has previous", doc2)
    check(not {r["id"] for r in doc["results"]} & {r["id"] for r in doc2["results"]}, "pages disjoint")

    st, _, doc = api.json("GET", "/api/v1/projects?planstatus=2B&page_size=100")
    eq((st, doc["count"], len(doc["results"])), (200, 5, 5), "filter planstatus=2B")
    check(all(r["planstatus"] == "2B" for r in doc["results"]), "planstatus filter on code")
    st, _, doc = api.json("GET", "/api/v1/projects?provincie=Zeeland&page_size=1")
    eq(doc["count"], 64, "filter provincie=Zeeland")
    st, _, doc = api.json("GET", "/api/v1/projects?gemeente=Aalsmeer&planstatus=1A")
    want = int(psql(url, "SELECT count(*) FROM projects WHERE gemeente='Aalsmeer' AND planstatus='1A'"))
    eq(doc["count"], want, "filter gemeente + planstatus")
    st, _, doc = api.json("GET", "/api/v1/projects?gemeente=Aalsmeer&planstatus=1A&page_size=1")
    check(doc["next"] and "gemeente=Aalsmeer" in doc["next"] and "planstatus=1A" in doc["next"]
          and "page_size=1" in doc["next"], "next keeps filters and page size", doc["next"])
    st, _, doc = api.json("GET", "/api/v1/projects?provincie=Frysl%C3%A2n")
    eq(doc["count"], 1, "percent-encoded UTF-8 filter")

    expect_problem(api, "GET", "/api/v1/projects?planstatus=5X", 400, "planstatus", "bad planstatus filter")
    expect_problem(api, "GET", "/api/v1/projects?page=0", 400, "page", "page=0")
    expect_problem(api, "GET", "/api/v1/projects?page_size=abc", 400, "page_size", "page_size=abc")
    expect_problem(api, "GET", "/api/v1/projects?gemeente=%ZZ", 400, "gemeente", "bad percent-encoding")
    expect_problem(api, "GET", "/api/v1/projects?gemeente=%FF%FE", 400, "gemeente", "not UTF-8 (%FF)")
    expect_problem(api, "GET", "/api/v1/projects?provincie=%C0%80", 400, "provincie", "overlong UTF-8")
    expect_problem(api, "GET", "/api/v1/projects?page=+2", 400, "page", "page with a sign")

    pid = psql(url, "SELECT id FROM projects WHERE source_key = '1'")
    st, _, doc = api.json("GET", f"/api/v1/projects/{pid}")
    eq((st, doc["name"], doc["gemeente"], doc["planstatus"]), (200, "Dorpshaven-Zuid", "Aalsmeer", "1A"), "project detail")
    eq(doc["planstatus_raw"], "1A Onherroepelijk", "project keeps raw spelling")
    expect_problem(api, "GET", f"/api/v1/projects/{uuid.uuid4()}", 404, "id", "unknown project")
    expect_problem(api, "GET", "/api/v1/projects/not-a-uuid", 404, "id", "malformed project id")
    expect_problem(api, "GET", "/api/v1/nothing-here", 404, None, "unknown path")
    expect_problem(api, "DELETE", f"/api/v1/projects/{pid}", 405, None, "wrong method")

    st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq(st, 200, "schedule status")
    eq((sched["progress_date"], sched["data_date"]), ("2020-04-02", bsit.TODAY),
       "schedule: facts known up to the file's date, planned from today")
    fields = ("key", "name", "stream", "status", "early_start", "early_finish", "late_start", "late_finish",
              "total_float", "critical", "actual_start", "actual_finish", "actual_estimated")
    for f in fields:
        check(all(f in s for s in sched["steps"]), f"schedule step field {f}")
    by = {s["key"]: s for s in sched["steps"]}
    eq((by["omgevingsplan_onherroepelijk"]["status"], by["omgevingsplan_onherroepelijk"]["actual_estimated"]),
       ("done", True), "1A plan: onherroepelijk realised (estimated)")
    # the import caches the completion planned from its own day (the later of the file's date
    # and the day of the import): the schedule as known on that day
    import_day = psql(url, "SELECT (now() AT TIME ZONE 'Europe/Amsterdam')::date")
    _, _, then = api.json("GET", f"/api/v1/projects/{pid}/schedule?known_on={import_day}")
    eq(psql(url, f"SELECT planned_completion FROM projects WHERE id = '{pid}'"),
       {s["key"]: s for s in then["steps"]}["laatste_oplevering"]["early_finish"],
       "cached planned completion = early finish of laatste_oplevering planned on the import's day")
    open_steps = [s for s in sched["steps"] if s["status"] == "open"]
    check(open_steps and all(s["early_start"] >= "2020-04-02" for s in open_steps), "open work starts on/after data date")
    check(any(s["critical"] for s in open_steps), "some open step is critical")
    check(all((s["total_float"] == 0) == s["critical"] for s in open_steps), "critical iff zero float")

    # complete: bad input changes nothing
    path = f"/api/v1/projects/{pid}/steps/vergunningaanvraag_ingediend/complete"
    expect_problem(api, "POST", path, 400, "body", "malformed JSON", raw=b'{"date": ')
    expect_problem(api, "POST", path, 400, "body", "JSON not an object", raw=b'[1]')
    expect_problem(api, "POST", path, 422, "date", "missing date", body={})
    expect_problem(api, "POST", path, 422, "date", "bad date", body={"date": "2021-02-30"})
    expect_problem(api, "POST", path, 422, "date", "date as number", body={"date": 20210201})
    expect_problem(api, "POST", path, 422, "date", "date after today", body={"date": "2026-11-30"})
    expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/no_such_step/complete", 404, "key", "unknown step",
                   body={"date": "2021-01-04"})
    expect_problem(api, "POST", f"/api/v1/projects/{uuid.uuid4()}/steps/start_bouw/complete", 404, "id",
                   "complete on unknown project", body={"date": "2021-01-04"})
    expect_problem(api, "POST", path, 415, "Content-Type", "wrong content type", raw=b"date=2021-01-04",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_problem(api, "GET", path, 405, None, "GET on complete")
    expect_problem(api, "POST", path, 415, "Content-Type", "body without Content-Type", raw=b'{"date": "2021-01-04"}',
                   headers={"Content-Type": ""})
    expect_problem(api, "POST", path, 415, "Content-Type", "application/jsonx", raw=b'{"date": "2021-01-04"}',
                   headers={"Content-Type": "application/jsonx"})
    expect_problem(api, "POST", path, 413, "body", "body over 1 MiB",
                   raw=b'{"date": "2021-01-04", "reason": "' + b"x" * (1024 * 1024 + 10) + b'"}')
    expect_problem(api, "GET", f"/api/v1/projects/{pid}%00garbage", 404, None, "NUL in the path")
    st, _, after = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq(after, sched, "bad input left the schedule unchanged")

    # complete: out of sequence, idempotent, conflict
    st, _, doc = api.json("POST", f"/api/v1/projects/{pid}/steps/start_bouw/complete", {"date": "2021-03-01"})
    eq(st, 200, "complete out of sequence accepted")
    sb = next(s for s in doc["steps"] if s["key"] == "start_bouw")
    eq((sb["status"], sb["actual_finish"], sb["out_of_sequence"]), ("done", "2021-03-01", True),
       "start_bouw recorded and flagged out_of_sequence")
    check("start_bouw" in doc["out_of_sequence"], "response lists out-of-sequence steps", doc["out_of_sequence"])
    eq(psql(url, f"SELECT status || ' ' || actual_finish FROM project_steps WHERE project_id = '{pid}' "
                 "AND step_key = 'start_bouw'"), "done 2021-03-01", "completion stored durably")
    st, _, doc2 = api.json("POST", f"/api/v1/projects/{pid}/steps/start_bouw/complete", {"date": "2021-03-01"})
    eq(st, 200, "same date again: 200 (idempotent)")
    eq(doc2, doc, "idempotent repeat returns the same schedule")
    expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/start_bouw/complete", 409, "date",
                   "different date for completed step", body={"date": "2021-03-02"})
    eq(psql(url, f"SELECT actual_finish FROM project_steps WHERE project_id = '{pid}' AND step_key = 'start_bouw'"),
       "2021-03-01", "conflict left the date unchanged")
    skipped = psql(url, f"SELECT count(*) FROM project_steps WHERE project_id = '{pid}' AND status = 'skipped'")
    if skipped != "0":
        expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/uitwerkingsplan_wijzigingsplan/complete", 409,
                       "key", "complete a step that does not apply", body={"date": "2021-01-04"})

    st, _, doc = api.json("GET", "/api/v1/process-schemas")
    eq((st, doc["count"]), (200, 1), "process schema list")
    eq(doc["results"][0]["key"], "ppm-woningbouw", "process schema key")
    st, _, doc = api.json("GET", "/api/v1/process-schemas/ppm-woningbouw")
    eq(st, 200, "process schema detail")
    check(len(doc["steps"]) >= 25, "schema has >= 25 steps", len(doc["steps"]))
    expect_problem(api, "GET", "/api/v1/process-schemas/nope", 404, "key", "unknown schema")
    st, ct, doc = api.json("GET", "/api/v1/openapi.json")
    eq((st, ct), (200, "application/json"), "openapi.json served")
    check(doc and doc.get("openapi", "").startswith("3."), "OpenAPI 3 document", doc and doc.get("openapi"))
    for p in ("/healthz", "/api/v1/projects", "/api/v1/projects/{id}", "/api/v1/projects/{id}/schedule",
              "/api/v1/projects/{id}/steps/{key}/complete", "/api/v1/process-schemas",
              "/api/v1/process-schemas/{key}"):
        check(p in (doc or {}).get("paths", {}), f"OpenAPI documents {p}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    try:
        rc = run(args)
    except Exception:
        traceback.print_exc()
        rc = 1
    if rc == SKIP:
        return SKIP
    if rc != 0:
        bsit.finish()
        return rc
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
