#!/usr/bin/python3
"""Privacy and access checks against the real binary, PostgreSQL and HTTP:

* an openbaar project grants `public`, not read (docs/security.md §3a): anonymously its
  fields, schedule, forecast, checks, what-if and a history without changed_by and reason;
  members, scenarios (list, compare) and audit refused (401); nobody's e-mail address or
  name in what anonymous gets;
* access is a set: the external developer of an openbaar project sees the full schedule
  (as many steps as anonymous), the forecast, and still writes only its private stream;
* GET /api/v1/feed-tokens?user_id=<someone else> answers what GET /api/v1/alerts?user_id=
  answers for the same caller (403 problem naming user_id), also for an administrator (200);
* accepting an invitation is audited with the invited user as actor;
* e-mail addresses: only plain ASCII mailboxes (RFC 5321 §4.1.2) are accepted: the
  invitation and user creation APIs answer 422 naming `email`, `bouwstroom user invite` and
  `bouwstroom user add` refuse.

Usage: test_privacy.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, fresh_database, psql  # noqa: E402

PW = "Een-lang-wachtwoord-2026"


def run(binary, env, args, ok=True):
    r = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r


def body(binary, env, url, base):
    ops = Api(base)
    anon = Api(base, None)
    pid = psql(url, "SELECT id FROM projects WHERE name = 'Marktveld'")
    # people on the project: a member medewerker with a name, an invited external developer
    run(binary, env, ["user", "add", "piet.planner@voorbeeldstad.test", "--role", "medewerker", "--name",
                      "Piet Planner", "--organisation", "Voorbeeldstad", "--organisation-kind", "gemeente",
                      "--generate-password"])
    piet = psql(url, "SELECT id FROM users WHERE email = 'piet.planner@voorbeeldstad.test'")
    eq(ops.json("POST", f"/api/v1/projects/{pid}/members", {"user_id": piet, "role": "medewerker"})[0], 201,
       "fixture: member")
    st, _, inv = ops.json("POST", f"/api/v1/projects/{pid}/invitations",
                          {"email": "dev@ontwikkelaar-a.test", "organisation_name": "Ontwikkelaar A",
                           "name": "Dirk Developer"})
    eq(st, 201, "fixture: invitation of an external developer")
    # accepting is audited as the invited user (not anonymous)
    st, _, acc = anon.json("POST", "/api/v1/invitations/accept", {"token": (inv or {}).get("token", "x"), "password": PW})
    eq(st, 200, "invitation accepted")
    dev = psql(url, "SELECT id FROM users WHERE email = 'dev@ontwikkelaar-a.test'")
    rows = psql(url, "SELECT entity || '|' || actor_label || '|' || COALESCE(actor_user_id::text, '') || '|' || "
                     "COALESCE(client_address, '') FROM audit_log "
                     "WHERE entity IN ('invitations', 'users') AND action = 'UPDATE' "
                     f"AND entity_id IN ('{dev}', (SELECT id::text FROM invitations WHERE user_id = '{dev}')) "
                     "ORDER BY id").splitlines()
    check(len(rows) >= 2, "accept: audit rows for the invitation and the user", rows)
    for r in rows:
        entity, label, actor, addr = r.split("|")
        eq((label, actor), ("dev@ontwikkelaar-a.test", dev), f"accept: audit row of {entity} names the invited user")
        eq(addr, "127.0.0.1", f"accept: audit row of {entity} has the client address")
    dev_tok = bsit.token_for(binary, env, "dev@ontwikkelaar-a.test", "read,write")
    # history with a person and a reason: a step changed by the operator
    st, _, sched = ops.json("GET", f"/api/v1/projects/{pid}/schedule")
    open_pub = [s["key"] for s in sched["steps"] if s["status"] == "open" and not s["milestone"]
                and s["stream"] == "public"]
    open_priv = [s["key"] for s in sched["steps"] if s["status"] == "open" and not s["milestone"]
                 and s["stream"] == "private"]
    eq(ops.json("PATCH", f"/api/v1/projects/{pid}/steps/{open_pub[0]}",
                {"reason": "besproken met Piet Planner", "start_no_earlier_than": "2027-03-01"})[0], 200,
       "fixture: a change with a reason")
    eq(ops.json("POST", f"/api/v1/projects/{pid}/scenarios",
                {"name": "intern", "changes": [{"op": "set_duration", "step": "financiele_afwikkeling",
                                                "duration": 70}]})[0], 201, "fixture: a scenario")
    sid = psql(url, f"SELECT id FROM scenarios WHERE project_id = '{pid}'")
    eq(ops.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": "openbaar"})[0], 200, "fixture: openbaar")

    # ---- item 1: openbaar = public facts ----
    personal = ["@", "Piet Planner", "Dirk Developer", "besproken"]
    for path, body_ in ((f"/api/v1/projects/{pid}", None), (f"/api/v1/projects/{pid}/schedule", None),
                        (f"/api/v1/projects/{pid}/forecast?samples=100", None), (f"/api/v1/projects/{pid}/checks", None),
                        (f"/api/v1/projects/{pid}/history", None)):
        st, _, doc = anon.json("GET", path, body_)
        eq(st, 200, f"anonymous GET {path} of an openbaar project")
        text = json.dumps(doc)
        leaked = [p for p in personal if p in text]
        check(not leaked, f"anonymous GET {path}: no personal data", leaked)
    st, _, doc = anon.json("POST", f"/api/v1/projects/{pid}/what-if", {"changes": []})
    eq(st, 200, "anonymous what-if of an openbaar project (computes from public facts, stores nothing)")
    st, _, doc = anon.json("GET", f"/api/v1/projects/{pid}")
    eq((doc or {}).get("access"), "public", "anonymous: the project says access public")
    st, _, hist = anon.json("GET", f"/api/v1/projects/{pid}/history")
    keys = set().union(*(r.keys() for r in hist["results"])) if hist and hist["results"] else set()
    check(hist and hist["count"] >= 1 and not ({"changed_by", "reason"} & keys),
          "anonymous history: entries without changed_by and reason members", keys)
    st, _, full = ops.json("GET", f"/api/v1/projects/{pid}/history")
    check(any(r.get("changed_by") == bsit.OPERATOR and r.get("reason") for r in full["results"]),
          "history with read access: changed_by and reason", full["results"][:1])
    eq(len(hist["results"]), len(full["results"]), "anonymous history: the same entries")
    for path in (f"/api/v1/projects/{pid}/members", f"/api/v1/projects/{pid}/scenarios",
                 f"/api/v1/projects/{pid}/scenarios/{sid}/compare", f"/api/v1/projects/{pid}/audit"):
        expect_problem(anon, "GET", path, 401, "Authorization", f"anonymous GET {path} of an openbaar project")
    # a logged-in user without a role in the project: public, not read
    run(binary, env, ["user", "add", "buiten@woonstichting-c.test", "--role", "extern", "--organisation",
                      "Woonstichting C", "--organisation-kind", "woningcorporatie", "--generate-password"])
    other = Api(base, bsit.token_for(binary, env, "buiten@woonstichting-c.test", "read,write"))
    for path in (f"/api/v1/projects/{pid}/members", f"/api/v1/projects/{pid}/scenarios"):
        expect_problem(other, "GET", path, 403, "id", f"user without a role: GET {path} of an openbaar project")
    eq(other.json("GET", f"/api/v1/projects/{pid}/forecast?samples=100")[0], 200, "user without a role: forecast")
    expect_problem(other, "POST", f"/api/v1/projects/{pid}/follows", 403, "id",
                   "user without a role: follows need read (alerts name authors and reasons)")
    eq(other.json("POST", "/api/v1/feed-tokens", {"scope": "project", "project_id": pid})[0], 201,
       "user without a role: a project feed of an openbaar project (milestone dates only)")

    # ---- item 2: the external developer's access is its stream AND public ----
    devapi = Api(base, dev_tok)
    st, _, ds = devapi.json("GET", f"/api/v1/projects/{pid}/schedule")
    st2, _, an = anon.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq((st, len((ds or {}).get("steps", []))), (200, len(an["steps"])),
       "external developer of an openbaar project: the full schedule (as many steps as anonymous)")
    eq(devapi.json("GET", f"/api/v1/projects/{pid}/forecast?samples=100")[0], 200, "external developer: forecast")
    st, _, doc = devapi.json("GET", f"/api/v1/projects/{pid}")
    eq(((doc or {}).get("access"), (doc or {}).get("stream_access")), ("public", True),
       "external developer: access public + stream")
    eq(devapi.json("POST", f"/api/v1/projects/{pid}/steps/{open_priv[0]}/start", {"date": "2026-11-02"})[0], 200,
       "external developer: still writes its private stream")
    expect_problem(devapi, "POST", f"/api/v1/projects/{pid}/steps/{open_pub[1]}/start", 403, "key",
                   "external developer: not the public stream")
    expect_problem(devapi, "GET", f"/api/v1/projects/{pid}/members", 403, "id", "external developer: no members")

    # ---- item 12: feed tokens and alerts of someone else: one rule ----
    for path in ("/api/v1/alerts", "/api/v1/feed-tokens"):
        expect_problem(other, "GET", f"{path}?user_id={piet}", 403, "user_id", f"GET {path}?user_id=<someone else>")
        eq(other.json("GET", f"{path}?user_id={psql(url, 'SELECT id FROM users WHERE email = ' + chr(39) + 'buiten@woonstichting-c.test' + chr(39))}")[0],
           200, f"GET {path}?user_id=<self>")
        eq(ops.json("GET", f"{path}?user_id={piet}")[0], 200, f"GET {path}?user_id=<someone else> as administrator")

    # ---- item 14: plain ASCII mailboxes only ----
    vbs = psql(url, "SELECT id FROM organisations WHERE name = 'Voorbeeldstad'")
    for bad in ("\U0001F3D7\ufe0f@x.nl", "jos\u00e9@example.nl", "a@[192.0.2.1]", "a..b@example.nl", "a@b",
                "Jan <jan@example.nl>", "a@-x.nl"):
        expect_problem(ops, "POST", f"/api/v1/projects/{pid}/invitations", 422, "email", f"invitation to {bad!r}",
                       {"email": bad, "organisation_name": "Ontwikkelaar A"})
        expect_problem(ops, "POST", "/api/v1/users", 422, "email", f"user creation for {bad!r}",
                       {"email": bad, "organisation_id": vbs, "role": "medewerker"})
        r = run(binary, env, ["user", "invite", bad, "--project", pid, "--organisation", "Ontwikkelaar A"], ok=False)
        check(r.returncode == 2 and "email" in r.stderr, f"bouwstroom user invite {bad!r} refused", r.stderr)
        r = run(binary, env, ["user", "add", bad, "--role", "medewerker", "--generate-password"], ok=False)
        check(r.returncode == 2 and "email" in r.stderr, f"bouwstroom user add {bad!r} refused", r.stderr)
    n = psql(url, "SELECT count(*) FROM users WHERE email !~ '^[\\x21-\\x7e]+$' OR email LIKE '%[%'")
    eq(n, "0", "no invalid address was stored")
    for good in ('"jan de vries"@ontwikkelaar-a.test', "o'brien+bouw@ontwikkelaar-a.test"):
        eq(ops.json("POST", f"/api/v1/projects/{pid}/invitations",
                    {"email": good, "organisation_name": "Ontwikkelaar A"})[0], 201, f"invitation to {good!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        run(args.binary, env, ["import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")])
        proc, base = bsit.start_server(args.binary, env)
        try:
            body(args.binary, env, url, base)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.returncode not in (0, -15):
                check(False, "server exit", f"{proc.returncode}: {proc.stderr.read()[-2000:]}")
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
