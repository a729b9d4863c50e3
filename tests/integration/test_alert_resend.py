#!/usr/bin/python3
"""Late news once (docs/alerts.md, "Late news once"), against the real binary, a real
PostgreSQL, the real SMTP server on loopback (tests/smtp/server.py) and real HTTP.

A projectleider of a project with a long past (the sample's Stationskwartier, facts of
1-7-2020) is mailed its overdue milestones and blocked steps on the first morning. The daily
re-plan after local midnight moves the data date, which raises the date revision of every
late milestone, so the same late items are planned again under new keys: they must not be
mailed again. A corrected promised date of one milestone is new news: exactly one new mail.

The servers' clocks are pinned (`serve --clock`): first 09:00 on Tue 1 December 2026
(Amsterdam), then 20 seconds before the next local midnight, then 09:00 on the next day. The test waits for what the
servers record (generous deadlines), never for an elapsed time.
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
from bsit import Api, check, eq, fresh_database, psql  # noqa: E402
from test_notifier import MAIL_FROM, Smtp, wait_for  # noqa: E402

MORNING = "2026-12-01T08:00:00Z"       # 09:00 CET
BEFORE_MIDNIGHT = "2026-12-01T22:59:40Z"
MORNING2 = "2026-12-02T08:00:00Z"     # 09:00 CET, the day after
DAY2 = "2026-12-02"
LATE = "kind IN ('milestone_overdue', 'blocked_by_other_stream')"


def serve(binary, env, smtp_url, clock):
    """A server with the daily re-plan on (unlike test_notifier.Server)."""
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--mail-from", MAIL_FROM, "--smtp-url", smtp_url,
                             "--clock", clock], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + line)
    return proc, Api(line.split()[-1].strip())


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def late_mails(smtp, rcpt):
    """(kind, step_key, date) of every received overdue/blocked mail to rcpt, from the alert
    row its Message-ID names (the mail itself is the evidence that it was delivered)."""
    ids = []
    for m in smtp.messages():
        if rcpt in m.get("rcpt_tos", []):
            for line in m["raw"].split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    ids.append(line.split(b":", 1)[1].strip().decode().strip("<>"))
    return ids


def scenario(args, env, url, smtp):
    sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
    r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                       text=True, timeout=300)
    eq(r.returncode, 0, "sample import " + r.stderr[-300:])
    pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND name = 'Stationskwartier'")
    bsit.provision(args.binary, env)
    org = psql(url, "SELECT id FROM organisations WHERE import_key = 'gemeente:Voorbeeldstad'")
    rcpt = "leider@voorbeeldstad.example"

    def mine(where=""):
        return f"FROM alerts WHERE project_id = '{pid}' AND user_id = '{leader}' AND {LATE} {where}"

    def delivered():
        """Message-IDs of the received late mails, once every late alert of the leader is
        delivered (none scheduled with a due time passed, none pending). Both counts come from
        one snapshot: read apart, "none open" could be read before the plan's alerts were
        committed and "some sent" after a few of them had gone out."""
        open_, sent = (int(x) for x in psql(
            url, f"SELECT count(*) FILTER (WHERE status IN ('scheduled', 'pending')), "
                 f"count(*) FILTER (WHERE status = 'sent') {mine()}").split("|"))
        got = [i for i in late_mails(smtp, rcpt) if i.startswith("alert.")]
        return got if open_ == 0 and sent > 0 and len(got) == sent else None

    print("== first morning: the projectleider is told what is late, once per item")
    proc, api = serve(args.binary, env, smtp.url, MORNING)
    try:
        st, _, u = api.json("POST", "/api/v1/users", {"organisation_id": org, "email": rcpt, "name": "Leider"})
        eq(st, 201, "projectleider created")
        leader = u["id"]
        st, _, _ = api.json("POST", f"/api/v1/projects/{pid}/roles", {"user_id": leader, "role": "projectleider"})
        eq(st, 201, "projectleider role")
        day1 = wait_for(delivered, 240)
        check(bool(day1), "the first morning's late alerts are mailed",
              psql(url, f"SELECT status, count(*) {mine()} GROUP BY status"))
    finally:
        stop(proc)
    day1 = day1 or []

    def revisions():
        return int(psql(url, f"SELECT COALESCE(sum(m.revision), 0) FROM milestone_dates m WHERE m.project_id = '{pid}' "
                             f"AND m.step_key IN (SELECT step_key {mine()})"))
    revs1 = revisions()
    check(len(day1) > 5, "many late items on the first morning (a plan of 2020)", len(day1))

    print("== the daily re-plan after midnight: same items, same dates, new revisions, no mail")
    proc, api = serve(args.binary, env, smtp.url, BEFORE_MIDNIGHT)
    try:
        run = wait_for(lambda: psql(url, f"SELECT count(*) > 0 FROM replan_runs WHERE day = '{DAY2}'")
                       == "t", 240)
        check(run, "the re-plan of the second day ran", psql(url, "SELECT * FROM replan_runs"))
        done = wait_for(lambda: psql(url, f"SELECT count(*) FROM notifier_dirty WHERE project_id = '{pid}'") == "0"
                        and revisions() > revs1, 240)
        check(done, "the re-plan raised the late milestones' date revisions (the case at hand)",
              (revs1, revisions()))
        after_claim = f"AND created_at > (SELECT claimed_at FROM replan_runs WHERE day = '{DAY2}')"
        eq(psql(url, f"SELECT count(*) {mine(after_claim)} "
                     "AND status NOT IN ('superseded')"), "0",
           "the re-plan plans no late alert to send (the recipient was told)")
        again = wait_for(delivered, 60) or []
        eq(sorted(again), sorted(day1), "no late mail after the re-plan")
        dup = psql(url, f"SELECT step_key || ' ' || kind || ' ' || (payload->>'date') || ' x' || count(*) "
                        f"{mine()} AND status IN ('sent', 'pending') "
                        "GROUP BY step_key, kind, payload->>'date' HAVING count(*) > 1")
        eq(dup, "", "each late item with its date is delivered once")

    finally:
        stop(proc)

    print("== the second morning (alerts due at 07:00 are due now): still no late mail")
    proc, api = serve(args.binary, env, smtp.url, MORNING2)
    try:
        again = wait_for(delivered, 60) or []
        eq(sorted(again), sorted(day1), "no late mail on the second morning (at 09:00)")

        print("== a new promised date is new news: mailed once")
        key = "laatste_oplevering"
        date = psql(url, f"SELECT payload->>'date' {mine()} AND kind = 'milestone_overdue' AND step_key = '{key}' "
                         "AND status = 'sent'")
        check(bool(date) and date < "2026-01-01", f"{key} was promised long ago", date)
        told = set(tuple(r.split("|")) for r in psql(
            url, f"SELECT kind, step_key, payload->>'date' {mine()} AND status = 'sent'").splitlines())
        # a plan edit without a step report (scenario apply) keeps the progress date, so the
        # facts as reported now promise a later date, still before today
        st, _, sc = api.json("POST", f"/api/v1/projects/{pid}/scenarios", {
            "name": "langer bouwen", "changes": [{"op": "set_duration", "step": "bouw_tot_laatste_oplevering",
                                                  "duration": 230}]})
        eq(st, 201, "scenario saved")
        st, _, body = api.json("POST", f"/api/v1/projects/{pid}/scenarios/{(sc or {}).get('id')}/apply",
                               {"reason": "aannemer meldt vertraging"})
        eq(st, 200, "scenario applied " + str(body)[:300])
        new = wait_for(lambda: (lambda d: d if d and len(d) > len(day1) else None)(delivered()), 240) or []
        extra = sorted(set(new) - set(day1))
        items = [tuple(psql(url, f"SELECT kind, step_key, payload->>'date' FROM alerts WHERE message_id = '{m}'")
                       .split("|")) for m in extra]
        moved = [i for i in items if i[:2] == ("milestone_overdue", key)]
        check(len(moved) == 1 and date < moved[0][2] < "2026-12-01", "the milestone's new promised date is mailed",
              (date, items))
        eq(len(items), len(set(items)), "each new item is mailed once")
        eq([i for i in items if i in told], [], "only items with a new date are mailed")
        dup = psql(url, f"SELECT step_key || ' ' || kind || ' ' || (payload->>'date') || ' x' || count(*) "
                        f"{mine()} AND status IN ('sent', 'pending') "
                        "GROUP BY step_key, kind, payload->>'date' HAVING count(*) > 1")
        eq(dup, "", "still each late item with its date delivered once")
    finally:
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-alert-resend-")
    rc = 0
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source,
                       BOUWSTROOM_SMTP_RETRY_BASE_S="1")
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
