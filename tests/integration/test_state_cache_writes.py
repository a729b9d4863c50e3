#!/usr/bin/python3
"""Integration test of the step writes' own entries in the state cache (api/state_cache.h,
routes_schedule.c cache_written; issue 17 item 1) against real PostgreSQL and real HTTP.

A step write whose stamp upsert proves that nothing else moved the project's forecast stamp since
its state was read (SQL_SCHEDULE_WRITE's fs: ON CONFLICT … WHERE stamp = the stamp read) caches
"the state it read + what it wrote" under the new stamp, without loading it again. What must hold:

* the patched state is byte for byte what a fresh load gives: after every write kind (complete,
  start, PATCH of every field — actual dates set and cleared, planned dates, both constraints,
  duration and remaining duration set and cleared, a step skipped and brought back) server A's
  next GET …/schedule, answered from the entry its write made, is the same as that of node B,
  which loads the state from the database;
* that answer really comes from the write's entry: before A's GET a change is made with the
  triggers off (session_replication_role = replica: the stamp does not move; no writer of ours
  does this) and undone after it; node C, which loads, sees the change, A does not (without the
  write's entry A would load and see it too, and differ from B);
* a concurrent write behind the server's back is not missed: a psql transaction changes another
  step (its triggers move the stamp) and holds the stamp row while A's write waits for it; after
  the commit of both, A's next GET and next write see the psql change (A's write found the stamp
  moved and did not cache), and A answers what B answers;
* a write through another node (B) between two of A's is seen by A.

The one-trip step write (api/authz.c try_one_trip, SQL_SCHEDULE_WRITE_ONE_TRIP): when A holds the project's state and
the gate's row of the credential for it, the write statement runs the gate itself. What must hold:

* it is taken: A prints "one-trip writes: N tried, M proven" when it stops; each phase runs on a server of its own
  and checks both numbers: every write of every kind above is one trip (tried = proven = the writes), the write
  that waited for psql's stamp row and the write after B's are tried and not proven (they went through the gate
  again and answered 200 with the change behind the server's back);
* its answer and its rows are the fallback's: the same writes (every kind, and an external developer's) on a
  second database of the same import through a server with BOUWSTROOM_ONE_TRIP=0 (every write through the gate
  first) give byte for byte the same answers and the same project, step, history, audit and alert rows;
* a credential revoked, a role lost, an external developer's write to the other stream between two writes are
  refused by the one-trip server exactly as by the gate (same status and problem), and the refused one trip writes
  nothing (no row, no dashboard mark).

Data: the sample municipality shipped in adapters/sample.

Usage: test_state_cache_writes.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import TODAY, Api, check, eq, finish, fresh_database, psql, start_server, steps_of  # noqa: E402
from bsit import run_cli as run, same_bytes as same, schedule_body as schedule  # noqa: E402


def replica(url, sql):
    """sql with the triggers off: the forecast stamp does not move."""
    psql(url, f"BEGIN; SET LOCAL session_replication_role = replica; {sql}; COMMIT")


class Marker:
    """A duration of 77 on one untouched step, set and undone with the triggers off."""

    def __init__(self, url, pid, key):
        self.url, self.pid, self.key = url, pid, key
        self.had_row = psql(url, f"SELECT count(*) FROM project_steps WHERE project_id = '{pid}' "
                                 f"AND step_key = '{key}'") == "1"
        self.old = psql(url, f"SELECT COALESCE(duration_override::text, 'NULL') FROM project_steps "
                             f"WHERE project_id = '{pid}' AND step_key = '{key}'") if self.had_row else None

    def on(self):
        if self.had_row:
            replica(self.url, f"UPDATE project_steps SET duration_override = 77 "
                              f"WHERE project_id = '{self.pid}' AND step_key = '{self.key}'")
        else:
            replica(self.url, f"INSERT INTO project_steps (project_id, step_key, status, duration_override) "
                              f"VALUES ('{self.pid}', '{self.key}', 'open', 77)")

    def off(self):
        if self.had_row:
            replica(self.url, f"UPDATE project_steps SET duration_override = {self.old} "
                              f"WHERE project_id = '{self.pid}' AND step_key = '{self.key}'")
        else:
            replica(self.url, f"DELETE FROM project_steps WHERE project_id = '{self.pid}' AND step_key = '{self.key}'")


def after_write(url, a, b, c, pid, marker, what):
    """A's next GET comes from the entry of its write (a change the stamp does not see is not in it, while C, which
    loads, sees it) and is byte for byte B's, which loads the state after the change is undone."""
    marker.on()
    from_a = schedule(a, pid, f"{what}: A")
    from_c = schedule(c, pid, f"{what}: C")
    marker.off()
    check(from_a != from_c, f"{what}: A answers from its write's cache entry (C loads and sees the marker)",
          "A loaded the state again")
    same(from_a, schedule(b, pid, f"{what}: B"), f"{what}: A's cached state is what a fresh load gives")


def write(api, method, path, body, what):
    st, _, doc = api.json(method, path, body)
    eq(st, 200, f"{what} ({doc})")
    return doc


def every_write_kind(url, a, b, c, pid):
    P = f"/api/v1/projects/{pid}"
    first = steps_of(schedule(a, pid, "warm"))
    opens = [k for k, s in first.items() if s["status"] == "open" and not s["milestone"]]
    check(len(opens) >= 6, "open steps", opens)
    k1, k2, k3, k4, k5 = opens[:5]
    marker = Marker(url, pid, opens[-1])
    kinds = [
        ("complete (the progress date moves to today)", "POST", f"{P}/steps/{k1}/complete", {"date": TODAY}),
        ("start", "POST", f"{P}/steps/{k2}/start", {"date": "2026-11-20", "reason": "begun"}),
        ("PATCH remaining_duration", "PATCH", f"{P}/steps/{k2}", {"reason": "r", "remaining_duration": 12}),
        ("PATCH planned dates", "PATCH", f"{P}/steps/{k3}",
         {"reason": "r", "planned_start": "2027-02-01", "planned_finish": "2027-03-01"}),
        ("PATCH constraints and duration", "PATCH", f"{P}/steps/{k3}",
         {"reason": "r", "start_no_earlier_than": "2027-01-15", "finish_no_later_than": "2027-06-30", "duration": 9}),
        ("PATCH actual dates", "PATCH", f"{P}/steps/{k4}",
         {"reason": "r", "actual_start": "2026-11-02", "actual_finish": "2026-11-10"}),
        ("PATCH actual_finish cleared", "PATCH", f"{P}/steps/{k4}", {"reason": "r", "actual_finish": None}),
        ("PATCH overrides cleared", "PATCH", f"{P}/steps/{k3}",
         {"reason": "r", "duration": None, "start_no_earlier_than": None, "finish_no_later_than": None,
          "planned_start": None}),
        ("PATCH remaining_duration cleared", "PATCH", f"{P}/steps/{k2}", {"reason": "r", "remaining_duration": None}),
        ("complete a started step", "POST", f"{P}/steps/{k2}/complete", {"date": "2026-11-25"}),
        ("PATCH actual_start cleared", "PATCH", f"{P}/steps/{k4}", {"reason": "r", "actual_start": None}),
        ("start again", "POST", f"{P}/steps/{k5}/start", {"date": TODAY}),
    ]
    n = 0
    for what, method, path, body in kinds:
        write(a, method, path, body, what)
        n += 1
        after_write(url, a, b, c, pid, marker, what)
    # a skipped step (optional, not of this planstatus: uitwerkingsplan_wijzigingsplan) brought back and skipped
    # again; or an optional open step skipped and brought back
    skipped = [k for k, s in first.items() if s["status"] == "skipped"]
    order = (True, False) if skipped else (False, True)
    for k in skipped + opens[5:-1]:
        st, _, _ = a.json("PATCH", f"{P}/steps/{k}", {"reason": "applies", "applies": order[0]})
        if st == 200:
            after_write(url, a, b, c, pid, marker, f"PATCH applies {order[0]}")
            write(a, "PATCH", f"{P}/steps/{k}", {"reason": "applies", "applies": order[1]}, f"PATCH applies {order[1]}")
            after_write(url, a, b, c, pid, marker, f"PATCH applies {order[1]}")
            return n + 2
    check(False, "a step to skip or bring back", opens)
    return n


def concurrent_behind_the_back(url, a, b, pid):
    """A psql transaction moves the stamp while A's write waits for the stamp row: A must not cache."""
    P = f"/api/v1/projects/{pid}"
    s = steps_of(schedule(a, pid, "race: warm"))
    opens = [k for k, v in s.items() if v["status"] == "open" and not v["milestone"]]
    k_a, k_psql = opens[0], opens[1]
    # A's entry at the current stamp (its GET cached it; a write of A would too)
    write(a, "PATCH", f"{P}/steps/{k_a}", {"reason": "r", "planned_finish": "2028-01-31"}, "race: A's first write")
    other = subprocess.Popen(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    other.stdin.write("BEGIN;\n"
                      f"INSERT INTO project_steps (project_id, step_key, status, actual_start) "
                      f"VALUES ('{pid}', '{k_psql}', 'started', '2026-11-03') ON CONFLICT (project_id, step_key) "
                      "DO UPDATE SET status = 'started', actual_start = '2026-11-03';\n"
                      "SELECT 'held';\n")
    other.stdin.flush()
    eq(other.stdout.readline().strip(), "held", "race: psql holds the stamp row")
    result = {}
    t = threading.Thread(target=lambda: result.update(
        doc=a.json("PATCH", f"{P}/steps/{k_a}", {"reason": "r", "planned_finish": "2028-02-29"})))
    t.start()
    waited = False
    for _ in range(100):
        if psql(url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                     "AND backend_type = 'client backend' AND query LIKE 'WITH pold%'") != "0":
            waited = True
            break
        time.sleep(0.05)
    check(waited, "race: A's write waits for the stamp row psql holds")
    other.stdin.write("COMMIT;\n")
    other.stdin.close()
    other.wait(timeout=30)
    t.join(timeout=30)
    eq(result.get("doc", (None,))[0], 200, f"race: A's write after psql's commit ({result.get('doc')})")
    s = steps_of(schedule(a, pid, "race: A after both"))
    eq((s[k_psql]["status"], s[k_psql]["actual_start"]), ("started", "2026-11-03"),
       "race: A sees the change committed while its write waited")
    eq(s[k_a]["planned_finish"], "2028-02-29", "race: A sees its own write")
    same(schedule(a, pid, "race: A again"), schedule(b, pid, "race: B"), "race: A answers what B answers")
    write(a, "PATCH", f"{P}/steps/{k_a}", {"reason": "r", "planned_finish": "2028-03-31"}, "race: A's next write")
    eq(psql(url, f"SELECT status || ' ' || actual_start FROM project_steps WHERE project_id = '{pid}' "
                 f"AND step_key = '{k_psql}'"), "started 2026-11-03", "race: A's next write kept psql's change")


def other_node(url, a, b, c, pid):
    """A write through B between two of A's."""
    P = f"/api/v1/projects/{pid}"
    s = steps_of(schedule(a, pid, "nodes: warm"))
    opens = [k for k, v in s.items() if v["status"] == "open" and not v["milestone"]]
    write(a, "POST", f"{P}/steps/{opens[0]}/start", {"date": "2026-11-21"}, "nodes: A")
    write(b, "POST", f"{P}/steps/{opens[1]}/start", {"date": "2026-11-22"}, "nodes: B")
    write(a, "POST", f"{P}/steps/{opens[2]}/start", {"date": "2026-11-23"}, "nodes: A after B")
    s = steps_of(schedule(a, pid, "nodes: A"))
    eq([s[k]["actual_start"] for k in opens[:3]], ["2026-11-21", "2026-11-22", "2026-11-23"], "nodes: A sees all three")
    after_write(url, a, b, c, pid, Marker(url, pid, opens[-1]), "nodes: A's write after B's")


def stop(proc):
    proc.terminate()
    proc.wait(timeout=10)
    return proc.stderr.read()


def one_trips(log):
    """(tried, proven) of a server's log ("one-trip writes: …", printed when it stops; none: (0, 0))."""
    for line in log.splitlines():
        if line.startswith("one-trip writes: "):
            w = line.split()
            return int(w[2]), int(w[4])
    return 0, 0


def phase(binary, env, what, fn):
    """Runs fn(a) with a server A of its own; A's one-trip writes must be what fn returns: (tried, proven)."""
    proc, base = start_server(binary, env, operator=False)
    want = None
    try:
        want = fn(Api(base))
    finally:
        log = stop(proc)
    eq(one_trips(log), want, f"{what}: one-trip writes of A (tried, proven)")


def dump(url, pid):
    """The rows a write makes for project pid, without ids and times."""
    return [psql(url, q.replace("PID", pid)) for q in (
        "SELECT schedule_version, planned_completion, progress_date, knelpunt, custom_links, updated_at > now() - "
        "interval '1 hour' FROM projects WHERE id = 'PID'",
        "SELECT string_agg(concat_ws(' ', step_key, status, actual_start, actual_finish, actual_estimated, "
        "remaining_duration, duration_override, planned_start, planned_finish, start_no_earlier_than, "
        "finish_no_later_than), E'\\n' ORDER BY step_key) FROM project_steps WHERE project_id = 'PID'",
        "SELECT string_agg(concat_ws(' ', step_key, field, old_value, new_value, reason, changed_by, known_from), "
        "E'\\n' ORDER BY id) FROM schedule_history WHERE project_id = 'PID'",
        "SELECT string_agg(concat_ws(' ', action, entity, actor_email, actor_label, client_address, "
        "old - 'updated_at' - 'id' - 'created_at', new - 'updated_at' - 'id' - 'created_at' - 'project_id'), "
        "E'\\n' ORDER BY id) FROM audit_log WHERE project_id = 'PID' AND entity IN ('projects', 'project_steps') "
        "AND NOT new ? 'developer_organisation_id'",  # the invitation's (the organisation's id differs)
        "SELECT string_agg(concat_ws(' ', a.kind, a.step_key, u.email, a.payload - 'history_id' - 'project_id'), "
        "E'\\n' ORDER BY u.email, a.kind) FROM alerts a JOIN users u ON u.id = a.user_id WHERE a.project_id = 'PID' "
        "AND a.kind <> 'invitation'",
        "SELECT count(*) FROM notifier_dirty WHERE project_id = 'PID'",
    )]


def developer(binary, env, ops, base, pid):
    """An external developer invited to pid's private stream, with an API token (read, write)."""
    st, _, inv = ops.json("POST", f"/api/v1/projects/{pid}/invitations",
                          {"email": "dev@ontwikkelaar-a.test", "organisation_name": "Ontwikkelaar A",
                           "name": "Dirk Developer"})
    eq(st, 201, "fixture: invitation of an external developer")
    st, _, _ = Api(base, None).json("POST", "/api/v1/invitations/accept",
                                    {"token": (inv or {}).get("token", "x"), "password": "Een-lang-wachtwoord-2026"})
    eq(st, 200, "fixture: invitation accepted")
    return Api(base, bsit.token_for(binary, env, "dev@ontwikkelaar-a.test", "read,write"))


def one_trip_equals_fallback(binary, env, url, pids, env2, url2, pids2):
    """The same writes through a one-trip server X (database 1) and a gate-first server Y (database 2, the same
    import, BOUWSTROOM_ONE_TRIP=0): the same answers and rows; the same refusals after a revoked token, a lost role
    and a write of an external developer to the other stream."""
    pid, pid2 = pids[3], pids2[3]
    dpid, dpid2 = pids[4], pids2[4]
    tok1 = bsit.DEFAULT_TOKEN
    # no forecast sweep: its stored forecasts mark the dashboards too (the marks are compared)
    env, env2 = dict(env, BOUWSTROOM_FORECAST_SWEEP="0"), dict(env2, BOUWSTROOM_FORECAST_SWEEP="0")
    yproc, ybase = start_server(binary, dict(env2, BOUWSTROOM_ONE_TRIP="0"))  # provisions database 2's operator
    tok2, bsit.DEFAULT_TOKEN = bsit.DEFAULT_TOKEN, tok1
    xproc, xbase = start_server(binary, env, operator=False)
    try:
        x, y = Api(xbase, tok1), Api(ybase, tok2)
        sx = steps_of(schedule(x, pid, "equal: warm X"))
        eq(sx, steps_of(schedule(y, pid2, "equal: warm Y").decode().replace(pid2, pid)), "equal: the same project")
        opens = [k for k, v in sx.items() if v["status"] == "open" and not v["milestone"]]
        k1, k2, k3, k4 = opens[:4]
        kinds = [
            ("POST", f"steps/{k1}/complete", {"date": TODAY}),
            ("POST", f"steps/{k2}/start", {"date": "2026-11-20", "reason": "begun"}),
            ("PATCH", f"steps/{k2}", {"reason": "r", "remaining_duration": 12}),
            ("PATCH", f"steps/{k3}", {"reason": "r", "planned_start": "2027-02-01", "planned_finish": "2027-03-01"}),
            ("PATCH", f"steps/{k3}", {"reason": "r", "start_no_earlier_than": "2027-01-15",
                                      "finish_no_later_than": "2027-06-30", "duration": 9}),
            ("PATCH", f"steps/{k4}", {"reason": "r", "actual_start": "2026-11-02", "actual_finish": "2026-11-10"}),
            ("PATCH", f"steps/{k4}", {"reason": "r", "actual_finish": None}),
            ("POST", f"steps/{k2}/complete", {"date": "2026-11-25"}),
            ("PATCH", f"steps/{k3}", {"reason": "r", "duration": None, "planned_start": None}),
        ]
        for method, path, body in kinds:
            what = f"equal: {method} {path} {body}"
            sx, _, bx = x.call(method, f"/api/v1/projects/{pid}/{path}", body)
            sy, _, by = y.call(method, f"/api/v1/projects/{pid2}/{path}", body)
            eq((sx, sy), (200, 200), what)
            same(bx.decode(), by.decode().replace(pid2, pid), f"{what}: the one trip answers what the gate and write do")
        eq(dump(url, pid), [r.replace(pid2, pid) for r in dump(url2, pid2)], "equal: the same rows")
        n = len(kinds)
        # an external developer: a write of the private stream (one trip after its read), then one of the public
        # stream (refused by the gate's decision), then the role lost (the one trip's gate differs: refused as by the
        # gate), with the same answers and rows on both
        dx, dy = developer(binary, env, x, xbase, dpid), developer(binary, env2, y, ybase, dpid2)
        sd = steps_of(schedule(x, dpid, "dev: operator's view"))
        priv = [k for k, v in sd.items() if v["status"] == "open" and not v["milestone"] and v["stream"] == "private"]
        pub = [k for k, v in sd.items() if v["status"] == "open" and not v["milestone"] and v["stream"] == "public"]
        same(schedule(dx, dpid, "dev: X").decode().replace(dpid, "P"), schedule(dy, dpid2, "dev: Y").decode().replace(dpid2, "P"),
             "dev: the same stream view")
        steps = [("private step", priv[0], {"date": "2026-11-19"}, 200),
                 ("public step", pub[0], {"date": "2026-11-19"}, 403)]
        for what, key, body, status in steps:
            sx, _, bx = dx.call("POST", f"/api/v1/projects/{dpid}/steps/{key}/start", body)
            sy, _, by = dy.call("POST", f"/api/v1/projects/{dpid2}/steps/{key}/start", body)
            eq((sx, sy), (status, status), f"dev: {what}")
            same(bx.decode().replace(dpid, "P"), by.decode().replace(dpid2, "P"), f"dev: {what}: the same answer")
        for u in (url, url2):
            psql(u, "DELETE FROM project_members WHERE user_id = (SELECT id FROM users "
                    "WHERE email = 'dev@ontwikkelaar-a.test')")
        marks = psql(url, "SELECT count(*) FROM dashboard_marks")
        before = dump(url, dpid)
        sx, _, bx = dx.call("POST", f"/api/v1/projects/{dpid}/steps/{priv[1]}/start", {"date": "2026-11-19"})
        sy, _, by = dy.call("POST", f"/api/v1/projects/{dpid2}/steps/{priv[1]}/start", {"date": "2026-11-19"})
        eq(sx, sy, "dev: role lost: the same refusal")
        check(sx in (403, 404), "dev: role lost: refused", sx)
        same(bx.decode().replace(dpid, "P"), by.decode().replace(dpid2, "P"), "dev: role lost: the same problem")
        eq(dump(url, dpid), before, "dev: role lost: the refused one trip wrote nothing")
        eq(psql(url, "SELECT count(*) FROM dashboard_marks"), marks, "dev: role lost: no dashboard mark either")
        eq(dump(url, dpid), [r.replace(dpid2, dpid) for r in dump(url2, dpid2)], "dev: the same rows")
        # a token revoked between two writes of the operator (a token of its own)
        t1, t2 = bsit.token_for(binary, env, bsit.OPERATOR), bsit.token_for(binary, env2, bsit.OPERATOR)
        ox, oy = Api(xbase, t1), Api(ybase, t2)
        schedule(ox, pid, "revoke: warm")
        eq(ox.call("POST", f"/api/v1/projects/{pid}/steps/{opens[4]}/start", {"date": TODAY})[0], 200,
           "revoke: the first write")
        eq(oy.call("POST", f"/api/v1/projects/{pid2}/steps/{opens[4]}/start", {"date": TODAY})[0], 200,
           "revoke: the first write (Y)")
        before = dump(url, pid)
        for u, t in ((url, t1), (url2, t2)):
            psql(u, f"UPDATE api_tokens SET revoked_at = now() WHERE token_hash = encode(sha256('{t}'), 'hex')")
        sx, cx, bx = ox.call("POST", f"/api/v1/projects/{pid}/steps/{opens[5]}/start", {"date": TODAY})
        sy, cy, by = oy.call("POST", f"/api/v1/projects/{pid2}/steps/{opens[5]}/start", {"date": TODAY})
        eq((sx, sy, cx), (401, 401, "application/problem+json"), "revoke: refused")
        same(bx.decode(), by.decode().replace(pid2, pid), "revoke: the same problem")
        eq(dump(url, pid), before, "revoke: the refused one trip wrote nothing")
        eq(dump(url, pid), [r.replace(pid2, pid) for r in dump(url2, pid2)], "revoke: the same rows")
    finally:
        xlog, ylog = stop(xproc), stop(yproc)
    # X: every operator write, the developer's private write and both refused ones tried; the refused ones (role
    # lost, token revoked) not proven; the public-stream write not tried (the remembered row refuses it)
    eq(one_trips(xlog), (n + 2 + 2, n + 1 + 1), "equal: X's one-trip writes (tried, proven)")
    eq(one_trips(ylog), (0, 0), "equal: Y (BOUWSTROOM_ONE_TRIP=0) sends every write through the gate")


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
        check(len(pids) >= 5, "sample projects", pids)
        procs = [start_server(args.binary, env, operator=True), start_server(args.binary, env, operator=False)]
        try:
            b, c = (Api(base) for _, base in procs)
            # every write one trip; the race: A's first and third write one trip, the second (psql moved the stamp
            # while it waited) tried and not proven; the nodes: A's write after B's tried and not proven
            phase(args.binary, env, "every write kind", lambda a: (every_write_kind(url, a, b, c, pids[0]),) * 2)
            phase(args.binary, env, "race", lambda a: concurrent_behind_the_back(url, a, b, pids[1]) or (3, 2))
            phase(args.binary, env, "other node", lambda a: other_node(url, a, b, c, pids[2]) or (2, 1))
        finally:
            for proc, _ in procs:
                stop(proc)
        with fresh_database() as url2:
            env2 = dict(env, BOUWSTROOM_DATABASE_URL=url2)
            run(args.binary, env2, ["import", sample, "--source", "sample"])
            pids2 = psql(url2, "SELECT string_agg(id::text, ' ' ORDER BY source_key) FROM projects "
                               "WHERE source = 'sample'").split()
            one_trip_equals_fallback(args.binary, env, url, pids, env2, url2, pids2)
    print(f"today {TODAY}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
