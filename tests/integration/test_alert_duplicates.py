#!/usr/bin/python3
"""One mail per alert under faults: the durable queue (engine/runtime/queue.c) with the real
binary, a real PostgreSQL and the real SMTP server on loopback (tests/smtp/server.py).

Four faults, each of which sent alerts twice before the queue (docs/alerts.md "Delivery"):
- slow SMTP: a claim larger than what can be sent within the lease;
- SIGTERM while messages are being sent;
- PostgreSQL stopped while the 250s are being recorded;
- a node killed (kill -9) with alerts claimed: a second node takes them over within seconds.
Each asserts exactly one received message per alert (its Message-ID) in the SMTP server's log.

Leases are shortened with BOUWSTROOM_QUEUE_LEASE_MS (a test-only knob) so that every fault
plays out in seconds; every wait is a deadline an order of magnitude above the expected time,
never a speed bound. The outage needs control over the PostgreSQL cluster (the private one of
scripts/pg.sh); with an external database that part skips, loudly.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import check, cluster_of, eq, fresh_database, pg_ctl, pg_sh, psql  # noqa: E402
from test_notifier import Smtp  # noqa: E402

MAIL_FROM = "alerts@bouwstroom.test"
TAGS = {"slow": 1, "term": 2, "pg": 3, "kill": 4}  # revisions apart per part


def serve(binary, env, smtp_url, lease_ms, parallel):
    env = dict(env, BOUWSTROOM_DAILY_REPLAN="0", BOUWSTROOM_SMTP_PARALLEL=str(parallel))
    if lease_ms:
        env["BOUWSTROOM_QUEUE_LEASE_MS"] = str(lease_ms)
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--mail-from", MAIL_FROM, "--smtp-url", smtp_url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + line + proc.stderr.read())
    return proc


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=60)
            if rc not in (0, -signal.SIGKILL):
                print("server stderr:\n" + proc.stderr.read()[-6000:], flush=True)
            return rc
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "timeout"
    return proc.returncode


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def add_alerts(url, pid, uid, tag, n):
    """n due alerts of one recipient, Message-IDs alert.<tag>-<i>@bouwstroom.test."""
    psql(url, "INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, message_id) "
              f"SELECT '{pid}', 'start_bouw', 'milestone_upcoming', {TAGS[tag]} * 1000 + i, '{uid}', now() - interval '1 minute', "
              f"jsonb_build_object('project_id', '{pid}', 'project_name', 'Polder Noord', 'step_key', 'start_bouw', "
              "'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-04-12'), "
              f"'alert.{tag}-' || i || '@bouwstroom.test' FROM generate_series(1, {n}) i "
              f"WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE message_id LIKE 'alert.{tag}-%')")


def n_sent(url, tag):
    return int(psql(url, f"SELECT count(*) FROM alerts WHERE message_id LIKE 'alert.{tag}-%' AND status = 'sent'"))


def once_each(smtp, tag, n, what):
    ids = [m for m in smtp.message_ids() if m and m.startswith(f"<alert.{tag}-")]
    dup = sorted({m for m in ids if ids.count(m) > 1})
    eq(len(set(ids)), n, f"{what}: every alert received")
    check(not dup, f"{what}: exactly one mail per alert (same Message-ID)",
          f"{len(ids) - len(set(ids))} second copies of {len(dup)} alerts, e.g. {dup[:3]}")


def slow_smtp(args, env, url, pid, uid, tmp):
    print("== slow SMTP: 0.3 s per message, 2 in parallel, a 1 s lease; 30 alerts due at once")
    smtp = Smtp(args.source, os.path.join(tmp, "slow"), delay=0.3)
    add_alerts(url, pid, uid, "slow", 30)
    proc = serve(args.binary, env, smtp.url, 1000, 2)
    try:
        done = wait_for(lambda: n_sent(url, "slow") == 30, 120, 0.2)
        check(done, "slow: all 30 recorded sent", n_sent(url, "slow"))
        time.sleep(1.5)  # a late second copy would arrive within a lease
    finally:
        stop(proc)
        smtp.stop()
    once_each(smtp, "slow", 30, "slow SMTP")


def sigterm(args, env, url, pid, uid, tmp):
    print("== SIGTERM while sending: 0.5 s per message, 4 in parallel, a 1 s lease; 20 alerts")
    smtp = Smtp(args.source, os.path.join(tmp, "term"), delay=0.5)
    add_alerts(url, pid, uid, "term", 20)
    proc = serve(args.binary, env, smtp.url, 1000, 4)
    try:
        check(wait_for(lambda: len(smtp.message_ids()) >= 2, 60, 0.02), "term: sending started")
        rc = stop(proc, signal.SIGTERM)  # messages are in flight: their 250s are on the way
        eq(rc, 0, "term: the server exits cleanly on SIGTERM")
        before = len(smtp.message_ids())
        recorded = n_sent(url, "term")
        eq(recorded, before, "term: every message received before the exit is recorded sent")
        proc = serve(args.binary, env, smtp.url, 1000, 4)
        done = wait_for(lambda: n_sent(url, "term") == 20, 120, 0.2)
        check(done, "term: all 20 recorded sent after the restart", n_sent(url, "term"))
        time.sleep(1.5)
    finally:
        stop(proc)
        smtp.stop()
    once_each(smtp, "term", 20, "SIGTERM")


def outage(args, env, url, pid, uid, tmp):
    name, data = cluster_of(args.source, os.environ.get("BOUWSTROOM_DATABASE_URL", ""))
    if not name:
        msg = "SKIPPED part outage: BOUWSTROOM_DATABASE_URL is not a private cluster of scripts/pg.sh"
        if os.environ.get("CI") == "true":
            check(False, "outage: private cluster", msg)
        else:
            print("*" * 70 + "\n" + msg + "\n" + "*" * 70, flush=True)
        return
    print("== PostgreSQL stopped while 250s are recorded: 0.3 s per message, 2 in parallel, 1 s lease")
    smtp = Smtp(args.source, os.path.join(tmp, "pg"), delay=0.3)
    add_alerts(url, pid, uid, "pg", 30)
    proc = serve(args.binary, env, smtp.url, 1000, 2)
    try:
        check(wait_for(lambda: len(smtp.message_ids()) >= 3, 60, 0.02), "pg: sending started")
        r = pg_ctl(data, "-m", "fast", "-w", "stop")
        eq(r.returncode, 0, "pg: pg_ctl stop " + r.stderr)
        down_at = len(smtp.message_ids())
        time.sleep(2)  # the sends in flight end with 250s that cannot be recorded now
        during = len(smtp.message_ids())
        check(during - down_at <= 4, "pg: no new sends while results are unrecorded (in flight at most)",
              f"{during - down_at} received while the database was down")
        r = pg_sh(args.source, "start", name)
        eq(r.returncode, 0, "pg: pg.sh start " + r.stderr)
        done = wait_for(lambda: n_sent(url, "pg") == 30, 120, 0.2)
        check(done, "pg: all 30 recorded sent after the outage", n_sent(url, "pg"))
        time.sleep(1.5)
        check(proc.poll() is None, "pg: the server stayed up")
    finally:
        stop(proc)
        smtp.stop()
        pg_sh(args.source, "start", name)
    once_each(smtp, "pg", 30, "PostgreSQL outage")


def killed(args, env, url, pid, uid, tmp):
    print("== kill -9 with alerts claimed: a second node takes them over within seconds (3 s lease)")
    hold = os.path.join(tmp, "hold")
    open(hold, "w").close()
    smtp = Smtp(args.source, os.path.join(tmp, "kill"), hold_file=hold)
    add_alerts(url, pid, uid, "kill", 10)
    proc = serve(args.binary, env, smtp.url, 3000, 4)
    proc2 = None
    try:
        claimed = wait_for(lambda: int(psql(url, "SELECT count(*) FROM alerts WHERE message_id LIKE 'alert.kill-%' "
                                                 "AND status = 'pending' AND attempts > 0")), 60, 0.05)
        check(claimed, "kill: node 1 claimed alerts", claimed)
        time.sleep(0.5)  # node 1's sends wait in RCPT TO: nothing is received yet
        claimed_ids = psql(url, "SELECT string_agg(id::text, ',') FROM alerts WHERE message_id LIKE 'alert.kill-%' "
                                "AND status = 'pending'")
        eq(stop(proc, signal.SIGKILL), -9, "kill: kill -9 node 1")
        killed_at = time.monotonic()
        os.unlink(hold)
        proc2 = serve(args.binary, env, smtp.url, 3000, 4)
        ids = ",".join(f"'{i}'" for i in (claimed_ids or "").split(",") if i)
        taken = wait_for(lambda: ids and int(psql(url, f"SELECT count(*) FROM alerts WHERE id IN ({ids}) "
                                                       "AND status = 'sent'")) == len(ids.split(",")), 30, 0.1)
        took = time.monotonic() - killed_at
        check(taken, "kill: node 2 sent node 1's claimed alerts within 30 s of the kill (lease 3 s)",
              f"not after {took:.1f} s")
        done = wait_for(lambda: n_sent(url, "kill") == 10, 60, 0.2)
        check(done, "kill: all 10 recorded sent", n_sent(url, "kill"))
        time.sleep(1.5)
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc2:
            stop(proc2)
        if os.path.exists(hold):
            os.unlink(hold)
        smtp.stop()
    once_each(smtp, "kill", 10, "kill -9")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--only", default="", help="comma-separated parts: slow,term,pg,kill")
    args = ap.parse_args()
    parts = {"slow": slow_smtp, "term": sigterm, "pg": outage, "kill": killed}
    only = [p for p in args.only.split(",") if p] or list(parts)
    rc = 0
    tmp = tempfile.mkdtemp(prefix="bs-dup-")
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
            r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample",
                                                                      "voorbeeldstad.geojson"), "--source", "sample"],
                               env=env, capture_output=True, text=True)
            eq(r.returncode, 0, "import sample " + r.stderr)
            bsit.provision(args.binary, env)
            pid = psql(url, "SELECT id FROM projects WHERE name = 'Polder Noord'")
            uid = psql(url, f"SELECT id FROM users WHERE email = '{bsit.OPERATOR}'")
            for p in only:
                parts[p](args, env, url, pid, uid, tmp)
    except Exception:
        traceback.print_exc()
        rc = 1
    return bsit.finish() or rc


if __name__ == "__main__":
    sys.exit(main())
