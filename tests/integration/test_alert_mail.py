#!/usr/bin/python3
"""What alert mails and calendar feeds carry, against the real binary, a real PostgreSQL, the
real SMTP server on loopback (tests/smtp/server.py) and real HTTP:

- one-click unsubscribe (RFC 2369 List-Unsubscribe, RFC 8058 List-Unsubscribe-Post): the
  header is on the received mail, a GET of its URL changes nothing, a forged token is refused,
  a POST with "List-Unsubscribe=One-Click" and no credential turns that rule off for that user
  only, and no further alerts of that rule are mailed to them; the mail links to the alert
  settings;
- the external-update alert names the milestone (name and key) on every changed line;
- every calendar feed event's URL opens the step's page of the web app (/projects/{id}/steps/{key}).

Uses the shipped sample municipality (adapters/sample).
"""
import argparse
import datetime
import email
import email.policy
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import check, eq, fresh_database, psql  # noqa: E402
from test_notifier import Server, Smtp, create, iso, wait_for  # noqa: E402


def raw_mails(outdir, rcpt):
    """The received messages to rcpt, parsed, with their raw bytes, in arrival order."""
    out = []
    for f in sorted(glob.glob(os.path.join(outdir, "*.eml"))):
        with open(f, "rb") as fh:
            raw = fh.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if rcpt in str(msg.get("To")):
            out.append((raw, msg))
    return out


def text_part(msg):
    return msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def http(method, url, data=None, headers=None):
    """A plain HTTP request without any credential (as a mail client or scanner makes it)."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def scenario(args, env, url, smtp, tmp):
    r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson"),
                        "--source", "sample"], env=env, capture_output=True, text=True)
    eq(r.returncode, 0, "import sample " + r.stderr)
    pid = {row.split("|")[0]: row.split("|")[1] for row in
           psql(url, "SELECT name, id FROM projects WHERE source = 'sample'").splitlines()}
    base_epoch = int(datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.timezone.utc).timestamp())
    bsit.provision(args.binary, env)
    srv = Server(args.binary, env, smtp.url, clock=iso(base_epoch))
    api = srv.api
    mbox = smtp.outdir

    def count(sql):
        return int(psql(url, sql))

    try:
        org = psql(url, "SELECT id FROM organisations WHERE import_key = 'gemeente:Voorbeeldstad'")
        a = create(api, "/api/v1/users", {"organisation_id": org, "email": "anna@voorbeeldstad.example",
                                          "name": "Anna"}, "user a")["id"]
        b = create(api, "/api/v1/users", {"organisation_id": org, "email": "bert@voorbeeldstad.example",
                                          "name": "Bert"}, "user b")["id"]
        p_old = pid["Stationskwartier"]  # progress date 2020: milestones overdue
        # single overdue alerts: as projectleider (a new follower gets one summary instead,
        # test_notifier.py), each with its one-click unsubscribe
        for u in (a, b):
            create(api, f"/api/v1/projects/{p_old}/roles", {"user_id": u, "role": "projectleider"}, "projectleider")

        print("== List-Unsubscribe on the received mail")
        wait_for(lambda: raw_mails(mbox, "anna@") and raw_mails(mbox, "bert@"), 30)
        mails = raw_mails(mbox, "anna@voorbeeldstad.example")
        check(mails, "a received alert mails")
        raw, msg = next(((r_, m) for r_, m in mails if str(m["Subject"]).startswith("Mijlpaal verlopen")), mails[0])
        lu = msg.get("List-Unsubscribe")
        lup = msg.get("List-Unsubscribe-Post")
        check(lu is not None and lu.strip().startswith("<http") and lu.strip().endswith(">"),
              "List-Unsubscribe: <http…> (RFC 2369)", lu)
        eq(lup, "List-Unsubscribe=One-Click", "List-Unsubscribe-Post (RFC 8058)")
        check(all(len(l) <= 78 for l in raw.split(b"\r\n")), "every line <= 78 octets",
              max(len(l) for l in raw.split(b"\r\n")))
        check(b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends only")
        check(not msg.defects and all(not p.defects for p in msg.walk()), "no MIME defects")
        unsub_url = "".join(lu.split()).strip("<>")
        text = text_part(msg)
        check("/settings/alerts" in text, "the body links to the alert settings (the app's page)", text[-400:])
        check(unsub_url in text, "the body carries the unsubscribe link too", text[-400:])
        # the server listens on an ephemeral port; the mail's links use the configured public URL
        path = urllib.parse.urlsplit(unsub_url).path
        local = srv.base + path
        kind = psql(url, f"SELECT kind FROM alerts WHERE '<' || message_id || '>' = '{msg['Message-ID']}'")
        eq(kind, "milestone_overdue", "the mail is a milestone_overdue alert")

        def rule(user):
            return psql(url, f"SELECT enabled FROM alert_rules WHERE user_id = '{user}' AND kind = 'milestone_overdue'")

        print("== GET does not unsubscribe (RFC 8058 §3.2)")
        st, ct, body = http("GET", local)
        check(st == 200 and ct.startswith("text/html") and b'method="post"' in body
              and b"List-Unsubscribe" in body and b"One-Click" in body,
              "GET answers a page with a form that POSTs", (st, ct, body[:300]))
        eq(rule(a), "", "after GET: no rule changed")

        print("== a forged token is refused")
        tok = path.rsplit("/", 1)[1]
        forged = tok[:-1] + ("A" if tok[-1] != "A" else "B")
        st, ct, _ = http("POST", srv.base + "/unsubscribe/" + forged, b"List-Unsubscribe=One-Click",
                         {"Content-Type": "application/x-www-form-urlencoded"})
        eq((st, ct), (404, "application/problem+json"), "forged MAC: 404 problem")
        other_kind = tok[:22] + "e" + tok[23:]
        st, _, _ = http("POST", srv.base + "/unsubscribe/" + other_kind, b"List-Unsubscribe=One-Click",
                        {"Content-Type": "application/x-www-form-urlencoded"})
        eq(st, 404, "the token of another rule kind cannot be made from it")
        other_user = psql(url, f"SELECT id FROM users WHERE id = '{b}'")
        eq(rule(a) + rule(other_user), "", "after forged POSTs: no rule changed")
        st, ct, _ = http("POST", local, b"", {"Content-Type": "application/x-www-form-urlencoded"})
        eq((st, ct), (400, "application/problem+json"), "POST without List-Unsubscribe=One-Click: 400")
        eq(rule(a), "", "after a POST without the one-click body: no rule changed")

        print("== one-click POST, no credential")
        st, ct, body = http("POST", local, b"List-Unsubscribe=One-Click",
                            {"Content-Type": "application/x-www-form-urlencoded"})
        eq(st, 200, "one-click POST answered 200")
        eq(rule(a), "f", "the user's milestone_overdue rule is off")
        eq(rule(b), "", "the other follower's rule is untouched")
        actor = psql(url, "SELECT actor_user_id FROM audit_log WHERE entity = 'alert_rules' ORDER BY id DESC LIMIT 1")
        eq(actor, a, "the change is audited as the user the link belongs to")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{a}' AND kind = 'milestone_overdue' "
                 "AND status = 'scheduled'"), 0, "a's waiting overdue alerts are not sent any more")
        st, _, _ = http("POST", local, b"List-Unsubscribe=One-Click",
                        {"Content-Type": "application/x-www-form-urlencoded"})
        eq((st, rule(a)), (200, "f"), "a second POST: still off")

        print("== no further alerts of that rule for a; b still gets them")
        n_a = len([1 for _, m in raw_mails(mbox, "anna@") if str(m["Subject"]).startswith("Mijlpaal verlopen")])
        # both lead another project with overdue milestones: b is mailed, a is not
        p_more = pid["Kerkplein"]
        for u, who in ((a, "a"), (b, "b")):
            create(api, f"/api/v1/projects/{p_more}/roles", {"user_id": u, "role": "projectleider"},
                   f"{who} leads a second project")
        more = f"project_id = '{p_more}' AND kind = 'milestone_overdue'"
        wait_for(lambda: count(f"SELECT count(*) FROM alerts WHERE user_id = '{b}' AND {more}") > 0
                 and count(f"SELECT count(*) FROM alerts WHERE user_id = '{b}' AND {more} "
                           f"AND status IN ('scheduled','pending') AND due_at <= to_timestamp({base_epoch})") == 0, 30)
        check(count(f"SELECT count(*) FROM alerts WHERE user_id = '{b}' AND {more} AND status = 'sent'") > 0,
              "b was mailed overdue alerts of the second project")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{a}' AND {more}"), 0,
           "a got no overdue alert of the second project")
        eq(count(f"SELECT count(*) FROM alerts WHERE user_id = '{a}' AND kind = 'milestone_overdue' "
                 "AND status IN ('scheduled','pending')"), 0, "a has no overdue alerts waiting")
        n_a2 = len([1 for _, m in raw_mails(mbox, "anna@") if str(m["Subject"]).startswith("Mijlpaal verlopen")])
        eq(n_a2, n_a, "no further overdue mails to a")

        print("== the external-update alert names each milestone")
        p_new = pid["Polder Noord"]
        st, _, _ = api.json("POST", f"/api/v1/projects/{p_new}/roles", {"user_id": b, "role": "projectleider"})
        eq(st, 201, "b is projectleider")
        st, _, inv = api.json("POST", f"/api/v1/projects/{p_new}/invitations",
                              {"email": "dev@zuid.example", "organisation_name": "Bouwbedrijf Zuid"})
        eq(st, 201, "invite the developer")
        st, _, _ = api.json("POST", "/api/v1/invitations/accept",
                            {"token": inv["token"], "password": "ontwikkelaar-wachtwoord"})
        eq(st, 200, "the developer sets a password")
        dev_auth = {"Authorization": "Bearer " + bsit.token_for(args.binary, env, "dev@zuid.example")}
        st, _, sched = api.json("GET", f"/api/v1/projects/{p_new}/schedule")
        step = next(s for s in sched["steps"] if s["status"] == "open" and s["stream"] == "private"
                    and s["critical"] and not s["milestone"])
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{p_new}/steps/{step['key']}",
                            {"duration": 400, "reason": "vertraging aannemer"}, headers=dev_auth)
        eq(st, 200, "the developer lengthens a critical step")
        names = {s["key"]: s["name"] for s in sched["steps"]}
        ext = wait_for(lambda: [m for _, m in raw_mails(mbox, "bert@") if "Wijziging door" in str(m["Subject"])], 30)
        check(ext, "b received the external-update mail")
        if ext:
            lines = [l[2:] for l in text_part(ext[0]).splitlines() if l.startswith("- ")]
            fc = [l for l in lines if "forecast_finish:" in l]
            check(len(fc) >= 2, "several milestones' forecasts changed", lines)
            keys = set()
            for l in fc:
                head = l.split(", forecast_finish:")[0]
                key = head[head.rfind("(") + 1:-1] if head.endswith(")") else ""
                check(key in names and head == f"{names[key]} ({key})",
                      "each forecast line names its milestone: name (key)", l)
                keys.add(key)
            eq(len(keys), len(fc), "every forecast line is about another milestone")
            check(any(f"({step['key']}), duration:" in l for l in lines), "the edited step is named too", lines)

        print("== calendar feed events link to the app's step pages")
        tok = create(api, "/api/v1/feed-tokens", {"scope": "project", "project_id": p_old}, "feed token")
        st, _, body = api.call("GET", f"/calendar/{tok['token']}.ics")
        unfolded = body.decode().replace("\r\n ", "").split("\r\n")
        check(st == 200 and sum(1 for l in unfolded if l == "BEGIN:VEVENT") > 5, "feed served with events")
        urls = [l for l in unfolded if l.startswith("URL")]
        eq(len(urls), sum(1 for l in unfolded if l == "BEGIN:VEVENT"), "one URL per event")
        check(urls and all(re.fullmatch(rf"URL:https?://[^/]+/projects/{p_old}/steps/[a-z0-9_]+", l) for l in urls),
              "every URL is a step page of the app", urls[:2])
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-alert-mail-")
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
