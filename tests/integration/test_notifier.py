#!/usr/bin/python3
"""Alerts by e-mail and calendar feeds against the real binary, a real
PostgreSQL, a real SMTP server on loopback (tests/smtp/server.py on Debian
python3-aiosmtpd) and real HTTP.

Uses the shipped sample municipality (adapters/sample), so it needs no shared data.
"""
import argparse
import datetime
import email
import email.policy
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, fresh_database, psql  # noqa: E402

MAIL_FROM = "alerts@bouwstroom.test"


class Smtp:
    """The loopback SMTP server; messages land in DIR as NNNNNN.eml / .json. delay: seconds
    before each final 250; hold_file: while it exists, RCPT TO is not answered; port: listen on
    this port (a relay started again where the old one was), else a free one (server.py)."""

    def __init__(self, source, outdir, delay=0.0, hold_file=None, port=None):
        self.outdir = outdir
        cmd = ["/usr/bin/python3", os.path.join(source, "tests", "smtp", "server.py"), outdir]
        if delay:
            cmd += ["--delay", str(delay)]
        if hold_file:
            cmd += ["--hold-file", hold_file]
        if port:
            cmd += ["--port", str(port)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError("SMTP test server did not start (python3-aiosmtpd missing?)")
        self.url = "smtp://127.0.0.1:" + line.split()[1]

    def messages(self):
        out = []
        for f in sorted(glob.glob(os.path.join(self.outdir, "*.json"))):
            with open(f) as fh:
                out.append(json.load(fh))
            with open(f[:-len(".json")] + ".eml", "rb") as fh:
                out[-1]["raw"] = fh.read()
        return out

    def message_ids(self):
        """The Message-ID of every received message, in arrival order."""
        out = []
        for f in sorted(glob.glob(os.path.join(self.outdir, "*.json"))):
            with open(f) as fh:
                out.append(json.load(fh)["message_id"])
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


class Server:
    def __init__(self, binary, env, smtp_url, clock=None):
        args = [binary, "serve", "--port", "0", "--mail-from", MAIL_FROM]
        if smtp_url:
            args += ["--smtp-url", smtp_url]
        if clock:
            args += ["--clock", clock]
        # delivery is tested against a pinned plan: restarting at a later clock must not re-plan
        # (the daily re-plan is tested in test_planning_today.py)
        env = dict(env, BOUWSTROOM_DAILY_REPLAN="0")
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError("server did not start: " + line + self.proc.stderr.read())
        self.base = line.split()[-1].strip()
        self.api = Api(self.base)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return "timeout"
        return self.proc.returncode


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(pred, timeout=20.0, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def create(api, path, body, what):
    st, _, doc = api.json("POST", path, body)
    eq(st, 201, what)
    return doc or {}


def scenario(args, env, url, smtp, tmp):
    r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson"),
                        "--source", "sample"], env=env, capture_output=True, text=True)
    eq(r.returncode, 0, "import sample " + r.stderr)
    pid = {row.split("|")[0]: row.split("|")[1] for row in
           psql(url, "SELECT name, id FROM projects WHERE source = 'sample'").splitlines()}

    # the wall clock is pinned, so that which milestones are overdue or upcoming does not
    # depend on the day the test runs: the server starts at BASE and runs on from there
    base_epoch = int(datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.timezone.utc).timestamp())
    # `serve --clock` keeps its offset in whole seconds from time(NULL) at its start (floor), so
    # its clock is BASE + (now - floor(start)); start >= real0, hence floor(real0) bounds it
    real0 = int(time.time())
    bsit.provision(args.binary, env)  # the test operator's token: Api uses it
    srv = Server(args.binary, env, smtp.url, clock=iso(base_epoch))
    api = srv.api
    try:
        print("== validation")
        expect_problem(api, "POST", "/api/v1/organisations", 422, "name", "organisation without name", body={})
        expect_problem(api, "POST", "/api/v1/organisations", 422, "kind", "bad organisation kind",
                       body={"name": "x", "kind": "bank"})
        expect_problem(api, "POST", "/api/v1/organisations", 400, "body", "malformed JSON", raw=b"{")
        create(api, "/api/v1/organisations", {"name": "Gemeente Voorbeeldstad (API)"}, "create organisation")
        # the municipality the import made owns the sample plans: its users may follow them
        org = {"id": psql(url, "SELECT id FROM organisations WHERE import_key = 'gemeente:Voorbeeldstad'")}
        dev_org = create(api, "/api/v1/organisations", {"name": "Bouwbedrijf Zuid", "kind": "ontwikkelaar"},
                         "create developer organisation")
        expect_problem(api, "POST", "/api/v1/users", 422, "organisation_id", "user of unknown organisation",
                       body={"organisation_id": str(uuid.uuid4()), "email": "a@b.nl"})
        expect_problem(api, "POST", "/api/v1/users", 422, "email", "bad e-mail",
                       body={"organisation_id": org["id"], "email": "no-at-sign"})
        expect_problem(api, "POST", "/api/v1/users", 422, "locale", "bad locale",
                       body={"organisation_id": org["id"], "email": "a@b.nl", "locale": "de"})
        expect_problem(api, "POST", "/api/v1/users", 422, "time_zone", "unknown time zone",
                       body={"organisation_id": org["id"], "email": "tz@b.nl", "time_zone": "Mars/Base"})
        expect_problem(api, "POST", "/api/v1/organisations", 422, "bogus", "unknown field",
                       body={"name": "x", "bogus": 1})
        expect_problem(api, "POST", f"/api/v1/projects/{uuid.uuid4()}/follows", 404, "id", "follow unknown project",
                       body={"user_id": str(uuid.uuid4())})

        def user(email_addr, **kw):
            body = {"organisation_id": kw.pop("org", org["id"]), "email": email_addr}
            body.update(kw)
            return create(api, "/api/v1/users", body, f"create user {email_addr}")["id"]

        pl = user("pl@voorbeeldstad.example", name="Petra Lünenborg")
        expect_problem(api, "POST", "/api/v1/users", 409, "email", "duplicate e-mail",
                       body={"organisation_id": org["id"], "email": "PL@voorbeeldstad.example"})
        en = user("en@voorbeeldstad.example", name="Dana Evans", locale="en")
        dev = user("dev@zuid.example", org=dev_org["id"], name="Dirk Ontwikkelaar")
        nobody = user("fail550@voorbeeldstad.example")
        flaky = user("temp451@voorbeeldstad.example")
        morning = user("digest@voorbeeldstad.example", digest=True)
        expect_problem(api, "POST", f"/api/v1/projects/{pid['Stationskwartier']}/follows", 422, "user_id",
                       "follow by unknown user", body={"user_id": str(uuid.uuid4())})
        expect_problem(api, "POST", f"/api/v1/projects/{pid['Stationskwartier']}/roles", 422, "stream",
                       "stream owner without stream", body={"user_id": pl, "role": "stream_owner"})
        expect_problem(api, "PUT", "/api/v1/alert-rules", 422, "days", "rule with bad days",
                       body={"organisation_id": org["id"], "kind": "milestone_upcoming", "days": -1})
        st, _, rule = api.json("PUT", "/api/v1/alert-rules", {"organisation_id": org["id"],
                                                              "kind": "milestone_upcoming", "days": 5})
        check(st in (200, 201) and rule and rule.get("days") == 5, "organisation rule saved", rule)
        st, _, rules = api.json("GET", f"/api/v1/alert-rules?organisation_id={org['id']}")
        eq([x["kind"] for x in rules["results"]], ["milestone_upcoming"], "rules listed")
        eq(psql(url, "SELECT count(*) FROM alerts"), "0", "imported projects have no recipients: no alerts")

        print("== a new follower gets one summary of what is already late (Dutch)")
        p_old = pid["Stationskwartier"]  # planstatus 1A, progress date 2020: milestones overdue by now
        create(api, f"/api/v1/projects/{p_old}/follows", {"user_id": pl}, "follow")
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_old}/follows", {"user_id": pl})
        eq(st, 409, "second follow is a conflict")

        def count(sql):
            return int(psql(url, sql))

        # this server's clock: BASE plus the real time elapsed since it started (pinned, so
        # what is late does not depend on the day the test runs)
        def clock_now():
            return f"(to_timestamp({base_epoch}) + (now() - to_timestamp({real0})))"

        due = f"status <> 'superseded' AND due_at <= {clock_now()}"
        late = "kind IN ('milestone_overdue', 'blocked_by_other_stream')"
        wait_for(lambda: psql(url, f"SELECT summarised_at IS NOT NULL FROM follows "
                                   f"WHERE project_id = '{p_old}' AND user_id = '{pl}'") == "t")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND kind = 'follow_summary'"), 1,
           "exactly one follow_summary alert for the new follower")
        # due at once (decision, docs/alerts.md), by the pinned clock: after BASE and no later than
        # the server's now, i.e. long before the next 07:00 local (2026-12-01 06:00 UTC)
        sq = f"FROM alerts WHERE user_id = '{pl}' AND kind = 'follow_summary'"
        s_due = int(psql(url, f"SELECT extract(epoch FROM due_at)::bigint {sq}"))
        check(base_epoch <= s_due and psql(url, f"SELECT due_at <= {clock_now()} {sq}") == "t",
              "the summary is due immediately (pinned clock), not at 07:00 the next morning", (s_due, base_epoch))
        eq(psql(url, f"SELECT digest {sq}"), "f", "the summary is never held for a digest")
        items = json.loads(psql(url, f"SELECT payload::text {sq}"))["items"]
        late_rows = psql(url, f"SELECT kind || '|' || step_key || '|' || (payload->>'step_name') FROM alerts "
                              f"WHERE user_id = '{pl}' AND project_id = '{p_old}' AND {late} "
                              f"AND due_at <= {clock_now()}").splitlines()
        late_rows.sort()
        kinds = {r.split("|")[0] for r in late_rows}
        check(len(late_rows) > 1 and kinds == {"milestone_overdue", "blocked_by_other_stream"},
              "the followed project has overdue milestones and blocked steps", late_rows)
        eq(sorted(f"{it['kind']}|{it['step_key']}|{it['step_name']}" for it in items), late_rows,
           "the summary lists every overdue milestone and every blocked step")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND {late} AND status <> 'superseded'"), 0,
           "no single overdue or blocked alert for what was already late when they followed")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND {due} "
                               "AND status <> 'sent'") == 0)
        n_pl = count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND {due}")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND status = 'sent'"), n_pl, "all due sent")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{pl}' AND NOT (due_at <= {clock_now()}) "
                 "AND status NOT IN ('scheduled', 'superseded')"), 0, "alerts not yet due wait")
        mails = [m for m in smtp.messages() if "pl@voorbeeldstad.example" in m["rcpt_tos"]]
        eq(len(mails), n_pl, "one mail per due alert (the summary and nothing late singly)")
        ids = set(psql(url, f"SELECT '<' || message_id || '>' FROM alerts WHERE user_id = '{pl}' AND {due}").splitlines())
        eq({m["message_id"] for m in mails}, ids, "Message-IDs are the alerts' stable ids")
        check(not [m for m in mails if m["subject"].startswith(("Mijlpaal verlopen", "Geblokkeerd"))],
              "no single overdue or blocked mail", [m["subject"] for m in mails])
        smail = [m for m in mails if "al te laat" in m["subject"]]
        eq(len(smail), 1, "one summary mail")
        m0 = smail[0] if smail else mails[0]
        eq(m0["subject"], f"Bouwstroom: Stationskwartier (Voorbeeldstad): {len(items)} punten al te laat",
           "Dutch summary subject names the project and the count")
        eq(m0["content_type"], "multipart/alternative", "MIME multipart/alternative")
        eq([p["type"] for p in m0["parts"]], ["text/plain", "text/html"], "text and HTML parts")
        eq(m0["defects"], [], "no MIME defects")
        check(m0["max_line_octets"] <= 78 and m0["crlf_only"], "lines <= 78 octets, CRLF", m0["max_line_octets"])
        eq(m0["to"], "Petra Lünenborg <pl@voorbeeldstad.example>", "UTF-8 display name (RFC 2047)")
        text = m0["parts"][0]["text"]
        eq(text.count("\n- "), len(items), "the summary has one line per late item")
        for it in items:
            word = "Mijlpaal verlopen: " if it["kind"] == "milestone_overdue" else "Geblokkeerd: "
            check(f"- {word}{it['step_name']} (Stationskwartier)" in text.replace("\n  ", " ")
                  and f"/steps/{it['step_key']}" in text, f"the summary names {it['step_key']}", text[:300])
        check("/settings/alerts" in text, "the summary links to the alert settings")
        check(b"List-Unsubscribe" not in m0["raw"], "the summary carries no List-Unsubscribe (no rule kind)")
        expect_problem(api, "PUT", "/api/v1/alert-rules", 422, "kind", "follow_summary is no rule kind",
                       body={"user_id": pl, "kind": "follow_summary", "enabled": False})
        eq(psql(url, "SELECT count(*) FROM alerts WHERE project_id IS NOT NULL AND kind <> 'follow_summary' AND "
                     "extract(hour FROM due_at AT TIME ZONE 'Europe/Amsterdam') <> 7"), "0",
           "every single alert is due at 07:00 Amsterdam time, summer and winter (DST)")
        check(count("SELECT count(DISTINCT extract(hour FROM due_at AT TIME ZONE 'UTC')) FROM alerts "
                    "WHERE kind <> 'follow_summary'") == 2, "due times span both UTC offsets (CET and CEST)")

        print("== English, 550, 451")
        create(api, f"/api/v1/projects/{p_old}/follows", {"user_id": en}, "follow (en)")
        create(api, f"/api/v1/projects/{p_old}/follows", {"user_id": nobody}, "follow (550)")
        # both summaries first: read after their plans committed, "none waiting" means all were sent
        wait_for(lambda: count(f"SELECT count(DISTINCT user_id) FROM alerts WHERE user_id IN ('{en}', '{nobody}') "
                               "AND kind = 'follow_summary'") == 2
                 and count(f"SELECT count(*) FROM alerts WHERE user_id IN ('{en}', '{nobody}') "
                           f"AND status IN ('scheduled','pending') AND {due}") == 0)
        en_mail = [m for m in smtp.messages() if "en@voorbeeldstad.example" in m["rcpt_tos"]]
        eq([m["subject"] for m in en_mail if "late" in m["subject"]],
           [f"Bouwstroom: Stationskwartier (Voorbeeldstad): {len(items)} items already late"],
           "English summary subject")
        failed = psql(url, f"SELECT status || '|' || reply_code || '|' || last_error FROM alerts "
                           f"WHERE user_id = '{nobody}' AND {due} LIMIT 1")
        check(failed.startswith("failed|550|") and "550" in failed, "550: failed, reply kept", failed)
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{nobody}' AND status <> 'failed' AND {due}"), 0,
           "550: every alert to that mailbox failed (not retried)")
        check(not [m for m in smtp.messages() if "fail550@voorbeeldstad.example" in m["rcpt_tos"]],
              "550: nothing delivered")

        create(api, f"/api/v1/projects/{p_old}/follows", {"user_id": flaky}, "follow (451)")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{flaky}' AND attempts >= 2") > 0, 10)
        retried = psql(url, f"SELECT status || '|' || coalesce(last_error, '') FROM alerts WHERE user_id = '{flaky}' "
                            "AND attempts >= 2 LIMIT 1")
        check(retried != "", "451: an alert was retried", retried)
        # the retry waits for its backoff (1 s in this test)
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{flaky}' AND status <> 'sent' "
                               f"AND {due}") == 0, 20)
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{flaky}' AND status <> 'sent' AND {due}"), 0,
           "451 then 250: delivered after backoff")

        print("== calendar feed")
        expect_problem(api, "POST", "/api/v1/feed-tokens", 422, "project_id", "project feed without project",
                       body={"scope": "project"})
        tok = create(api, "/api/v1/feed-tokens", {"scope": "project", "project_id": p_old, "label": "test"},
                     "create project feed token")
        check(len(tok.get("token", "")) == 64 and tok["url"].endswith(".ics"), "token shown once, with its URL", tok)
        eq(psql(url, f"SELECT count(*) FROM feed_tokens WHERE token_hash = '{tok['token']}'"), "0",
           "token stored only as a hash")
        feed_path = f"/calendar/{tok['token']}.ics"
        st, h1, body1 = api.call("GET", feed_path)
        eq((st, h1), (200, "text/calendar; charset=utf-8"), "feed served")
        text1 = body1.decode()
        n_events = text1.count("BEGIN:VEVENT")
        check(n_events > 5, "feed has events", n_events)
        check(all(len(line.encode()) <= 75 for line in text1.split("\r\n")), "feed lines <= 75 octets")
        unfolded = text1.replace("\r\n ", "")
        check("Gepland: 20" in unfolded and "Prognose einde: P50 20" in unfolded,
              "feed descriptions show planned and forecast (P50/P80) dates", unfolded[:600])
        url_lines = [ln for ln in unfolded.split("\r\n") if ln.startswith("URL:")]
        check(len(url_lines) == n_events and all(re.fullmatch(rf"URL:https?://\S+/projects/{p_old}/steps/[a-z0-9_]+", ln)
                                                 for ln in url_lines),
              "every event's URL opens the step's page of the web app", url_lines[:2])
        try:
            import icalendar  # Debian python3-icalendar
            cal = icalendar.Calendar.from_ical(body1)
            eq(len(cal.walk("VEVENT")), n_events, "python3-icalendar parses the feed")
        except ImportError:
            check(False, "python3-icalendar installed", "missing")
        # the served feed through libical and ical.js (npm) as well
        feed_file = os.path.join(tmp, "served.ics")
        with open(feed_file, "wb") as fh:
            fh.write(body1)
        parse_tool = os.path.join(os.path.dirname(args.binary), "ical_parse")
        r = subprocess.run([parse_tool, feed_file], capture_output=True, text=True)
        eq((r.returncode, f"events={n_events} errors=0" in r.stdout), (0, True), "libical parses the served feed")
        npm_dir = os.path.join(os.path.dirname(args.binary), "ical-external", "npm")
        r = subprocess.run(["sh", os.path.join(args.source, "tests", "ical", "npm_install.sh"), npm_dir],
                           capture_output=True, text=True)
        eq(r.returncode, 0, "ical.js installed (npm) " + r.stderr[-300:])
        js = ("const {createRequire}=require('module');const path=require('path');"
              "const req=createRequire(path.join(path.resolve(process.argv[1]),'package.json'));"
              "const ICAL=req('ical.js');const fs=require('fs');"
              "const c=new ICAL.Component(ICAL.parse(fs.readFileSync(process.argv[2],'utf8')));"
              "const ev=c.getAllSubcomponents('vevent');"
              "console.log(ev.length+' '+ev.map(e=>e.getFirstPropertyValue('uid')).join(','));")
        r = subprocess.run(["node", "-e", js, npm_dir, feed_file], capture_output=True, text=True)
        uids = [l.split(":", 1)[1] for l in text1.replace("\r\n ", "").split("\r\n") if l.startswith("UID:")]
        check(r.returncode == 0 and r.stdout.split()[0] == str(n_events) and r.stdout.split()[1] == ",".join(uids),
              "ical.js parses the served feed (events and UIDs)", (r.stdout[:200], r.stderr[-300:]))
        time.sleep(1.1)
        import urllib.request
        req = urllib.request.Request(srv.base + feed_path)
        with urllib.request.urlopen(req) as resp:
            etag = resp.headers["ETag"]
            text2 = resp.read().decode()
        strip = lambda t: [l for l in t.split("\r\n") if not l.startswith("DTSTAMP:")]  # noqa: E731
        eq(strip(text2), strip(text1), "re-render identical apart from DTSTAMP")
        st, _, _ = api.call("GET", feed_path, headers={"If-None-Match": etag})
        eq(st, 304, "If-None-Match with the current ETag: 304")
        # a date change raises SEQUENCE and changes the ETag
        seq_before = psql(url, f"SELECT sum(revision) FROM milestone_dates WHERE project_id = '{p_old}'")
        st, _, sched = api.json("GET", f"/api/v1/projects/{p_old}/schedule")
        first_open = next(s for s in sched["steps"] if s["status"] == "open" and not s["milestone"])
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_old}/steps/{first_open['key']}/complete",
                            {"date": "2026-11-02"})
        eq(st, 200, "complete a step")
        wait_for(lambda: psql(url, f"SELECT sum(revision) FROM milestone_dates WHERE project_id = '{p_old}'")
                 != seq_before)
        st, _, body3 = api.call("GET", feed_path, headers={"If-None-Match": etag})
        eq(st, 200, "after a change the old ETag no longer matches")
        check("SEQUENCE:1" in body3.decode(), "changed events carry SEQUENCE:1")
        # a user's feed (every followed project) and one stream of a project
        utok = create(api, "/api/v1/feed-tokens", {"scope": "user", "user_id": pl}, "user feed token")
        st, _, ub = api.call("GET", f"/calendar/{utok['token']}.ics")
        eq(st, 200, "user feed served")
        check(ub.decode().count("BEGIN:VEVENT") >= n_events, "user feed holds the followed project's events",
              ub.decode().count("BEGIN:VEVENT"))
        stok = create(api, "/api/v1/feed-tokens", {"scope": "stream", "project_id": p_old, "stream": "private"},
                      "stream feed token")
        st, _, sb = api.call("GET", f"/calendar/{stok['token']}.ics")
        sev = sb.decode().count("BEGIN:VEVENT")
        check(st == 200 and 0 < sev < n_events and "Stroom: gemeente" not in sb.decode().replace("\r\n ", "")
              and "Stroom: ontwikkelaar" in sb.decode().replace("\r\n ", ""),
              "stream feed holds only the developer's steps", (st, sev, n_events))
        st, _, _ = api.call("DELETE", f"/api/v1/feed-tokens/{tok['id']}")
        eq(st, 204, "revoke token")
        expect_problem(api, "GET", feed_path, 404, "token", "revoked feed")
        expect_problem(api, "GET", "/calendar/" + "0" * 64 + ".ics", 404, "token", "unknown feed")

        print("== durable timer: fires within 1 s of its due time, once, across restarts")
        p_new = pid["Polder Noord"]  # 4A: future milestones → upcoming alerts
        create(api, f"/api/v1/projects/{p_new}/follows", {"user_id": pl}, "follow a project with future milestones")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' AND status = 'scheduled' "
                               "AND kind = 'milestone_upcoming'") > 0)
        due_id, due_epoch = psql(url, f"SELECT id, extract(epoch FROM due_at)::bigint FROM alerts "
                                      f"WHERE project_id = '{p_new}' AND status = 'scheduled' "
                                      "ORDER BY due_at LIMIT 1").split("|")
        due_epoch = int(due_epoch)
        eq(srv.stop(), 0, "SIGTERM: clean exit")
        srv = Server(args.binary, env, smtp.url, clock=iso(due_epoch - 5))
        api = srv.api
        # What is asserted is the order of events by the server's own (injected) clock: the
        # timer did not fire before the due time, and fired at it — not after a safety poll
        # (60 s) nor at the next start. The bound after the due time is generous (30 s) so that a
        # busy machine (a slow start under ASan) cannot fail it; on an idle machine it is < 1 s.
        sent = wait_for(lambda: psql(url, f"SELECT extract(epoch FROM sent_at) FROM alerts "
                                          f"WHERE id = '{due_id}' AND status = 'sent'"), 60, 0.05)
        check(sent and due_epoch <= float(sent) < due_epoch + 30,
              "sent at its due time, not before (injected clock)", f"sent {sent} due {due_epoch}")
        mid = psql(url, f"SELECT '<' || message_id || '>' FROM alerts WHERE id = '{due_id}'")
        eq(srv.stop(signal.SIGKILL), -9, "kill -9")
        srv = Server(args.binary, env, smtp.url, clock=iso(due_epoch + 600))
        api = srv.api
        missed = wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' "
                                        f"AND status = 'sent' AND id <> '{due_id}' "
                                        f"AND due_at <= to_timestamp({due_epoch + 600})"), 60)
        check(missed and missed >= 1, "alerts that fell due while down fired at start", missed)
        eq(sum(1 for m in smtp.messages() if m["message_id"] == mid), 1, "fired once, never twice across restarts")

        print("== a due time on the day summer time starts (2027-03-28)")
        srv.stop()
        dst_due = int(datetime.datetime(2027, 3, 28, 5, 0, tzinfo=datetime.timezone.utc).timestamp())
        psql(url, f"INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, message_id) "
                  f"SELECT '{p_new}', 'start_bouw', 'milestone_upcoming', 9999, '{pl}', "
                  f"(date '2027-03-28' + time '07:00') AT TIME ZONE 'Europe/Amsterdam', "
                  f"jsonb_build_object('project_id', '{p_new}', 'project_name', 'Polder Noord', 'step_key', 'start_bouw', "
                  f"'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-04-12'), 'alert.dst@bouwstroom.test'")
        eq(psql(url, "SELECT extract(epoch FROM due_at)::bigint FROM alerts WHERE message_id = 'alert.dst@bouwstroom.test'"),
           str(dst_due), "07:00 Amsterdam on 2027-03-28 is 05:00 UTC (CEST from 01:00 UTC)")
        srv = Server(args.binary, env, smtp.url, clock=iso(dst_due - 3 * 3600 - 5))  # 00:59:55 UTC, before the switch
        api = srv.api
        time.sleep(6)
        eq(psql(url, "SELECT status FROM alerts WHERE message_id = 'alert.dst@bouwstroom.test'"), "scheduled",
           "not sent across the switch at 01:00 UTC")
        srv.stop()
        srv = Server(args.binary, env, smtp.url, clock=iso(dst_due - 3))
        api = srv.api
        sent = wait_for(lambda: psql(url, "SELECT extract(epoch FROM sent_at) FROM alerts "
                                          "WHERE message_id = 'alert.dst@bouwstroom.test' AND status = 'sent'"), 60, 0.05)
        check(sent and dst_due <= float(sent) < dst_due + 30, "fires at 05:00 UTC (07:00 CEST), not before", sent)

        print("== forecast slipped")
        st, _, sch = api.json("GET", f"/api/v1/projects/{p_new}/schedule")
        crit = next(s for s in sch["steps"] if s["status"] == "open" and s["critical"] and not s["milestone"]
                    and s["key"] != "nazorg")
        n_slip0 = count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' AND kind = 'forecast_slipped'")
        eq(n_slip0, 0, "no slip alerts before a change")
        dur = next(x for x in api.json("GET", "/api/v1/process-schemas/ppm-woningbouw")[2]["steps"]
                   if x["key"] == crit["key"])["duration"]["value"]
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{p_new}/steps/{crit['key']}",
                            {"duration": dur + 200, "reason": "grondwateronderzoek uitgebreid"})
        eq(st, 200, "PATCH a critical step's duration (+200)")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' "
                               "AND kind = 'forecast_slipped'") > 0, 20)
        slip = psql(url, f"SELECT payload->>'date', payload->>'baseline_p50' FROM alerts WHERE project_id = '{p_new}' "
                         "AND kind = 'forecast_slipped' ORDER BY payload->>'date' LIMIT 1")
        check(slip and "|" in slip and slip.split("|")[0] > slip.split("|")[1],
              "forecast_slipped: P50 later than its baseline", slip)

        print("== update received from an external party")
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_new}/roles", {"user_id": pl, "role": "projectleider"})
        eq(st, 201, "projectleider role")
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_new}/roles", {"user_id": pl, "role": "projectleider"})
        eq(st, 409, "the same role twice is a conflict")
        st, _, sch = api.json("GET", f"/api/v1/projects/{p_new}/schedule")
        first_private = next(s for s in sch["steps"] if s["status"] == "open" and s["stream"] == "private"
                             and not s["milestone"])
        # the developer is invited to the project (their organisation gets the private stream)
        st, _, inv = api.json("POST", f"/api/v1/projects/{p_new}/invitations", {"email": "dev@zuid.example"})
        eq((st, inv and inv.get("user_id")), (201, dev), "the external developer is invited to the project")
        # the invitation is mailed through the outbox; the mail carries the secret (derived from the
        # server key, never stored), which sets the password
        inv_mail = wait_for(lambda: [m for m in smtp.messages() if "dev@zuid.example" in m["rcpt_tos"]
                                     and "Uitnodiging" in m["subject"]], 20)
        check(inv_mail and "Stationskwartier" not in inv_mail[0]["subject"], "the invitation is mailed (Dutch)",
              [m["subject"] for m in smtp.messages()][-3:])
        if inv_mail and inv:
            text = inv_mail[0]["parts"][0]["text"]
            check(inv["token"] in text, "the mailed secret is the one the API returned", text[:400])
            check(f"/invitation#token={inv['token']}" in text and inv.get("accept_url", "").endswith(
                f"/invitation#token={inv['token']}"), "the mail and the API link to the app's invitation page", text[:400])
            check(inv["token"] not in psql(url, "SELECT string_agg(a::text, ' ') FROM alerts a")
                  and inv["token"] not in psql(url, "SELECT string_agg(i::text, ' ') FROM invitations i"),
                  "the invitation secret is stored nowhere (only its hash)", "")
            st, _, acc = api.json("POST", "/api/v1/invitations/accept",
                                  {"token": inv["token"], "password": "ontwikkelaar-wachtwoord"})
            eq((st, acc and acc.get("email")), (200, "dev@zuid.example"), "the mailed secret sets the password")
        dev_auth = {"Authorization": "Bearer " + bsit.token_for(args.binary, env, "dev@zuid.example")}
        # the alert's payload carries the project as the write read it (before the write)
        before = psql(url, f"SELECT name || '|' || gemeente || '|' || coalesce(progress_date::text, '') "
                           f"FROM projects WHERE id = '{p_new}'")
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{p_new}/steps/{first_private['key']}",
                            {"start_no_earlier_than": first_private["early_start"], "reason": "planning aannemer"},
                            headers=dev_auth)
        eq(st, 200, "an external developer updates their step")
        # committed with the change itself: present the moment the 200 arrives
        eq(count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' AND kind = 'external_update'"), 1,
           "the external-update alert is committed in the change's own transaction")
        ext = psql(url, f"SELECT user_id || '|' || (payload->>'author_organisation') || '|' || (payload->>'changes') "
                        f"FROM alerts WHERE project_id = '{p_new}' AND kind = 'external_update'").splitlines()
        check(len(ext) == 1 and ext[0].startswith(pl) and "Bouwbedrijf Zuid" in ext[0]
              and "start_no_earlier_than" in ext[0], "external update alert to the projectleider, not the author", ext)
        eq(psql(url, f"SELECT (payload->>'project_name') || '|' || (payload->>'gemeente') || '|' || "
                     f"coalesce(payload->>'progress_date', '') FROM alerts WHERE project_id = '{p_new}' "
                     "AND kind = 'external_update'"), before, "the alert's project name, gemeente and progress date")
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{p_new}/steps/{first_private['key']}",
                            {"start_no_earlier_than": None, "reason": "intern"},
                            headers={"Authorization": "Bearer " + bsit.token_for(args.binary, env,
                                                                                  "pl@voorbeeldstad.example")})
        eq(st, 200, "a municipal user updates the step")
        time.sleep(2)
        eq(count(f"SELECT count(*) FROM alerts WHERE project_id = '{p_new}' AND kind = 'external_update'"), 1,
           "a municipal change raises no external-update alert")

        print("== digest")
        # plan the digest user's alerts the evening before (22:00 Amsterdam time)
        srv.stop()
        evening = int(base_epoch + 86400 + 12 * 3600)
        srv = Server(args.binary, env, smtp.url, clock=iso(evening))
        api = srv.api
        # a project with a past (progress date 2020): the digest user follows it (one summary) and
        # is projectleider of another (a role, not a follow: single alerts, held for the digest)
        p_park, p_tuin = pid["Parkrand"], pid["Tuinen van West"]
        create(api, f"/api/v1/projects/{p_park}/follows", {"user_id": morning}, "follow (digest user)")
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_tuin}/roles", {"user_id": morning, "role": "projectleider"})
        eq(st, 201, "projectleider role (digest user)")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND project_id = '{p_tuin}'") > 0
                 and count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND kind = 'follow_summary' "
                           "AND status = 'sent'") == 1)
        time.sleep(1)
        n_dig = count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND digest AND status = 'scheduled'")
        check(n_dig > 0, "digest user's alerts are held for the digest", n_dig)
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND kind <> 'follow_summary' "
                 "AND status NOT IN ('scheduled', 'superseded')"), 0, "no digest before 07:00")
        # a digest user's summary stands alone, sent at once in the evening (decision, docs/alerts.md)
        eq(psql(url, f"SELECT digest || '|' || (sent_at < to_timestamp({evening}) + interval '1 hour') FROM alerts "
                     f"WHERE user_id = '{morning}' AND kind = 'follow_summary'"), "false|true",
           "the digest user's summary is not held for the digest: sent the evening they followed")
        check([m for m in smtp.messages() if "digest@voorbeeldstad.example" in m["rcpt_tos"]
               and "al te laat" in m["subject"]], "the digest user got the summary mail")
        srv.stop()
        # the next morning 07:30 Amsterdam time
        local_now = datetime.datetime.fromtimestamp(base_epoch, datetime.timezone.utc) + datetime.timedelta(days=2)
        morning_utc = local_now.replace(hour=6, minute=30, second=0, microsecond=0)
        srv = Server(args.binary, env, smtp.url, clock=iso(morning_utc.timestamp()))
        api = srv.api
        dmails = lambda: [m for m in smtp.messages() if "digest@voorbeeldstad.example" in m["rcpt_tos"]  # noqa: E731
                          and "al te laat" not in m["subject"]]
        wait_for(dmails, 15)
        dmails = dmails()
        eq(len(dmails), 1, "one digest mail")
        check(dmails and "melding" in dmails[0]["subject"], "digest subject", dmails and dmails[0]["subject"])
        closed = count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND digest AND status = 'digested' "
                       "AND digest_id IS NOT NULL")
        n_dig = count(f"SELECT count(*) FROM alerts WHERE user_id = '{morning}' AND digest "
                      f"AND status <> 'superseded' AND due_at <= to_timestamp({int(morning_utc.timestamp())})")
        eq(closed, n_dig, "the digest closed every alert due by then")
        check(dmails and dmails[0]["parts"][0]["text"].count("\n- ") == n_dig, "digest lists every alert")

        print("== SMTP down: nothing lost")
        srv.stop()
        smtp.stop()
        dead_port = smtp.url  # nothing listens there any more
        srv = Server(args.binary, env, dead_port, clock=iso(morning_utc.timestamp()))
        api = srv.api
        p3 = pid["Kerkplein"]
        create(api, f"/api/v1/projects/{p3}/follows", {"user_id": pl}, "follow while SMTP is down")
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE project_id = '{p3}' AND attempts > 0") > 0, 15)
        waiting = psql(url, f"SELECT count(*) || '|' || count(*) FILTER (WHERE last_error IS NOT NULL) FROM alerts "
                            f"WHERE project_id = '{p3}' AND status IN ('scheduled','pending')")
        n3, with_err = (int(x) for x in waiting.split("|"))
        check(n3 > 0 and with_err > 0, "alerts kept with the connection error", waiting)
        srv.stop()
        smtp2 = Smtp(args.source, os.path.join(tmp, "mbox2"))
        try:
            srv = Server(args.binary, env, smtp2.url, clock=iso(morning_utc.timestamp() + 7200))
            api = srv.api
            wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE project_id = '{p3}' "
                                   "AND status IN ('scheduled','pending') AND due_at <= to_timestamp("
                                   f"{int(morning_utc.timestamp())})") == 0, 20)
            eq(count(f"SELECT count(*) FROM alerts WHERE project_id = '{p3}' AND status IN ('scheduled','pending') "
                     f"AND due_at <= to_timestamp({int(morning_utc.timestamp())})"), 0,
               "server back: everything due delivered")

            print("== kill -9 in the middle of a batch")
            killer = user("batch@voorbeeldstad.example")
            # a batch of many alerts: as projectleider (a follower would get one summary per project)
            for name in ("Molenweide", "Oude Haven fase 1", "Oude Haven fase 2", "Dijkwoningen", "Marktveld",
                         "Schoolstraat (voormalige basisschool)"):
                create(api, f"/api/v1/projects/{pid[name]}/roles", {"user_id": killer, "role": "projectleider"},
                       f"projectleider of {name}")
            wait_for(lambda: [m for m in smtp2.messages() if "batch@voorbeeldstad.example" in m["rcpt_tos"]], 20,
                     0.01)
            srv.stop(signal.SIGKILL)
            unsent_at_kill = count(f"SELECT count(*) FROM alerts WHERE user_id = '{killer}' AND status <> 'sent'")
            check(unsent_at_kill > 0, "the kill came in the middle of the batch (alerts still unsent)", unsent_at_kill)
            unrecorded = set(psql(url, f"SELECT '<' || message_id || '>' FROM alerts WHERE user_id = '{killer}' "
                                       "AND status = 'pending'").splitlines())
            srv = Server(args.binary, env, smtp2.url, clock=iso(morning_utc.timestamp() + 7200 + 600))
            api = srv.api
            due_cut = int(morning_utc.timestamp() + 7200)
            # the alerts of the six role grants are planned asynchronously (notifier_dirty), and some
            # of that planning may only happen after the restart: wait until none is left to plan and
            # none is unsent, in one snapshot (a project leaves notifier_dirty in the transaction
            # that writes its alerts)
            batch_projects = ", ".join(f"'{pid[name]}'" for name in (
                "Molenweide", "Oude Haven fase 1", "Oude Haven fase 2", "Dijkwoningen", "Marktveld",
                "Schoolstraat (voormalige basisschool)"))
            wait_for(lambda: count(f"SELECT (SELECT count(*) FROM notifier_dirty WHERE project_id IN ({batch_projects}))"
                                   f" + (SELECT count(*) FROM alerts WHERE user_id = '{killer}' "
                                   f"AND status <> 'sent' AND due_at <= to_timestamp({due_cut}))") == 0, 60)
            total = count(f"SELECT count(*) FROM alerts WHERE user_id = '{killer}' AND due_at <= to_timestamp({due_cut})")
            eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{killer}' AND status <> 'sent' "
                     f"AND due_at <= to_timestamp({due_cut})"), 0, "after restart every alert delivered")
            got = [m["message_id"] for m in smtp2.messages() if "batch@voorbeeldstad.example" in m["rcpt_tos"]]
            dups = {mid for mid in got if got.count(mid) > 1}
            check(dups <= unrecorded, "second copies only of messages whose 250 was not recorded",
                  f"dups {len(dups)}, unrecorded {len(unrecorded)}")
            alert_ids = psql(url, f"SELECT '<' || message_id || '>' FROM alerts WHERE user_id = '{killer}'").splitlines()
            check(set(got) <= set(alert_ids) and len(alert_ids) == len(set(alert_ids)),
                  "no alert under two Message-IDs")
            print(f"   kill -9 report: {total} alerts, {len(set(got))} delivered, {len(dups)} delivered twice "
                  f"(same Message-ID), {len(unrecorded)} in flight at the kill")

            print("== a milestone that becomes overdue after the follow alerts singly (Dutch, English, P50)")
            # the progress report above (complete a step) set Stationskwartier's progress date to
            # the day pl followed: its open milestones are promised from then on, none was late then
            st, _, sch = api.json("GET", f"/api/v1/projects/{p_old}/schedule")
            eq(st, 200, "schedule of the followed project")
            later = (datetime.datetime.fromisoformat(sch["data_date"]) + datetime.timedelta(days=3)).date().isoformat()
            ms = sorted((s["early_finish"], s["key"], s["name"]) for s in sch["steps"]
                        if s["milestone"] and s["status"] in ("open", "started") and s["early_finish"]
                        and s["early_finish"] > later)
            check(ms, "an open milestone in the future", sch["steps"][:3])
            m_date, m_key, m_name = ms[0]
            srv.stop()
            jump = datetime.datetime.fromisoformat(m_date).replace(hour=9, tzinfo=datetime.timezone.utc) \
                + datetime.timedelta(days=10)
            srv = Server(args.binary, env, smtp2.url, clock=iso(jump.timestamp()))
            api = srv.api
            newbie = user("late@voorbeeldstad.example")
            create(api, f"/api/v1/projects/{p_old}/follows", {"user_id": newbie}, "a follow re-plans the project")
            single = f"FROM alerts WHERE project_id = '{p_old}' AND kind = 'milestone_overdue' AND step_key = '{m_key}'"
            wait_for(lambda: count(f"SELECT count(*) {single} AND user_id IN ('{pl}', '{en}') "
                                   "AND status = 'sent'") == 2, 30)
            eq(psql(url, f"SELECT string_agg(status, ',') {single} AND user_id = '{pl}' AND status <> 'superseded'"),
               "sent", f"pl: one single overdue alert for {m_key}, which became late after the follow")
            nl_mail = [m for m in smtp2.messages() if "pl@voorbeeldstad.example" in m["rcpt_tos"]
                       and m["subject"].startswith(f"Mijlpaal verlopen: {m_name}")]
            check(len(nl_mail) == 1, "Dutch subject of the single overdue alert", [m["subject"] for m in smtp2.messages()
                                                                                    if "pl@" in m["to"]][-5:])
            if nl_mail:
                t0 = nl_mail[0]["parts"][0]["text"]
                check("Stationskwartier" in t0 and f"/projects/{p_old}/steps/{m_key}" in t0,
                      "text names the project and links to the step", t0[:300])
                check("P50" in t0 and "Gepland" in t0, "planned / P50 lines")
                p50_line = [ln for ln in t0.splitlines() if ln.startswith("P50")]
                check(p50_line and "20" in p50_line[0] and "prognose" not in p50_line[0],
                      "the mail carries the P50 forecast date", p50_line)
                check(b"List-Unsubscribe: " in nl_mail[0]["raw"] or b"List-Unsubscribe:\r\n" in nl_mail[0]["raw"],
                      "the single alert carries List-Unsubscribe (rule kind)")
            en_single = [m for m in smtp2.messages() if "en@voorbeeldstad.example" in m["rcpt_tos"]
                         and m["subject"].startswith(f"Milestone overdue: {m_name}")]
            eq(len(en_single), 1, "English subject of the single overdue alert")
            # the follower of now gets it in their summary, not singly
            wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{newbie}' "
                                   "AND kind = 'follow_summary'") == 1)
            n_items = psql(url, f"SELECT count(*) FROM alerts a, jsonb_array_elements(a.payload->'items') it "
                                f"WHERE a.user_id = '{newbie}' AND a.kind = 'follow_summary' "
                                f"AND it->>'step_key' = '{m_key}' AND it->>'kind' = 'milestone_overdue'")
            eq(n_items, "1", "a follower of now finds that milestone in their summary")
            eq(count(f"SELECT count(*) {single} AND user_id = '{newbie}' AND status <> 'superseded'"), 0,
               "and no single alert of it")
            eq(srv.stop(), 0, "SIGTERM: clean exit")
        finally:
            smtp2.stop()
    finally:
        srv.stop(signal.SIGKILL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-notifier-")
    rc = 0
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source,
                       BOUWSTROOM_SMTP_RETRY_BASE_S="1")
            smtp = Smtp(args.source, os.path.join(tmp, "mbox"))
            try:
                scenario(args, env, url, smtp, tmp)
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
