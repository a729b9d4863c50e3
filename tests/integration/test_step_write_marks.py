#!/usr/bin/python3
"""Integration test of what a step write marks besides its rows (issue 17 item 1, migration 0048),
against real PostgreSQL and real HTTP: the schedule write (POST .../steps/{key}/start,
.../complete, PATCH .../steps/{key}) makes its project's forecast stamp, the notifier's dirty
mark and the dashboard's data-version mark itself, and the statement triggers that did it
(bs_forecast_stamp_projects/_rows, bs_mark_projects_dirty, bs_dashboard_touch) skip that one
statement. What must hold is what the triggers did:

- the project's forecast stamp moves forward at every write (the sweep re-forecasts it);
- the project is marked dirty for the notifier when somebody follows it (or has a role in it or
  subscribes to it), once per write that finds it unmarked, and not when nobody does;
- the dashboard's data version (the sum of dashboard_marks) moves at every write;
- a direct update of a step row afterwards (another statement, psql) still stamps and marks
  through the triggers (the statement's mark does not outlive it);
- so does a direct insert of step rows (one trigger since migration 0055): each project stamped,
  the followed one marked dirty once, the other not.
- the adapters' events (bs_adapter_emit, migration 0011; skipped by the statement's mark when no
  subscription exists, migration 0054): with a subscription every write emits its event (the
  step's dates_changed or milestone_realised, the project's dates_changed when its planned
  completion moved), without one none; a direct update still emits through the trigger.

The dirty marks are observed through a row trigger on notifier_dirty that this test adds (the
server's notifier takes the marks away as it works them off); before each write the test waits
until the project is no longer marked. Data: the sample municipality shipped in adapters/sample.

Usage: test_step_write_marks.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import TODAY, Api, check, eq, finish, fresh_database, psql, start_server  # noqa: E402

DEADLINE_S = 60


def wait_for(cond, deadline_s=DEADLINE_S):
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline_s:
        if cond():
            return True
        time.sleep(0.2)
    return False


def stamp(url, pid):
    v = psql(url, f"SELECT stamp FROM project_forecast_stamps WHERE project_id = '{pid}'")
    return int(v) if v else 0


def dirty_logged(url, pid):
    return int(psql(url, f"SELECT count(*) FROM it_dirty_log WHERE project_id = '{pid}'"))


def dashboard_version(url):
    return int(psql(url, "SELECT coalesce(sum(weight), 0) FROM dashboard_marks"))


def unmarked(url, pid):
    return psql(url, f"SELECT count(*) FROM notifier_dirty WHERE project_id = '{pid}'") == "0"


def open_steps(api, pid):
    st, _, doc = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq(st, 200, "schedule read")
    return [s["key"] for s in doc["steps"] if s["status"] == "open"] if st == 200 else []


def adapter_events(url, pid):
    return int(psql(url, f"SELECT count(*) FROM adapter_events WHERE project_id = '{pid}' AND adapter = 'it'"))


def one_write(api, url, pid, what, method, path, body, followed, subscribed=False):
    check(wait_for(lambda: unmarked(url, pid)), f"{what}: the project's earlier dirty mark worked off")
    s0, d0, v0 = stamp(url, pid), dirty_logged(url, pid), dashboard_version(url)
    a0 = adapter_events(url, pid)
    st, _, doc = api.json(method, path, body)
    eq(st, 200, f"{what}: status ({doc})")
    if subscribed:
        check(adapter_events(url, pid) > a0, f"{what}: subscribed: the adapter event(s) of the write",
              (a0, adapter_events(url, pid)))
    else:
        eq(adapter_events(url, pid), a0, f"{what}: no subscription: no adapter event")
    check(stamp(url, pid) > s0, f"{what}: the project's forecast stamp moved", (s0, stamp(url, pid)))
    eq(dirty_logged(url, pid) - d0, 1 if followed else 0, f"{what}: dirty marks of the project")
    check(dashboard_version(url) > v0, f"{what}: the dashboard's data version moved")


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
        psql(url, "CREATE TABLE it_dirty_log (project_id uuid NOT NULL); "
                  "CREATE FUNCTION it_dirty_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "INSERT INTO it_dirty_log VALUES (NEW.project_id); RETURN NULL; END $$; "
                  "CREATE TRIGGER it_dirty_log AFTER INSERT ON notifier_dirty FOR EACH ROW EXECUTE FUNCTION it_dirty_log()")
        proc, base = start_server(args.binary, env)
        try:
            scenario(Api(base), url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def scenario(api, url):
    # projects nobody follows, has a role in or subscribes to, and one followed by a user
    pids = psql(url, "SELECT string_agg(p.id::text, ' ' ORDER BY p.source_key) FROM projects p WHERE p.source = 'sample' "
                     "AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.project_id = p.id) "
                     "AND NOT EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = p.id) "
                     "AND NOT EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = p.id)").split()
    check(len(pids) >= 2, "sample projects without followers", pids)
    if len(pids) < 2:
        return
    followed, lone = pids[0], pids[1]
    psql(url, f"INSERT INTO follows (project_id, user_id) SELECT '{followed}', id FROM users ORDER BY email LIMIT 1")
    for pid, is_followed in ((followed, True), (lone, False)):
        P = f"/api/v1/projects/{pid}"
        keys = open_steps(api, pid)
        check(len(keys) >= 2, "open steps", keys)
        if len(keys) < 2:
            continue
        tag = "followed" if is_followed else "not followed"
        one_write(api, url, pid, f"{tag}: start", "POST", f"{P}/steps/{keys[0]}/start",
                  {"date": TODAY, "reason": "marks test"}, is_followed)
        one_write(api, url, pid, f"{tag}: complete", "POST", f"{P}/steps/{keys[0]}/complete",
                  {"date": TODAY, "reason": "marks test"}, is_followed)
        one_write(api, url, pid, f"{tag}: planned finish", "PATCH", f"{P}/steps/{keys[1]}",
                  {"planned_finish": "2031-06-30", "reason": "marks test"}, is_followed)
    # a subscription (an adapter of the test's own, which no worker sends): the writes emit events
    psql(url, "INSERT INTO adapter_subscriptions (adapter, gemeente) VALUES ('it', '*')")
    P = f"/api/v1/projects/{lone}"
    keys = open_steps(api, lone)
    check(len(keys) >= 2, "open steps (subscribed)", keys)
    if len(keys) >= 2:
        one_write(api, url, lone, "subscribed: start", "POST", f"{P}/steps/{keys[0]}/start",
                  {"date": TODAY, "reason": "marks test"}, False, True)
        one_write(api, url, lone, "subscribed: planned finish", "PATCH", f"{P}/steps/{keys[1]}",
                  {"planned_finish": "2032-06-30", "reason": "marks test"}, False, True)
        a0 = adapter_events(url, lone)
        psql(url, "UPDATE project_steps SET actual_start = actual_start - 1 "
                  f"WHERE project_id = '{lone}' AND step_key = '{keys[0]}'")
        check(adapter_events(url, lone) > a0, "subscribed: a direct update emits through the trigger")
    psql(url, "DELETE FROM adapter_subscriptions WHERE adapter = 'it'")
    # another statement on the step rows: the triggers stamp and mark as before
    check(wait_for(lambda: unmarked(url, followed)), "direct update: the earlier dirty mark worked off")
    s0, d0, v0 = stamp(url, followed), dirty_logged(url, followed), dashboard_version(url)
    psql(url, "UPDATE project_steps SET remaining_duration = coalesce(remaining_duration, 0) + 1 "
              f"WHERE project_id = '{followed}' AND step_key = (SELECT min(step_key) FROM project_steps "
              f"WHERE project_id = '{followed}')")
    check(stamp(url, followed) > s0, "direct update: stamped by the trigger")
    eq(dirty_logged(url, followed) - d0, 1, "direct update: marked dirty by the trigger")
    check(dashboard_version(url) > v0, "direct update: the dashboard mark by the trigger")
    # a direct insert of step rows (migration 0055: one trigger checks the reference, marks and
    # stamps for the INSERT): the followed project stamped and marked once, the other one stamped only
    check(wait_for(lambda: unmarked(url, followed)), "direct insert: the earlier dirty mark worked off")
    s0, d0, s1, d1 = stamp(url, followed), dirty_logged(url, followed), stamp(url, lone), dirty_logged(url, lone)
    psql(url, "INSERT INTO project_steps (project_id, step_key, status) "
              f"VALUES ('{followed}', 'it_extra_a', 'open'), ('{followed}', 'it_extra_b', 'open'), "
              f"('{lone}', 'it_extra_a', 'open')")
    check(stamp(url, followed) > s0, "direct insert: the followed project stamped by the trigger")
    check(stamp(url, lone) > s1, "direct insert: the other project stamped by the trigger")
    eq(dirty_logged(url, followed) - d0, 1, "direct insert: the followed project marked dirty once")
    eq(dirty_logged(url, lone) - d1, 0, "direct insert: the project nobody follows not marked")
    psql(url, "DELETE FROM project_steps WHERE step_key LIKE 'it_extra_%'")


if __name__ == "__main__":
    sys.exit(main())
