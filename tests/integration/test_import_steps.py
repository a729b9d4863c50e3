#!/usr/bin/python3
"""Integration test of how an import stores the initial process steps (issue 17 item 4) against
real PostgreSQL: the sample municipality (adapters/sample) imported, re-imported, imported again
after one step row was removed; and the reference of a step row to its project, which migration
0028 checks once per statement (triggers) instead of the foreign key's once per row.

- A first import inserts every step of every plan (the schema's steps per project), with ids in
  ascending order (UUIDv7, version nibble 7, the millisecond of their project's id: the client
  writes the rows of new projects' steps, COPYed straight into project_steps), and one audit
  summary row per batch whose steps_inserted is what it inserted. The step rows have one index,
  the unique (project_id, step_key) as replica identity, and no primary key on id (0066).
- Every imported project has one forecast stamp, drawn once in the import's transaction (not again
  by its steps, migration 0042); a later step write moves it.
- A re-import inserts nothing; a project that lost a step gets exactly that step back; projects that
  lost all their steps get them back, also one whose row the re-import updates.
- A failing batch of a streamed import (the real plans, when ../shared is there: a trigger refuses
  one plan of the third batch) ends the import with the store's error and exit status 1 (prepare
  may still be running then: the end waits for it), the two batches before it committed, nothing
  after it. The same for the fourth batch, stored at the same time as the third (two connections,
  issue 17 item 4): the third still commits, the fourth and later do not.
- The real plans stored two batches at a time: every project has its gemeente organisation as
  owner (created before the batches, with the provincie of its plans), the audit summary rows
  follow the batch order, new projects have UUIDv7 ids; a re-import changes nothing (same ids).
- A step row naming a project that does not exist is refused with foreign_key_violation (23503)
  under the old constraint's name; a step cannot move to another project; deleting a project
  deletes its steps; a project with steps keeps its id.

Usage: test_import_steps.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql  # noqa: E402


def refused(url, sql):
    """Runs sql; returns (refused?, stderr)."""
    r = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True)
    return r.returncode != 0, r.stderr


def imports(args, env, sample):
    r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                       text=True, timeout=300)
    eq(r.returncode, 0, "sample import " + r.stderr[-300:])
    return r.stdout


def summaries(url):
    return psql(url, "SELECT string_agg((new->>'steps_inserted') || '/' || (new->>'plans'), ',' ORDER BY id) "
                     "FROM audit_log WHERE action = 'import' AND new->>'source' = 'sample'")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        out = imports(args, env, sample)
        check("plans stored" in out, "progress lines", out[:300])
        n_projects = int(psql(url, "SELECT count(*) FROM projects WHERE source = 'sample'"))
        n_steps = int(psql(url, "SELECT count(*) FROM project_steps"))
        per_project = psql(url, "SELECT string_agg(DISTINCT n::text, ',') FROM "
                                "(SELECT count(*) AS n FROM project_steps GROUP BY project_id) c")
        check(n_projects > 0, "sample projects imported", str(n_projects))
        eq(n_steps, n_projects * int(per_project), "every project has all its steps")
        eq(psql(url, "SELECT count(DISTINCT id) FROM project_steps"), str(n_steps), "step ids unique")
        # one B-tree per step row (migration 0066): the unique (project_id, step_key), also the
        # replica identity; no index on id (unique by construction, never looked up)
        eq(psql(url, "SELECT string_agg(i.indexrelid::regclass::text || ' ' || i.indisunique || ' ' "
                     "|| i.indisreplident || ' ' || i.indisprimary, ',') FROM pg_index i "
                     "WHERE i.indrelid = 'project_steps'::regclass"),
           "project_steps_project_id_step_key_key true true false", "project_steps: one unique index, (project_id, step_key)")
        eq(psql(url, "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'project_steps'::regclass "
                     "AND attname = 'id'"), "t", "project_steps.id stays NOT NULL")
        eq(psql(url, "SELECT count(*) FROM project_steps WHERE substr(id::text, 15, 1) <> '7' "
                     "OR substr(id::text, 20, 1) NOT IN ('8','9','a','b')"), "0",
           "new steps' ids are UUIDv7 (version 7, RFC 9562 variant)")
        eq(psql(url, "SELECT count(*) FROM project_steps WHERE left(id::text, 13) <> left(project_id::text, 13)"), "0",
           "a new project's steps have ids of its millisecond (COPYed with it from the client, issue 17 item 4)")
        eq(psql(url, "SELECT count(*) FROM (SELECT project_id, lag(project_id) OVER (ORDER BY id) AS prev "
                     "FROM project_steps) q WHERE left(project_id::text, 13) < left(prev::text, 13)"), "0",
           "step ids ascend with their projects' milliseconds")
        eq(summaries(url), f"{n_steps}/{n_projects}", "one audit summary row: steps inserted, plans")
        eq(psql(url, "SELECT count(*) FROM project_steps WHERE (status = 'done') <> actual_estimated"), "0",
           "done steps are estimated actuals")
        # the forecast stamps (migrations 0034, 0042): one per project, drawn once in the import's
        # transaction (by the project's insert, not again by its steps')
        eq(psql(url, "SELECT count(*) || '/' || max(stamp) FROM project_forecast_stamps"),
           f"{n_projects}/{n_projects}", "every project stamped, once")
        spid = psql(url, "SELECT id FROM projects ORDER BY id LIMIT 1")
        stamp = int(psql(url, f"SELECT stamp FROM project_forecast_stamps WHERE project_id = '{spid}'"))
        psql(url, f"UPDATE project_steps SET status = status WHERE project_id = '{spid}'")
        check(int(psql(url, f"SELECT stamp FROM project_forecast_stamps WHERE project_id = '{spid}'")) > stamp,
              "a later transaction's step write moves the project's stamp")

        # a re-import changes nothing
        imports(args, env, sample)
        eq(psql(url, "SELECT count(*) FROM project_steps"), str(n_steps), "re-import: no step added")
        eq(summaries(url), f"{n_steps}/{n_projects},0/{n_projects}", "re-import: summary with 0 steps")

        # a project that lost a step (e.g. a step added to the schema later) gets exactly it back
        pid, key = psql(url, "SELECT project_id, step_key FROM project_steps ORDER BY project_id, step_key "
                             "LIMIT 1").split("|")
        status = psql(url, f"SELECT status FROM project_steps WHERE project_id = '{pid}' AND step_key = '{key}'")
        psql(url, f"DELETE FROM project_steps WHERE project_id = '{pid}' AND step_key = '{key}'")
        imports(args, env, sample)
        eq(psql(url, "SELECT count(*) FROM project_steps"), str(n_steps), "the lost step is back")
        eq(psql(url, f"SELECT status FROM project_steps WHERE project_id = '{pid}' AND step_key = '{key}'"), status,
           "with its initial status")
        eq(summaries(url).split(",")[-1], f"1/{n_projects}", "the summary counts that one step")

        # a project with no step left gets them all back, also when the re-import updates its row
        # (its steps then come from the statement, not from the COPY of new projects' steps)
        lost = psql(url, f"SELECT id FROM projects WHERE source = 'sample' AND id <> '{pid}' ORDER BY id "
                         "LIMIT 2").split("\n")
        before = psql(url, "SELECT string_agg(project_id || step_key || status || actual_estimated, ',' "
                           f"ORDER BY project_id, step_key) FROM project_steps WHERE project_id IN ('{lost[0]}', "
                           f"'{lost[1]}')")
        psql(url, f"DELETE FROM project_steps WHERE project_id IN ('{lost[0]}', '{lost[1]}')")
        psql(url, f"UPDATE projects SET name = name || ' (changed)' WHERE id = '{lost[0]}'")
        imports(args, env, sample)
        eq(psql(url, "SELECT string_agg(project_id || step_key || status || actual_estimated, ',' "
                     f"ORDER BY project_id, step_key) FROM project_steps WHERE project_id IN ('{lost[0]}', "
                     f"'{lost[1]}')"), before, "an updated and an unchanged project without steps get them back")
        eq(psql(url, "SELECT count(*) FROM projects WHERE name LIKE '% (changed)'"), "0", "the update itself")
        eq(summaries(url).split(",")[-1], f"{2 * int(per_project)}/{n_projects}", "the summary counts them")

        # the reference of a step row to its project (migration 0028)
        bad, err = refused(url, "INSERT INTO project_steps (project_id, step_key, status) "
                                "VALUES (gen_random_uuid(), 'start_bouw', 'open')")
        check(bad and "project_steps_project_id_fkey" in err and "is not present" in err,
              "a step of an unknown project is refused", err)
        bad, err = refused(url, "INSERT INTO project_steps (project_id, step_key, status) "
                                f"SELECT '{pid}', 'extra_' || g, 'open' FROM generate_series(1, 3) g "
                                "UNION ALL SELECT gen_random_uuid(), 'extra_x', 'open'")
        check(bad, "a statement with one unknown project is refused as a whole", err)
        eq(psql(url, "SELECT count(*) FROM project_steps WHERE step_key LIKE 'extra_%'"), "0", "nothing of it stored")
        other = psql(url, f"SELECT id FROM projects WHERE id <> '{pid}' ORDER BY id LIMIT 1")
        bad, err = refused(url, f"UPDATE project_steps SET project_id = '{other}' WHERE project_id = '{pid}'")
        check(bad and "cannot move to another project" in err, "a step does not move to another project", err)
        bad, err = refused(url, f"UPDATE projects SET id = gen_random_uuid() WHERE id = '{pid}'")
        check(bad and "still referenced" in err, "a project with steps keeps its id", err)
        psql(url, f"DELETE FROM projects WHERE id = '{pid}'")
        eq(psql(url, f"SELECT count(*) FROM project_steps WHERE project_id = '{pid}'"), "0",
           "deleting a project deletes its steps")
        eq(psql(url, "SELECT count(*) FROM project_steps"), str(n_steps - int(per_project)),
           "and no other project's")
        eq(psql(url, "SELECT count(*) FROM audit_log WHERE action = 'DELETE' AND entity = 'project_steps' "
                     f"AND project_id = '{pid}'"), str(int(per_project) + 1),
           "the deleted steps are audited (and the one deleted above)")
    plans = real_plans(args)
    if plans:
        parallel_import(args, plans)
        streamed_failure(args, plans, 1200)
        streamed_failure(args, plans, 1700)
        streamed_failure(args, plans, 200)
        malformed_after_first_batch(args, plans)
    else:
        print("  (no real plans: the streamed import and its failures are not tried)")
    return finish()


def real_plans(args):
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(args.source, "..", "shared"))
    plans = os.path.join(shared, "data", "plannen", "eib-2020-rd.geojson")
    return plans if os.path.exists(plans) else None


def parallel_import(args, plans):
    with open(plans, encoding="utf-8") as f:
        n = len(json.load(f)["features"])
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=600)
        eq(r.returncode, 0, "real plans imported " + r.stderr[-300:])
        eq(psql(url, "SELECT count(*) FROM projects"), str(n), "every plan stored")
        eq(psql(url, "SELECT count(*) FROM projects WHERE owner_organisation_id IS NULL"), "0",
           "every project has an owner organisation")
        eq(psql(url, "SELECT count(*) FROM projects p JOIN organisations o ON o.id = p.owner_organisation_id "
                     "WHERE o.import_key <> 'gemeente:' || p.gemeente OR o.provincie IS DISTINCT FROM p.provincie"),
           "0", "the owner is the plan's gemeente, with the plan's provincie")
        eq(psql(url, "SELECT count(*) FROM organisations"), psql(url, "SELECT count(DISTINCT gemeente) FROM projects"),
           "one organisation per gemeente")
        sizes = [min(500, n - i) for i in range(0, n, 500)]
        eq(psql(url, "SELECT string_agg((new->>'plans') || '/' || (new->>'steps_inserted'), ',' ORDER BY id) "
                     "FROM audit_log WHERE action = 'import'"),
           ",".join(f"{s}/{42 * s}" for s in sizes), "one audit summary row per batch, in batch order")
        eq(psql(url, "SELECT count(*) FROM projects WHERE substr(id::text, 15, 1) <> '7' "
                     "OR substr(id::text, 20, 1) NOT IN ('8','9','a','b')"), "0",
           "new projects' ids are UUIDv7 (version 7, RFC 9562 variant)")
        ids = psql(url, "SELECT md5(string_agg(id::text || source_key, ',' ORDER BY source_key)) FROM projects")
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=600)
        eq(r.returncode, 0, "re-import " + r.stderr[-300:])
        check(f"{n} imported (0 new, 0 updated, {n} unchanged)" in r.stdout, "re-import changes nothing",
              r.stdout[-400:])
        eq(psql(url, "SELECT md5(string_agg(id::text || source_key, ',' ORDER BY source_key)) FROM projects"), ids,
           "re-import: every project keeps its id")
        eq(psql(url, "SELECT count(*) FROM project_steps"), str(42 * n), "re-import: no step added")


def streamed_failure(args, plans, index):
    """A trigger refuses the plan at features[index]: its batch fails, the batches before it are
    stored, nothing after it."""
    with open(plans, encoding="utf-8") as f:
        bad = json.load(f)["features"][index]["properties"]["OBJECTID"]
    before = index // 500 * 500
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        psql(url, "CREATE FUNCTION it_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  f"IF NEW.source_key = '{bad}' THEN RAISE EXCEPTION 'it: plan {bad} refused'; END IF; "
                  "RETURN NEW; END $$; "
                  "CREATE TRIGGER it_refuse BEFORE INSERT ON projects FOR EACH ROW EXECUTE FUNCTION it_refuse()")
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=600)
        eq(r.returncode, 1, "a failed batch: exit status 1")
        check("storing projects failed" in r.stderr and f"plan {bad} refused" in r.stderr,
              "the store's error is reported", r.stderr[-400:])
        check((f"{before}/4348 plans stored" in r.stdout or before == 0) and f"{before + 500}/" not in r.stdout,
              f"the {before // 500} batches before it reported stored", r.stdout[-400:])
        check(f"{before} imported ({before} new, 0 updated, 0 unchanged)" in r.stdout,
              "the counts are those of the stored batches", r.stdout[-400:])
        eq(psql(url, "SELECT count(*) FROM projects"), str(before), "the batches before it are stored")
        eq(psql(url, "SELECT count(*) FROM project_steps"), str(before * 42), "with their steps")
        eq(psql(url, "SELECT count(*) FROM audit_log WHERE action = 'import'"), str(before // 500),
           "and their audit summary rows")
        if before == 0:  # the organisations' setup runs in the first batch's transaction (imp7)
            eq(psql(url, "SELECT count(*) FROM organisations"), "0", "the first batch failed: no organisation")


def malformed_after_first_batch(args, plans):
    """The file is read one feature at a time and its first batch stored while the rest is read
    (issue 17 item 4, imp7): a syntax error after the first 500 plans still stores nothing, and the
    message has the file's line:column of the error, as jansson gives it for the whole file."""
    with open(plans, encoding="utf-8") as f:
        text = f.read()
    at = [m.start() for m in re.finditer(r'\n\{ "type": "Feature"', text)][3000]
    check(text[at - 1] == ",", "the real file: one feature a line", text[at - 5:at + 5])
    bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"bs-malformed-{os.getpid()}.geojson")
    with open(bad, "w", encoding="utf-8") as f:
        f.write(text[:at - 1] + " " + text[at:])  # the comma after feature 3000 left out
    line = text[:at].count("\n") + 2
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
            r = subprocess.run([args.binary, "import", bad], env=env, capture_output=True, text=True, timeout=600)
            eq(r.returncode, 1, "a malformed file: exit status 1")
            check(f"cannot read the plan file: {bad}:{line}:1: ']' expected near '{{'" in r.stderr,
                  "the file's line:column and jansson's message", r.stderr[-400:])
            eq(psql(url, "SELECT count(*) FROM projects"), "0", "a malformed file: no project stored")
            eq(psql(url, "SELECT count(*) FROM organisations"), "0", "a malformed file: no organisation stored")
            eq(psql(url, "SELECT count(*) FROM audit_log WHERE action = 'import'"), "0", "a malformed file: no audit row")
    finally:
        os.unlink(bad)


if __name__ == "__main__":
    sys.exit(main())
