#!/usr/bin/python3
"""Integration test of the server's state cache (api/state_cache.h; issue 17 items 1 and 5)
against real PostgreSQL and real HTTP.

A server keeps the parsed scheduling state of a project, and its rendered GET .../schedule, keyed
by the project's forecast stamp (project_forecast_stamps, moved by every writer's triggers); the
state load sends the cached stamp and gets the state only when it differs. What must hold:

* never a stale state: two servers (A, B) on one database, A's cache warm; a write through B, and
  writes behind both servers' backs with psql (a step's facts, a step row deleted, a link added, the
  project's planstatus and progress date, the owner's calendar), are each seen by A's next GET
  schedule and by A's next step write (which computes its change from the state: a stale one would
  overwrite the change behind its back); at the end A answers byte for byte what a server started
  afresh answers, and a deleted project is 404 at once;
* never another user's view: an external developer with stream access only and the operator read
  the same project's schedule from the same server in turn; the developer always gets the stream
  view, the operator always the full schedule;
* the cache is used: a change made with the triggers off (session_replication_role = replica: the
  stamp does not move; no writer of ours does this) is not seen by the warm server until the
  stamp moves, while a server started afresh sees it. Without the cache this check fails.

Data: the sample municipality shipped in adapters/sample.

Usage: test_state_cache.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import TODAY, Api, check, eq, finish, fresh_database, psql, start_server, steps_of  # noqa: E402
from bsit import run_cli as run, same_bytes as same, schedule_body as schedule  # noqa: E402

PW = "Een-lang-wachtwoord-2026"


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)


def fresh_answer(binary, env, pid, what):
    """GET schedule of a server started now (an empty cache): what the database holds."""
    proc, base = start_server(binary, env, operator=False)
    try:
        return schedule(Api(base), pid, what + " (fresh server)")
    finally:
        stop(proc)


def behind_the_back(binary, env, url, a, pid):
    """Changes made by psql and by another node, each seen by A at once."""
    P = f"/api/v1/projects/{pid}"
    first = steps_of(schedule(a, pid, "warm"))
    schedule(a, pid, "warm again")
    open_keys = [k for k, s in first.items() if s["status"] == "open" and not s["milestone"]]
    check(len(open_keys) >= 4, "open steps", open_keys)
    k1, k2, k3, k4 = open_keys[:4]
    # a step's facts, behind the back
    psql(url, f"UPDATE project_steps SET status = 'started', actual_start = '2026-11-02' "
              f"WHERE project_id = '{pid}' AND step_key = '{k1}'")
    psql(url, f"INSERT INTO project_steps (project_id, step_key, status, actual_start) "
              f"VALUES ('{pid}', '{k1}', 'started', '2026-11-02') ON CONFLICT DO NOTHING")
    s = steps_of(schedule(a, pid, "after psql start"))
    eq((s[k1]["status"], s[k1]["actual_start"]), ("started", "2026-11-02"), "psql: A sees the started step")
    # A's own write computes from the state: the psql change must survive it
    st, _, doc = a.json("PATCH", f"{P}/steps/{k2}", {"reason": "cache test", "start_no_earlier_than": "2027-06-01"})
    eq(st, 200, f"A: PATCH {k2} ({doc})")
    row = psql(url, f"SELECT status || ' ' || actual_start FROM project_steps WHERE project_id = '{pid}' "
                    f"AND step_key = '{k1}'")
    eq(row, "started 2026-11-02", "A's write kept the change made behind its back")
    # a step row deleted behind the back: the step is open again, and A's next write keeps it so
    psql(url, f"DELETE FROM project_steps WHERE project_id = '{pid}' AND step_key = '{k1}'")
    s = steps_of(schedule(a, pid, "after psql delete"))
    eq((s[k1]["status"], s[k1]["actual_start"]), ("open", None), "psql delete: A sees the step open")
    st, _, doc = a.json("POST", f"{P}/steps/{k3}/start", {"date": "2026-11-03"})
    eq(st, 200, f"A: start {k3} ({doc})")
    eq(psql(url, f"SELECT count(*) FROM project_steps WHERE project_id = '{pid}' AND step_key = '{k1}' "
                 "AND status <> 'open'"), "0", "A's write did not bring the deleted facts back")
    # planstatus and progress date of the project row
    psql(url, f"UPDATE projects SET planstatus = '4A' WHERE id = '{pid}'")
    same(schedule(a, pid, "after psql planstatus"), fresh_answer(binary, env, pid, "planstatus"),
       "psql planstatus: A answers what a fresh server answers")
    psql(url, f"UPDATE projects SET progress_date = '2026-11-20' WHERE id = '{pid}'")
    eq(json.loads(schedule(a, pid, "after psql progress date"))["progress_date"], "2026-11-20",
       "psql progress date: A sees it")
    # a link of its own (custom links) behind the back
    psql(url, f"UPDATE projects SET custom_links = true WHERE id = '{pid}'")
    psql(url, f"INSERT INTO project_links (project_id, pred, succ, type, lag, lag_unit) "
              f"VALUES ('{pid}', '{k4}', '{k2}', 'FS', 40, 'working_days')")
    same(schedule(a, pid, "after psql link"), fresh_answer(binary, env, pid, "link"),
       "psql link: A answers what a fresh server answers")
    # the owner's calendar
    psql(url, "UPDATE organisations SET calendar_goede_vrijdag = NOT calendar_goede_vrijdag "
              f"WHERE id = (SELECT owner_organisation_id FROM projects WHERE id = '{pid}')")
    same(schedule(a, pid, "after psql calendar"), fresh_answer(binary, env, pid, "calendar"),
       "psql calendar: A answers what a fresh server answers")


def other_node(binary, env, a, b, pid):
    """A write through B is seen by A's GET and by A's next write."""
    P = f"/api/v1/projects/{pid}"
    s = steps_of(schedule(a, pid, "A warm"))
    schedule(b, pid, "B warm")
    open_keys = [k for k, v in s.items() if v["status"] == "open" and not v["milestone"]]
    k1, k2 = open_keys[0], open_keys[1]
    st, _, doc = b.json("POST", f"{P}/steps/{k1}/start", {"date": "2026-11-04"})
    eq(st, 200, f"B: start {k1} ({doc})")
    s = steps_of(schedule(a, pid, "A after B's write"))
    eq((s[k1]["status"], s[k1]["actual_start"]), ("started", "2026-11-04"), "A sees B's write")
    st, _, doc = a.json("POST", f"{P}/steps/{k2}/start", {"date": "2026-11-05"})
    eq(st, 200, f"A: start {k2} after B's write ({doc})")
    s = steps_of(schedule(b, pid, "B after A's write"))
    eq((s[k1]["status"], s[k2]["status"]), ("started", "started"), "B sees both writes")
    same(schedule(a, pid, "A final"), fresh_answer(binary, env, pid, "two nodes"),
       "two nodes: A answers what a fresh server answers")


def views(binary, env, base, url, pid):
    """An external developer (stream only) and the operator in turn on one server."""
    ops = Api(base)
    anon = Api(base, None)
    st, _, inv = ops.json("POST", f"/api/v1/projects/{pid}/invitations",
                          {"email": "dev@ontwikkelaar-a.test", "organisation_name": "Ontwikkelaar A",
                           "name": "Dirk Developer"})
    eq(st, 201, "fixture: invitation of an external developer")
    st, _, _ = anon.json("POST", "/api/v1/invitations/accept", {"token": (inv or {}).get("token", "x"), "password": PW})
    eq(st, 200, "fixture: invitation accepted")
    dev = Api(base, bsit.token_for(binary, env, "dev@ontwikkelaar-a.test", "read,write"))
    full_n = len(json.loads(schedule(ops, pid, "operator"))["steps"])
    for rnd, order in enumerate(((dev, ops), (ops, dev), (dev, dev), (ops, ops))):
        for who in order:
            doc = json.loads(schedule(who, pid, f"round {rnd}"))
            if who is dev:
                check(doc.get("view") == "stream" and len(doc["steps"]) < full_n and "critical_paths" not in doc,
                      f"round {rnd}: the developer gets the stream view", (doc.get("view"), len(doc["steps"])))
            else:
                check("view" not in doc and len(doc["steps"]) == full_n,
                      f"round {rnd}: the operator gets the full schedule", (doc.get("view"), len(doc["steps"])))
    # a write in between: the views still apart
    s = steps_of(schedule(ops, pid, "operator before write"))
    key = next(k for k, v in s.items() if v["status"] == "open" and not v["milestone"] and v["stream"] == "public")
    eq(ops.json("POST", f"/api/v1/projects/{pid}/steps/{key}/start", {"date": "2026-11-06"})[0], 200, "operator write")
    doc = json.loads(schedule(dev, pid, "developer after write"))
    eq(doc.get("view"), "stream", "after a write: the developer gets the stream view")
    doc = json.loads(schedule(ops, pid, "operator after write"))
    check("view" not in doc and steps_of(json.dumps(doc))[key]["status"] == "started",
          "after a write: the operator gets the new full schedule", doc.get("view"))


def cache_used(binary, env, url, a, pid):
    """A change the stamp does not see (triggers off) is not seen by the warm server."""
    s = steps_of(schedule(a, pid, "warm"))
    key = next(k for k, v in s.items() if v["status"] == "open" and not v["milestone"])
    psql(url, "BEGIN; SET LOCAL session_replication_role = replica; "
              f"INSERT INTO project_steps (project_id, step_key, status, actual_start) "
              f"VALUES ('{pid}', '{key}', 'started', '2026-11-09') ON CONFLICT (project_id, step_key) "
              "DO UPDATE SET status = 'started', actual_start = '2026-11-09'; COMMIT")
    fresh = steps_of(fresh_answer(binary, env, pid, "triggers off"))
    eq(fresh[key]["status"], "started", "triggers off: a fresh server sees the change")
    eq(steps_of(schedule(a, pid, "triggers off"))[key]["status"], "open",
       "triggers off: the warm server serves its cached state (the stamp did not move)")
    psql(url, f"UPDATE project_forecast_stamps SET stamp = nextval('project_forecast_stamp_seq') "
              f"WHERE project_id = '{pid}'")
    eq(steps_of(schedule(a, pid, "stamp moved"))[key]["status"], "started", "the stamp moved: the warm server sees it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        run(args.binary, env, ["import", sample, "--source", "sample"])
        pids = psql(url, "SELECT string_agg(id::text, ' ' ORDER BY source_key) FROM projects "
                         "WHERE source = 'sample'").split()
        check(len(pids) >= 4, "sample projects", pids)
        proc_a, base_a = start_server(args.binary, env)
        proc_b, base_b = start_server(args.binary, env, operator=False)
        try:
            a, b = Api(base_a), Api(base_b)
            behind_the_back(args.binary, env, url, a, pids[0])
            other_node(args.binary, env, a, b, pids[1])
            views(args.binary, env, base_a, url, pids[2])
            cache_used(args.binary, env, url, a, pids[3])
            # a project deleted behind the back: 404 at once
            schedule(a, pids[0], "before delete")
            psql(url, f"DELETE FROM projects WHERE id = '{pids[0]}'")
            eq(a.call("GET", f"/api/v1/projects/{pids[0]}/schedule")[0], 404, "deleted behind the back: 404")
        finally:
            stop(proc_a)
            stop(proc_b)
    print(f"today {TODAY}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
