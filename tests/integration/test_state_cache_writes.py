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
    for what, method, path, body in kinds:
        write(a, method, path, body, what)
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
            break
    else:
        check(False, "a step to skip or bring back", opens)


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
        check(len(pids) >= 3, "sample projects", pids)
        procs = [start_server(args.binary, env)] + [start_server(args.binary, env, operator=False) for _ in range(2)]
        try:
            a, b, c = (Api(base) for _, base in procs)
            every_write_kind(url, a, b, c, pids[0])
            concurrent_behind_the_back(url, a, b, pids[1])
            other_node(url, a, b, c, pids[2])
        finally:
            log = stop(procs[0][0])
            for proc, _ in procs[1:]:
                stop(proc)
        print(f"server A: {log.strip()}")
    print(f"today {TODAY}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
