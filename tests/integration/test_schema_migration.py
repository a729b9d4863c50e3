#!/usr/bin/python3
"""Moving projects to another version of their process schema (issue 19, items 1 and 2;
docs/process-schema.md "Migrating projects", docs/api.md), against the real binary and a real
PostgreSQL with the 4,348 real 2020 plans imported.

An administrator deploys version 2 of the PPM schema (one step added before the ter-inzage-
legging, one duration changed) and version 3 (version 2 without a step); the engine plans with
them at once. New projects of a gemeente whose setting names version 2 get it (the GeoJSON
import), those of another gemeente and the imported ones keep version 1. One project with actual
dates is migrated: a dry run first (milestone deltas, nothing stored), a mapping that would drop
an actual date and a version that removes a step with one are refused 409 naming the step, a bad
mapping 422; the real run keeps its actuals, is audited and written to the history, and
GET …/schedule?known_on= before it still shows the version 1 plan. Then the bulk form migrates
every remaining project (202, a job with progress, a summary at the end), and afterwards all
4,348 imported projects are on version 2, realised steps before a realised one marked by the
import's rule, and known_on before it still shows the old plan. Skipped (77) without the shared
data ($BOUWSTROOM_SHARED, default SRC/../shared).

Usage: test_schema_migration.py --binary BOUWSTROOM --source SRC
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import TODAY, Api, check, eq, expect_problem, finish, fresh_database, psql, start_server  # noqa: E402

KEY = "ppm-woningbouw"
PS = "/api/v1/process-schemas"
ADDED = "welstandstoets"
CHANGED = "aanbesteding"
REMOVED = "intentieovereenkomst_voorbereid"
BEFORE = "2026-11-28"  # the day before every change of this test (the server's today is bsit.TODAY)


def version_two(shipped):
    """Shipped + a step between the draft plan and its ter-inzage-legging, and aanbesteding 30 days longer."""
    doc = copy.deepcopy(shipped)
    del doc["version"]
    steps = doc["steps"]
    at = next(i for i, s in enumerate(steps) if s["key"] == "omgevingsplan_ontwerp_ter_inzage")
    steps.insert(at, {"key": ADDED, "name": "Welstandstoets", "stream": "public",
                      "duration": {"value": 20, "unit": "working_days"}, "source": "test, 2026",
                      "depends_on": [{"step": "omgevingsplan_ontwerp_opgesteld"}]})
    steps[at + 1]["depends_on"].append({"step": ADDED})
    next(s for s in steps if s["key"] == CHANGED)["duration"]["value"] += 30
    return doc


def version_three(v2):
    """Version 2 without intentieovereenkomst_voorbereid (its successor follows principeakkoord)."""
    doc = copy.deepcopy(v2)
    doc["steps"] = [s for s in doc["steps"] if s["key"] != REMOVED]
    nxt = next(s for s in doc["steps"] if s["key"] == "intentieovereenkomst")
    nxt["depends_on"] = [{"step": "principeakkoord"}]
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(args.source, "..", "shared"))
    plans = os.path.join(shared, "data", "plannen", "eib-2020-rd.geojson")
    if not os.path.exists(plans):
        print(f"SKIPPED: {plans} not found (set BOUWSTROOM_SHARED)")
        return 77
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=900)
        eq(r.returncode, 0, "import " + r.stderr[-300:])
        eq(psql(url, "SELECT count(*) FROM projects WHERE process_schema_version = 1"), "4348", "imported on version 1")
        proc, base = start_server(args.binary, env)
        try:
            scenario(Api(base), args, url)
            proc = restart_resumes(args, env, url, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return finish()


def deploy(admin, doc, what):
    st, _, made = admin.json("POST", PS, {"schema": doc})
    eq(st, 201, f"{what} deployed {made}")
    return (made or {}).get("version")


def schedule(api, pid, known_on=None):
    st, _, d = api.json("GET", f"/api/v1/projects/{pid}/schedule" + (f"?known_on={known_on}" if known_on else ""))
    eq(st, 200, f"schedule of {pid} known_on={known_on}")
    return d or {"steps": []}


def step(doc, key):
    return next((s for s in doc["steps"] if s["key"] == key), None)


def plan_of(doc):
    """What a plan is: each step's key, status, actuals and early dates."""
    return [(s["key"], s["status"], s["actual_start"], s["actual_finish"], s["early_start"], s["early_finish"])
            for s in doc["steps"]]


def new_projects(admin, url):
    """A gemeente's setting names version 2: its new project gets it; another gemeente's keeps version 1."""
    org, gemeente = psql(url, "SELECT id, name FROM organisations WHERE import_key LIKE 'gemeente:%' "
                              "ORDER BY name LIMIT 1").split("|")
    st, _, got = admin.json("PUT", f"/api/v1/organisations/{org}/process-schema-versions/{KEY}", {"version": 2})
    eq(st, 200, f"the gemeente's setting: version 2 {got}")
    other = psql(url, f"SELECT name FROM organisations WHERE import_key LIKE 'gemeente:%' AND name <> '{gemeente}' "
                      "ORDER BY name LIMIT 1")
    feats = [{"type": "Feature", "geometry": None, "properties": {
        "source": "api", "source_key": f"nieuw-{i}", "name": f"Nieuw plan {i}", "gemeente": g, "provincie": "Utrecht",
        "plantype": "uitleg", "planstatus": "3", "progress_date": "2026-06-01"}} for i, g in enumerate((gemeente, other))]
    st, _, res = admin.json("POST", "/api/v1/exchange/geojson", {"type": "FeatureCollection", "features": feats})
    eq(st, 200, f"two new projects imported {res}")
    eq(psql(url, "SELECT string_agg(source_key || ':' || process_schema_version, ',' ORDER BY source_key) "
                 "FROM projects WHERE source = 'api'"), "nieuw-0:2,nieuw-1:1",
       "a new project gets its organisation's version, another gemeente's the shipped one")
    eq(psql(url, f"SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 f"WHERE p.source_key = 'nieuw-0' AND s.step_key = '{ADDED}'"), "1", "planned with version 2's steps")
    eq(psql(url, "SELECT count(*) FROM projects WHERE source = 'eib-2020' AND process_schema_version = 1"), "4348",
       "the imported projects keep version 1")
    pid = psql(url, "SELECT id FROM projects WHERE source_key = 'nieuw-0'")
    check(step(schedule(admin, pid), ADDED) is not None, "the engine schedules a version 2 project with its steps")
    st, _, fc = admin.json("GET", f"/api/v1/projects/{pid}/forecast?samples=200&seed=1")
    eq(st, 200, f"the forecast of a version 2 project {str(fc)[:200]}")


def new_projects_eib(args, url):
    """The EIB import (bouwstroom import) applies the setting too: a new plan of the gemeente whose organisation set
    version 2 is planned with version 2's steps, another gemeente's with the shipped version."""
    gemeente = psql(url, "SELECT o.name FROM organisation_schema_versions s JOIN organisations o "
                         f"ON o.id = s.organisation_id WHERE s.schema_key = '{KEY}' AND s.version = 2 LIMIT 1")
    other = psql(url, f"SELECT name FROM organisations WHERE import_key LIKE 'gemeente:%' AND name <> '{gemeente}' "
                      "ORDER BY name LIMIT 1")
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(args.source, "..", "shared"))
    with open(os.path.join(shared, "data", "plannen", "eib-2020-rd.geojson")) as f:
        real = json.load(f)
    feats = []
    for i, g in enumerate((gemeente, other)):
        ft = json.loads(json.dumps(real["features"][0]))
        ft["properties"].update({"OBJECTID": 900001 + i, "Gem_naam": g, "Plannaam": f"EIB nieuw {i}"})
        feats.append(ft)
    d = tempfile.mkdtemp(prefix="bs_it_migration_")
    try:
        path = os.path.join(d, "two.geojson")
        with open(path, "w") as f:
            json.dump(dict(real, features=feats), f)
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "import", path, "--source", "eib-nieuw"], env=env, capture_output=True,
                           text=True, timeout=300)
        eq(r.returncode, 0, "EIB import of two new plans: " + r.stderr[-300:])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    eq(psql(url, "SELECT string_agg(source_key || ':' || process_schema_version, ',' ORDER BY source_key) "
                 "FROM projects WHERE source = 'eib-nieuw'"), "900001:2,900002:1",
       "EIB import: the gemeente's new plan gets version 2, another gemeente's the shipped version")
    eq(psql(url, f"SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 f"WHERE p.source = 'eib-nieuw' AND p.source_key = '900001' AND s.step_key = '{ADDED}'"), "1",
       "EIB import: planned with version 2's steps (the added step is there)")
    eq(psql(url, "SELECT count(*) = (SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 "WHERE p.source = 'eib-nieuw' AND p.source_key = '900002') FROM project_steps s JOIN projects p "
                 "ON p.id = s.project_id WHERE p.source = 'eib-2020' AND p.source_key = '1'"), "t",
       "EIB import: the other gemeente's plan has the shipped version's steps")


def new_projects_xlsx(admin, url):
    """The Excel project-list import applies the setting too."""
    import io
    import openpyxl  # Debian python3-openpyxl
    gemeente = psql(url, "SELECT o.name FROM organisation_schema_versions s JOIN organisations o "
                         f"ON o.id = s.organisation_id WHERE s.schema_key = '{KEY}' AND s.version = 2 LIMIT 1")
    other = psql(url, f"SELECT name FROM organisations WHERE import_key LIKE 'gemeente:%' AND name <> '{gemeente}' "
                      "ORDER BY name LIMIT 1")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen"],
                ["x1", "Excel nieuw 1", gemeente, "Utrecht", "3", 10], ["x2", "Excel nieuw 2", other, "Utrecht", "3", 10]):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    st, _, res = admin.json("POST", "/api/v1/exchange/xlsx?source=xlsx-nieuw", raw=out.getvalue(),
                            headers={"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    eq((st, res and res.get("inserted")), (200, 2), f"Excel import of two new plans {res}")
    eq(psql(url, "SELECT string_agg(source_key || ':' || process_schema_version, ',' ORDER BY source_key) "
                 "FROM projects WHERE source = 'xlsx-nieuw'"), "x1:2,x2:1",
       "Excel import: the gemeente's new plan gets version 2, another gemeente's the shipped version")
    eq(psql(url, f"SELECT count(*) FROM project_steps s JOIN projects p ON p.id = s.project_id "
                 f"WHERE p.source = 'xlsx-nieuw' AND p.source_key = 'x1' AND s.step_key = '{ADDED}'"), "1",
       "Excel import: planned with version 2's steps")


def one_project(admin, url):
    """Dry run, refusals, the real run; actuals survive; history, audit and known_on."""
    pid = psql(url, "SELECT id FROM projects WHERE source = 'eib-2020' AND planstatus = '3' ORDER BY source_key LIMIT 1")
    P = f"/api/v1/projects/{pid}"
    eq(admin.json("POST", f"{P}/steps/{REMOVED}/start", {"date": "2026-09-01"})[0], 200, "a step started")
    eq(admin.json("POST", f"{P}/steps/{REMOVED}/complete", {"date": "2026-11-20"})[0], 200, "and completed")
    old_known = schedule(admin, pid, BEFORE)
    old_now = schedule(admin, pid)
    sv = psql(url, f"SELECT schedule_version FROM projects WHERE id = '{pid}'")
    n_hist = psql(url, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}'")

    st, _, dry = admin.json("POST", f"{P}/migrate", {"version": 2, "dry_run": True})
    eq(st, 200, f"dry run {dry}")
    dry = dry or {}
    eq(sorted(dry.keys()), sorted(["project_id", "from_version", "to_version", "dry_run", "milestones",
                                   "unmapped_steps", "realised_steps", "carried_steps"]), "the dry run's members")
    eq((dry.get("project_id"), dry.get("from_version"), dry.get("to_version"), dry.get("dry_run")),
       (pid, 1, 2, True), "dry run: project and versions")
    eq((dry.get("unmapped_steps"), dry.get("realised_steps"), dry.get("carried_steps")),
       ([], [], len(old_now["steps"])), "dry run: every step carried, nothing unmapped or realised")
    ms = {m["key"]: m for m in dry.get("milestones", [])}
    last = ms.get("laatste_oplevering", {})
    eq(last.get("before"), step(old_now, "laatste_oplevering")["early_finish"], "dry run: before = today's plan")
    check((last.get("delta_working_days") or 0) > 0 and last.get("after", "") > last.get("before", "~"),
          "dry run: the last delivery later by the new step on its path", last)
    check(all(set(m) == {"key", "name", "before", "after", "delta_working_days"} for m in ms.values()),
          "dry run: milestone members", list(ms.values())[:1])
    eq((psql(url, f"SELECT process_schema_version || ':' || schedule_version FROM projects WHERE id = '{pid}'"),
        psql(url, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}'")),
       (f"1:{sv}", n_hist), "a dry run stores nothing")

    p = expect_problem(admin, "POST", f"{P}/migrate", 409, f"mapping.{REMOVED}", "a mapping dropping an actual date",
                       body={"version": 2, "mapping": {REMOVED: None}, "dry_run": True})
    check(REMOVED in (p or {}).get("detail", ""), "the refusal names the step", p)
    expect_problem(admin, "POST", f"{P}/migrate", 409, f"mapping.{REMOVED}", "a version without a step with actuals",
                   body={"version": 3})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "mapping.bestaat_niet", "a mapping of an unknown step",
                   body={"version": 2, "mapping": {"bestaat_niet": ADDED}})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "version", "a version that is not there", body={"version": 9})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "version", "no version", body={})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "dry_run", "dry_run not a boolean",
                   body={"version": 2, "dry_run": "ja"})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "version", "the version it is on", body={"version": 1})
    expect_problem(admin, "POST", f"{P}/migrate", 422, "version", "another organisation's version",
                   body={"version": 4, "dry_run": True})
    eq(psql(url, f"SELECT process_schema_version FROM projects WHERE id = '{pid}'"), "1", "refusals store nothing")

    st, _, real = admin.json("POST", f"{P}/migrate", {"version": 2, "reason": "nieuwe welstandsnota"})
    eq(st, 200, f"the migration {real}")
    real = real or {}
    eq(real.get("dry_run"), False, "not a dry run")
    eq([(m["key"], m["after"]) for m in real.get("milestones", [])],
       [(m["key"], m["after"]) for m in dry.get("milestones", [])], "the dry run answered what the run did")
    eq(psql(url, f"SELECT process_schema_version FROM projects WHERE id = '{pid}'"), "2", "the project is on version 2")
    now = schedule(admin, pid)
    check(step(now, ADDED) is not None, "the new step is planned")
    a, b = step(old_now, REMOVED), step(now, REMOVED)
    eq((b["status"], b["actual_start"], b["actual_finish"]), (a["status"], a["actual_start"], a["actual_finish"]),
       "the actual dates survive")
    eq(step(now, "laatste_oplevering")["early_finish"], last.get("after"), "re-planned as the dry run said")
    eq(psql(url, f"SELECT old_value || '>' || new_value || ' ' || reason FROM schedule_history "
                 f"WHERE project_id = '{pid}' AND field = 'process_schema_version'"), "1>2 nieuwe welstandsnota",
       "one history row with the reason")
    eq(psql(url, f"SELECT count(*) FROM audit_log WHERE project_id = '{pid}' AND entity = 'projects' "
                 f"AND new->>'process_schema_version' = '2' AND actor_email IS NOT NULL"), "1", "audited with its actor")
    st, _, h = admin.json("GET", f"{P}/history")
    check(any(x.get("field") == "process_schema_version" for x in (h or {}).get("results", [])),
          "the history endpoint lists the migration", h)
    eq(plan_of(schedule(admin, pid, BEFORE)), plan_of(old_known), "known_on before the migration: the old plan")
    return pid


def organisation_bulk(admin, url):
    """The organisation form: every project of one gemeente on version 1, no other."""
    org = psql(url, "SELECT o.id FROM organisations o JOIN projects p ON p.owner_organisation_id = o.id "
                    "WHERE p.process_schema_version = 1 GROUP BY o.id ORDER BY count(*) DESC, o.id LIMIT 1")
    mine = int(psql(url, f"SELECT count(*) FROM projects WHERE owner_organisation_id = '{org}' "
                         "AND process_schema_version = 1"))
    others = psql(url, f"SELECT count(*) FROM projects WHERE owner_organisation_id <> '{org}' "
                       "AND process_schema_version = 1")
    expect_problem(admin, "POST", "/api/v1/organisations/00000000-0000-4000-8000-000000000000/migrations", 404, "id",
                   "an organisation that is not there", body={"schema_key": KEY, "from_version": 1, "to_version": 2})
    st, hdrs, job = admin.json("POST", f"/api/v1/organisations/{org}/migrations",
                               {"schema_key": KEY, "from_version": 1, "to_version": 2})
    eq(st, 202, f"an organisation's migration accepted {job}")
    doc, deadline = {}, time.monotonic() + 300
    while time.monotonic() < deadline and doc.get("state") != "done":
        doc = admin.json("GET", f"/api/v1/migrations/{(job or {}).get('id')}")[2] or {}
        time.sleep(0.2)
    eq((doc.get("state"), doc.get("total"), doc.get("done"), doc.get("organisation_id")), ("done", mine, mine, org),
       "the organisation's projects migrated")
    eq(psql(url, f"SELECT count(*) FROM projects WHERE owner_organisation_id <> '{org}' "
                 "AND process_schema_version = 1"), others, "no other organisation's project moved")


def bulk(admin, url, single):
    """Every other project on version 1 to version 2 as one job: 202, progress, summary."""
    sample = psql(url, "SELECT id FROM projects WHERE source = 'eib-2020' AND planstatus = '1A' "
                       "AND process_schema_version = 1 ORDER BY source_key LIMIT 1")
    before = schedule(admin, sample, BEFORE)
    check(step(before, ADDED) is None, "a version 1 plan has no new step")
    expect_problem(admin, "POST", "/api/v1/migrations", 422, "to_version", "a bulk migration to a missing version",
                   body={"schema_key": KEY, "from_version": 1, "to_version": 9})
    expect_problem(admin, "POST", "/api/v1/migrations", 422, "to_version", "every project to one organisation's version",
                   body={"schema_key": KEY, "from_version": 1, "to_version": 4})
    expect_problem(admin, "POST", "/api/v1/migrations", 422, "mapping", "a bulk mapping of an unknown step",
                   body={"schema_key": KEY, "from_version": 1, "to_version": 2, "mapping": {"x": None}})
    total = int(psql(url, "SELECT count(*) FROM projects WHERE process_schema_version = 1"))
    t0 = time.monotonic()
    st, _, job = admin.json("POST", "/api/v1/migrations", {"schema_key": KEY, "from_version": 1, "to_version": 2,
                                                           "reason": "landelijke versie 2"})
    eq(st, 202, f"the bulk migration accepted {job}")
    jid = (job or {}).get("id")
    # a job not done yet (stored as a server would have left it) refuses a second one over the same projects
    other = psql(url, "INSERT INTO schema_migration_jobs (organisation_id, schema_key, from_version, to_version, "
                      f"reason, requested_by, actor) VALUES (NULL, '{KEY}', 3, 2, 'wacht', 'test', '{{}}') RETURNING id"
                 ).splitlines()[0]
    p = expect_problem(admin, "POST", "/api/v1/migrations", 409, "from_version", "a second job over the same projects",
                       body={"schema_key": KEY, "from_version": 3, "to_version": 2})
    check(other in (p or {}).get("detail", ""), "the refusal names the unfinished job", p)
    psql(url, f"DELETE FROM schema_migration_jobs WHERE id = '{other}'")
    seen, doc = set(), {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        st, _, doc = admin.json("GET", f"/api/v1/migrations/{jid}")
        doc = doc or {}
        if st != 200:
            eq(st, 200, f"the job's state {doc}")
            break
        seen.add((doc.get("done"), doc.get("total")))
        if doc.get("state") == "done":
            break
        time.sleep(0.2)
    secs = time.monotonic() - t0
    eq(doc.get("state"), "done", "the job finished")
    eq(doc.get("total"), total, "the job covers every project on version 1")
    check(len({d for d, _ in seen}) >= 2 or secs < 1, "progress observed while it ran", sorted(seen, key=str)[:5])
    s = doc.get("summary") or {}
    eq((s.get("projects"), s.get("migrated"), s.get("failed"), doc.get("failures")), (total, total, 0, []),
       f"summary: every project migrated {s}")
    check((s.get("steps_realised") or 0) > 0, "summary: steps realised by the import's rule", s)
    eq(psql(url, "SELECT count(*) FROM projects WHERE source = 'eib-2020' AND process_schema_version = 2"), "4348",
       "all 4,348 imported projects on version 2")
    eq(psql(url, "SELECT count(*) FROM projects p WHERE p.process_schema_version = 2 AND NOT EXISTS (SELECT 1 FROM "
                 f"project_steps s WHERE s.project_id = p.id AND s.step_key = '{ADDED}')"), "0",
       "every migrated project has the new step")
    eq(psql(url, f"SELECT s.status || ':' || s.actual_estimated FROM project_steps s WHERE s.project_id = '{sample}' "
                 f"AND s.step_key = '{ADDED}'"), "done:true",
       "a step before a realised one: realised with estimated dates (the import's rule)")
    eq(plan_of(schedule(admin, sample, BEFORE)), plan_of(before), "known_on before the bulk run: the old plan")
    check(step(schedule(admin, sample), ADDED) is not None, "today's plan has the new step")
    eq(psql(url, f"SELECT count(*) FROM schedule_history WHERE project_id = '{single}' "
                 "AND field = 'process_schema_version'"), "1", "the project migrated alone is not migrated again")
    print(f"  bulk migration of {total} projects: {secs:.1f} s")
    return jid


def restart_resumes(args, env, url, proc):
    """A job accepted but not finished (the server stopped) is resumed by the next server."""
    jid = psql(url, "INSERT INTO schema_migration_jobs (organisation_id, schema_key, from_version, to_version, reason, "
                    "requested_by, actor, state) VALUES (NULL, 'ppm-woningbouw', 2, 3, 'hervat', 'test', '{}', "
                    "'running') RETURNING id").splitlines()[0]
    proc.terminate()
    proc.wait(timeout=30)
    proc, base = start_server(args.binary, env, operator=False)
    admin = Api(base)
    deadline = time.monotonic() + 600
    doc = {}
    while time.monotonic() < deadline:
        doc = admin.json("GET", f"/api/v1/migrations/{jid}")[2] or {}
        if doc.get("state") == "done":
            break
        time.sleep(0.2)
    eq(doc.get("state"), "done", f"the unfinished job resumed after a restart {str(doc)[:300]}")
    # version 3 drops a step: the project with actual dates on it is refused, naming it
    fails = doc.get("failures") or []
    check(any(f.get("field") == f"mapping.{REMOVED}" for f in fails), "the refused project named with its step",
          fails[:2])
    eq(doc.get("done", 0) + doc.get("failed", 0), doc.get("total"), "done + failed = total")
    return proc


def scenario(admin, args, url):
    shipped = json.load(open(os.path.join(args.source, "processes", KEY + ".json")))
    v2 = version_two(shipped)
    eq(deploy(admin, v2, "version 2"), 2, "version 2")
    eq(deploy(admin, version_three(v2), "version 3"), 3, "version 3")
    st, _, elders = admin.json("POST", "/api/v1/organisations", {"name": "Elders", "kind": "gemeente"})
    eq(st, 201, "another organisation")
    st, _, made = admin.json("POST", PS, {"organisation_id": (elders or {}).get("id"), "schema": v2})
    eq((st, (made or {}).get("version")), (201, 4), "version 4, of that organisation")
    new_projects(admin, url)
    new_projects_eib(args, url)
    new_projects_xlsx(admin, url)
    single = one_project(admin, url)
    organisation_bulk(admin, url)
    bulk(admin, url, single)
    check(TODAY > BEFORE, "known_on before today")


if __name__ == "__main__":
    sys.exit(main())
