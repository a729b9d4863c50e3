#!/usr/bin/python3
"""Integration test of the audit rows of a step write against real PostgreSQL and real HTTP
(issue 17 item 1, migration 0040): the schedule write (POST .../steps/{key}/start, .../complete,
PATCH .../steps/{key}) writes the audit row of its project update itself instead of the audit
trigger's JSON diff of the two rows. What that row says must be what the trigger said: action
UPDATE on entity projects, the caller as actor, old = every column of the project row that
changed with its old value, new = the changed columns' new values without JSON nulls, plus id.

The expectation is computed here from the whole project row (to_jsonb) read before and after
each write, not from the statement: a column the write changed and the row left out, or one it
named but did not change, fails. And exactly one such row per write (the trigger did not write a
second one), and an update of the project by another route afterwards audited by the trigger as
before (the statement's mark does not outlive it).

Since migration 0046 the statement writes the audit rows of its step rows too. They are checked
the same way, against what the trigger (migrations 0027/0040) writes, computed here from every
step row of the project (to_jsonb) before and after the write: exactly one row per step row that
changed and none for the others; an updated row: action UPDATE, old = its changed columns' old
values, new = their new values without JSON nulls plus id, project_id and step_key; a step row
the write inserted (its row deleted beforehand): action INSERT, old NULL, new = the whole row.
A direct update of a step row afterwards (psql) is audited by the trigger, with its own diff.
The test passes against the base commit's trigger as well.

Data: the sample municipality shipped in adapters/sample.

Usage: test_step_write_audit.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import OPERATOR, TODAY, Api, check, eq, finish, fresh_database, psql, start_server  # noqa: E402


def project_row(url, pid):
    return json.loads(psql(url, f"SELECT to_jsonb(p) FROM projects p WHERE p.id = '{pid}'"))


def same_value(key, a, b):
    """Equal as stored: timestamps compared as instants (the server's session and psql's may
    print them in different time zones)."""
    if key.endswith("_at") and isinstance(a, str) and isinstance(b, str):
        return datetime.datetime.fromisoformat(a) == datetime.datetime.fromisoformat(b)
    return a == b


def same_doc(a, b):
    return a.keys() == b.keys() and all(same_value(k, a[k], b[k]) for k in a)


def project_audits(url, pid):
    out = psql(url, "SELECT coalesce(json_agg(json_build_object('id', id, 'action', action, 'actor', actor_email, "
                    "'entity_id', entity_id, 'project_id', project_id, 'old', old, 'new', new) ORDER BY id), '[]') "
                    f"FROM audit_log WHERE entity = 'projects' AND entity_id = '{pid}'")
    return json.loads(out)


def step_audits(url, pid, key):
    return int(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'project_steps' "
                         f"AND project_id = '{pid}' AND new ->> 'step_key' = '{key}'"))


def step_rows(url, pid):
    """Every step row of the project as to_jsonb, by id."""
    out = psql(url, "SELECT coalesce(json_object_agg(s.id, to_jsonb(s)), '{}') FROM project_steps s "
                    f"WHERE s.project_id = '{pid}'")
    return json.loads(out)


def step_audit_rows(url, pid):
    out = psql(url, "SELECT coalesce(json_agg(json_build_object('id', id, 'action', action, 'actor', actor_email, "
                    "'entity_id', entity_id, 'project_id', project_id, 'old', old, 'new', new) ORDER BY id), '[]') "
                    f"FROM audit_log WHERE entity = 'project_steps' AND project_id = '{pid}'")
    return json.loads(out)


def expected_step_audits(before, after):
    """What the audit trigger writes for the step rows from before to after (by id): the rows
    of bs_audit_statement (migrations 0027, 0040) for an UPDATE and an INSERT."""
    want = {}
    for sid, row in after.items():
        old = before.get(sid)
        if old is None:
            want[sid] = ("INSERT", None, row)
            continue
        changed = [k for k in row if not same_value(k, old.get(k), row[k])]
        if not changed:
            continue
        n = {k: row[k] for k in changed if row[k] is not None}
        n.update({"id": sid, "project_id": row["project_id"], "step_key": row["step_key"]})
        want[sid] = ("UPDATE", {k: old.get(k) for k in changed}, n)
    return want


def check_step_audits(what, url, pid, before, after, rows_before, actor=OPERATOR, after_id=0):
    """The step rows' audit rows of one write against the trigger's, computed from the rows;
    all of them after the audit row after_id (the project's, as the trigger wrote them)."""
    rows = step_audit_rows(url, pid)[rows_before:]
    check(all(r["id"] > after_id for r in rows), f"{what}: the step rows' audit after the project's", after_id)
    want = expected_step_audits(before, after)
    check(len(want) >= 1, f"{what}: the write changed a step row")
    eq(sorted(r["entity_id"] for r in rows), sorted(want), f"{what}: one audit row per changed step row")
    for r in rows:
        w = want.get(r["entity_id"])
        if w is None:
            continue
        eq((r["action"], r["actor"], r["project_id"]), (w[0], actor, pid), f"{what}: step row action, actor")
        if w[1] is None:
            eq(r["old"], None, f"{what}: an inserted step row has no old")
        else:
            check(r["old"] is not None and same_doc(r["old"], w[1]), f"{what}: step row old", (r["old"], w[1]))
        check(r["new"] is not None and same_doc(r["new"], w[2]), f"{what}: step row new", (r["new"], w[2]))


def open_steps(api, pid):
    st, _, doc = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq(st, 200, "schedule read")
    return [s["key"] for s in doc["steps"] if s["status"] == "open"] if st == 200 else []


def one_write(api, url, pid, what, method, path, body):
    """Does one write and checks the project's audit row against the row before and after."""
    before_rows = project_audits(url, pid)
    before = project_row(url, pid)
    steps_before, step_rows_before = step_rows(url, pid), len(step_audit_rows(url, pid))
    st, _, doc = api.json(method, path, body)
    eq(st, 200, f"{what}: status ({doc})")
    after = project_row(url, pid)
    rows = project_audits(url, pid)[len(before_rows):]
    check_step_audits(what, url, pid, steps_before, step_rows(url, pid), step_rows_before,
                      after_id=max((r["id"] for r in rows), default=0))
    eq(len(rows), 1, f"{what}: one audit row of the project update")
    if len(rows) != 1:
        return
    r = rows[0]
    changed = [k for k in after if not same_value(k, before.get(k), after[k])]
    check("schedule_version" in changed and "updated_at" in changed, f"{what}: the write changed the row", changed)
    want_old = {k: before.get(k) for k in changed}
    want_new = {k: after[k] for k in changed if after[k] is not None}
    want_new["id"] = pid
    eq((r["action"], r["actor"], r["entity_id"], r["project_id"]), ("UPDATE", OPERATOR, pid, pid),
       f"{what}: action, actor, entity, project")
    check(same_doc(r["old"], want_old), f"{what}: old = the changed columns' old values", (r["old"], want_old))
    check(same_doc(r["new"], want_new), f"{what}: new = their new values and the id", (r["new"], want_new))


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
        pids = psql(url, "SELECT string_agg(id::text, ' ' ORDER BY source_key) FROM projects "
                         "WHERE source = 'sample'").split()
        check(len(pids) >= 3, "sample projects", pids)
        proc, base = start_server(args.binary, env)
        try:
            scenario(Api(base), url, pids[:3])
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def scenario(api, url, pids):
    for n, pid in enumerate(pids):
        P = f"/api/v1/projects/{pid}"
        keys = open_steps(api, pid)
        check(len(keys) >= 3, f"project {n}: open steps", keys)
        if len(keys) < 3:
            continue
        a, b, c = keys[0], keys[1], keys[2]
        steps_before = step_audits(url, pid, a)
        one_write(api, url, pid, f"project {n}: start {a}", "POST", f"{P}/steps/{a}/start",
                  {"date": TODAY, "reason": "audit test"})
        one_write(api, url, pid, f"project {n}: complete {a}", "POST", f"{P}/steps/{a}/complete",
                  {"date": TODAY, "reason": "audit test"})
        check(step_audits(url, pid, a) - steps_before >= 2, f"project {n}: the step row audited at both writes")
        one_write(api, url, pid, f"project {n}: planned finish of {b}", "PATCH", f"{P}/steps/{b}",
                  {"planned_finish": "2031-06-30", "reason": "audit test"})
        one_write(api, url, pid, f"project {n}: start no earlier than of {c}", "PATCH", f"{P}/steps/{c}",
                  {"start_no_earlier_than": "2032-01-05", "reason": "audit test"})
        one_write(api, url, pid, f"project {n}: no earlier than removed", "PATCH", f"{P}/steps/{c}",
                  {"start_no_earlier_than": None, "reason": "audit test"})
    # a step row that is not there (deleted outside the API, unaudited): the write's upsert inserts
    # it, audited as an INSERT with the whole row
    pid = pids[0]
    keys = open_steps(api, pid)
    if len(keys) >= 4:
        d = keys[3]
        psql(url, "BEGIN; SET LOCAL bouwstroom.audit = 'bulk'; "
                  f"DELETE FROM project_steps WHERE project_id = '{pid}' AND step_key = '{d}'; COMMIT")
        one_write(api, url, pid, f"project 0: start {d} (no step row)", "POST", f"/api/v1/projects/{pid}/steps/{d}/start",
                  {"date": TODAY, "reason": "audit test"})
        check(any(r["action"] == "INSERT" and r["new"]["step_key"] == d for r in step_audit_rows(url, pid)),
              "project 0: the inserted step row audited as INSERT")
    # a direct update of a step row afterwards: audited by the trigger (the write's mark is gone)
    steps_before, rows_before = step_rows(url, pid), len(step_audit_rows(url, pid))
    psql(url, f"UPDATE project_steps SET remaining_duration = coalesce(remaining_duration, 0) + 1 "
              f"WHERE project_id = '{pid}' AND step_key = '{keys[0] if keys else ''}'")
    check_step_audits("direct step update", url, pid, steps_before, step_rows(url, pid), rows_before, None)
    # another route's update of the project: audited by the trigger, with its own diff
    before = len(project_audits(url, pid))
    conf = "openbaar" if project_row(url, pid)["confidentiality"] != "openbaar" else "extern_mede_overheden"
    st, _, doc = api.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": conf})
    eq(st, 200, f"project confidentiality: status ({doc})")
    rows = project_audits(url, pid)[before:]
    eq(len(rows), 1, "project confidentiality: one audit row (the trigger's)")
    if rows:
        check(rows[0]["new"].get("confidentiality") == conf, "project confidentiality: audited", rows[0])
    # and an update outside the API, in a transaction of its own
    before = len(project_audits(url, pid))
    psql(url, f"UPDATE projects SET homes_remaining = coalesce(homes_remaining, 0) + 1 WHERE id = '{pid}'")
    rows = project_audits(url, pid)[before:]
    eq(len(rows), 1, "direct update: audited by the trigger")
    if rows:
        check("homes_remaining" in rows[0]["new"], "direct update: its column audited", rows[0])


if __name__ == "__main__":
    sys.exit(main())
