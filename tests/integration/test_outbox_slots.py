#!/usr/bin/python3
"""The mail outbox keeps sending while its outcomes wait to be written (issue 17 item 6), against
the real binary, a real PostgreSQL, the loopback SMTP server (tests/smtp/server.py) and real HTTP.

A 250 is recorded in a batch (one UPDATE per up to 100, at most 20 ms after the first). The send's
parallel slot must be free once the 250 is known, not once the batch is written: before the fix
the outbox sent `parallel` alerts per batch write (570/s against an instant sink). Here the batch
writes are held back on purpose — a trigger makes every UPDATE to status 'sent' wait for an
advisory lock this test holds — so the only way for more than `parallel` alerts to reach the SMTP
server is for sends to go on while their outcomes are unrecorded. With 2 parallel sends and 40 due
alerts, all 40 must arrive while not one is recorded sent (before the fix: 2, and 2 more at each
30 s safety poll). Then the lock is released: every alert is recorded sent, each mailed exactly
once (by its Message-ID), and the server stops cleanly. Deadlines, never elapsed times.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import check, eq, fresh_database, psql  # noqa: E402
from test_notifier import MAIL_FROM, Smtp, wait_for  # noqa: E402

N = 40
PARALLEL = 2
LOCK = 4217  # the advisory lock key that holds the batch writes back


def received_ids(smtp):
    return [m["message_id"].strip("<>") for m in smtp.messages() if m.get("message_id")]


def scenario(args, env, url, smtp):
    r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=300)
    eq(r.returncode, 0, "migrate " + r.stderr[-300:])
    sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
    r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                       text=True, timeout=300)
    eq(r.returncode, 0, "sample import " + r.stderr[-300:])
    psql(url, "INSERT INTO organisations (name) VALUES ('Outbox slots'); "
              "INSERT INTO users (organisation_id, email, name) "
              "SELECT id, 'pl@outbox-slots.example', 'PL' FROM organisations WHERE name = 'Outbox slots'")
    # every write of an outcome 'sent' waits while this test holds the advisory lock
    psql(url, "CREATE FUNCTION it_hold_sent() RETURNS trigger LANGUAGE plpgsql AS "
              f"$$ BEGIN PERFORM pg_advisory_xact_lock({LOCK}); RETURN NEW; END $$; "
              "CREATE TRIGGER it_hold_sent BEFORE UPDATE ON alerts FOR EACH ROW "
              "WHEN (NEW.status = 'sent' AND OLD.status <> 'sent') EXECUTE FUNCTION it_hold_sent()")
    psql(url, "INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, message_id) "
              "SELECT p.id, 'start_bouw', 'milestone_upcoming', g, u.id, now() - interval '1 minute', "
              "jsonb_build_object('project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, "
              "'step_key', 'start_bouw', 'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-03-01'), "
              "'slots.' || g || '@bouwstroom.test' "
              f"FROM generate_series(1, {N}) g, (SELECT id, name, gemeente FROM projects ORDER BY id LIMIT 1) p, "
              "(SELECT id FROM users WHERE email = 'pl@outbox-slots.example') u")
    holder = subprocess.Popen(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    holder.stdin.write(f"SELECT pg_advisory_lock({LOCK}), 'held';\n")
    holder.stdin.flush()
    eq(holder.stdout.readline().strip(), "|held", "the test holds the lock of the outcome writes")
    proc = subprocess.Popen([args.binary, "serve", "--port", "0", "--mail-from", MAIL_FROM, "--smtp-url", smtp.url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        check(line.startswith("listening on "), "the server starts", line)
        print(f"== {N} alerts due, {PARALLEL} parallel sends, every outcome write held back")
        got = wait_for(lambda: len(received_ids(smtp)) >= N, 60, 0.1)
        check(got, f"all {N} alerts reach the SMTP server while no outcome can be written",
              f"{len(received_ids(smtp))} received")
        eq(psql(url, "SELECT count(*) FROM alerts WHERE status = 'sent'"), "0",
           "none recorded sent while the writes are held (the sends did not wait for them)")
        print("== the outcome writes go through")
        holder.stdin.close()  # ends the session: the lock is released
        holder.wait(timeout=30)
        done = wait_for(lambda: psql(url, "SELECT count(*) FROM alerts WHERE status = 'sent'") == str(N), 60, 0.1)
        check(done, f"all {N} recorded sent", psql(url, "SELECT status, count(*) FROM alerts GROUP BY status"))
    finally:
        if holder.poll() is None:
            holder.kill()
        proc.terminate()
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    eq(rc, 0, "the server stops cleanly")
    ids = received_ids(smtp)
    eq(len(ids), N, "one mail per alert")
    eq(sorted(set(ids)), sorted(f"slots.{g}@bouwstroom.test" for g in range(1, N + 1)),
       "every alert mailed, none twice (by Message-ID)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-outbox-slots-")
    rc = 0
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source,
                       BOUWSTROOM_SMTP_PARALLEL=str(PARALLEL), BOUWSTROOM_DAILY_REPLAN="0")
            smtp = Smtp(args.source, os.path.join(tmp, "mbox"))
            try:
                scenario(args, env, url, smtp)
            finally:
                smtp.stop()
    except Exception:
        traceback.print_exc()
        rc = 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return bsit.finish() or rc


if __name__ == "__main__":
    sys.exit(main())
