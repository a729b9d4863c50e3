#!/usr/bin/python3
"""Erasure of a person (AVG/GDPR art. 17; docs/security.md §8a) against the real binary,
PostgreSQL and HTTP.

A user with a name and an address gets everything that can hold them: membership of one
project (medewerker) and an invitation to another (external developer of its private
stream), a session and an API token, follows, a feed token, alert rules, history entries
(changed_by, and a reason naming their address), a scenario (created_by), external-update
alerts to other people naming them as author, and audit rows as actor and as subject. An
administrator of the installation erases them (POST /api/v1/users/{id}/erase). Then:

* over every table of the database (each row as text), the address and the name appear
  nowhere; the pseudonym ("former user <12 hex>") appears in history, scenarios, audit and
  the other people's alerts, the same everywhere, and does not contain the address;
* their token and session answer 401, their feed 404; follows, memberships, roles, alert
  rules and feeds are gone; the API shows the pseudonym in history and scenarios;
* the erasure itself is one audit row ERASE by the administrator without the erased data;
* a non-administrator gets 403, an unknown user 404; `bouwstroom user erase EMAIL` erases
  another user from the command line.

Usage: test_erasure.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, fresh_database, psql  # noqa: E402

PW = "Een-lang-wachtwoord-2026"
EMAIL = "erika.wissel@ontwikkelaar-a.test"
NAME = "Erika Wisselvanger"


def run(binary, env, args, ok=True):
    r = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r


def rows_mentioning(url, needles):
    """Every (table, count) of rows whose text contains one of needles (case-insensitive)."""
    tables = psql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                       "AND table_type = 'BASE TABLE' ORDER BY 1").split()
    cond = " OR ".join(f"strpos(lower(t::text), lower('{n}')) > 0" for n in needles)
    out = {}
    for t in tables:
        n = int(psql(url, f"SELECT count(*) FROM {t} t WHERE {cond}"))
        if n:
            out[t] = n
    return out, tables


def login(base, email, pw):
    st, h, _ = bsit_call(base, "POST", "/api/v1/login", {"email": email, "password": pw})
    m = re.match(r"bs_session=([^;]+)", h.get("Set-Cookie", "") if h else "")
    return st, (m.group(1) if m else None)


def bsit_call(base, method, path, body=None, headers=None):
    import json
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    hh = {"Content-Type": "application/json"} if data is not None else {}
    hh.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=hh)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def body(binary, env, url, base):
    ops = Api(base)
    anon = Api(base, None)
    pa = psql(url, "SELECT id FROM projects WHERE name = 'Marktveld'")
    pb = psql(url, "SELECT id FROM projects WHERE name = 'Kerkplein'")
    # the person: invited as external developer of Marktveld (name, password, session)
    st, _, inv = ops.json("POST", f"/api/v1/projects/{pa}/invitations",
                          {"email": EMAIL, "organisation_name": "Ontwikkelaar A", "name": NAME})
    eq(st, 201, "fixture: invitation")
    eq(anon.json("POST", "/api/v1/invitations/accept", {"token": (inv or {}).get("token", "x"), "password": PW})[0],
       200, "fixture: invitation accepted")
    uid = psql(url, f"SELECT id FROM users WHERE email = '{EMAIL}'")
    st, session = login(base, EMAIL, PW)
    eq(st, 200, "fixture: login")
    token = bsit.token_for(binary, env, EMAIL, "read,write")
    me = Api(base, token)
    # a medewerker member of Kerkplein: history, scenario, follows, feed, rules
    eq(ops.json("POST", f"/api/v1/projects/{pb}/members", {"user_id": uid, "role": "medewerker"})[0], 201,
       "fixture: member of Kerkplein")
    eq(ops.json("POST", f"/api/v1/projects/{pb}/follows", {})[0], 201, "fixture: the operator follows Kerkplein")
    st, _, sched = me.json("GET", f"/api/v1/projects/{pb}/schedule")
    eq(st, 200, "fixture: schedule")
    opened = [s["key"] for s in sched["steps"] if s["status"] == "open" and not s["milestone"]]
    eq(me.json("PATCH", f"/api/v1/projects/{pb}/steps/{opened[0]}",
               {"reason": f"afgestemd door {EMAIL}", "start_no_earlier_than": "2027-03-01"})[0], 200,
       "fixture: a change with a reason")
    eq(me.json("POST", f"/api/v1/projects/{pb}/steps/{opened[1]}/start", {"date": "2026-11-02"})[0], 200,
       "fixture: a step started")
    eq(me.json("POST", f"/api/v1/projects/{pb}/scenarios",
               {"name": "versnelling", "changes": [{"op": "set_duration", "step": "financiele_afwikkeling",
                                                    "duration": 70}]})[0], 201, "fixture: a scenario")
    eq(me.json("POST", f"/api/v1/projects/{pb}/follows", {})[0], 201, "fixture: follows")
    st, _, feed = me.json("POST", "/api/v1/feed-tokens", {"scope": "user", "label": NAME})
    eq(st, 201, "fixture: feed token")
    check(me.json("PUT", "/api/v1/alert-rules", {"user_id": uid, "kind": "milestone_upcoming", "days": 12})[0]
          in (200, 201), "fixture: alert rule", "")
    # an external update alert to the follower (the operator) names the author
    n = psql(url, f"SELECT count(*) FROM alerts WHERE kind = 'external_update' AND user_id <> '{uid}' "
                  f"AND payload::text LIKE '%{NAME}%'")
    check(int(n) >= 1, "fixture: another user's alert names the person as author", n)
    before, _ = rows_mentioning(url, [EMAIL, NAME])
    for t in ("users", "audit_log", "schedule_history", "scenarios", "alerts"):
        check(t in before, f"fixture: {t} holds the person before the erasure", before)

    # ---- refusals ----
    expect_problem(me, "POST", f"/api/v1/users/{uid}/erase", 403, "Authorization", "erase as a non-administrator")
    expect_problem(ops, "POST", "/api/v1/users/00000000-0000-4000-8000-000000000000/erase", 404, "id",
                   "erase of an unknown user")
    st, _, mine = ops.json("GET", "/api/v1/me")
    eq(st, 200, "fixture: the administrator's own id")
    expect_problem(ops, "POST", f"/api/v1/users/{(mine or {}).get('id')}/erase", 409, "id",
                   "an administrator cannot erase themselves")
    eq(psql(url, f"SELECT erased_at IS NULL FROM users WHERE id = '{(mine or {}).get('id')}'"), "t",
       "…and is not erased")

    # ---- the erasure ----
    st, _, doc = ops.json("POST", f"/api/v1/users/{uid}/erase")
    eq(st, 200, "POST /api/v1/users/{id}/erase")
    pseudo = (doc or {}).get("pseudonym", "")
    check(re.fullmatch(r"former user [0-9a-f]{12}", pseudo) is not None, "the pseudonym's form", pseudo)
    check("erika" not in pseudo.lower() and "wissel" not in pseudo.lower(), "the pseudonym reveals nothing", pseudo)

    # nowhere in the database
    after, tables = rows_mentioning(url, [EMAIL, NAME, "erika.wissel"])
    eq(after, {}, f"after the erasure no row of any table ({len(tables)} tables) holds the address or the name")
    # the pseudonym where history and audit need an author, the same everywhere
    for t, where in (("schedule_history", f"changed_by = '{pseudo}'"), ("scenarios", f"created_by = '{pseudo}'"),
                     ("audit_log", f"actor_label = '{pseudo}' AND actor_user_id = '{uid}' AND actor_email IS NULL"),
                     ("alerts", f"payload ->> 'author' = '{pseudo}'"),
                     ("users", f"name = '{pseudo}' AND id = '{uid}' AND erased_at IS NOT NULL "
                               "AND password_hash IS NULL AND disabled_at IS NOT NULL")):
        n = int(psql(url, f"SELECT count(*) FROM {t} WHERE {where}"))
        check(n >= 1, f"the pseudonym in {t}", n)
    n = psql(url, f"SELECT count(*) FROM schedule_history WHERE reason = 'afgestemd door {pseudo}'")
    check(int(n) >= 1, "the address inside a reason is replaced by the pseudonym", n)
    # credentials and subscriptions end
    for t, col in (("sessions", "user_id"), ("api_tokens", "user_id"), ("feed_tokens", "created_by"),
                   ("follows", "user_id"), ("alert_rules", "user_id"), ("project_members", "user_id"),
                   ("project_roles", "user_id"), ("organisation_members", "user_id"), ("invitations", "user_id"),
                   ("alerts", "user_id")):
        eq(psql(url, f"SELECT count(*) FROM {t} WHERE {col} = '{uid}'"), "0", f"nothing of the person left in {t}")
    eq(me.json("GET", "/api/v1/me")[0], 401, "the API token ends")
    st, _, _ = bsit_call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={session}"})
    eq(st, 401, "the session ends")
    st, _, _ = bsit_call(base, "GET", f"/calendar/{(feed or {}).get('token', 'x')}.ics")
    eq(st, 404, "the feed ends")
    st, _, _ = bsit_call(base, "POST", "/api/v1/login", {"email": EMAIL, "password": PW})
    eq(st, 401, "the old address and password no longer log in")
    # the API
    st, _, hist = ops.json("GET", f"/api/v1/projects/{pb}/history")
    check(any(r.get("changed_by") == pseudo for r in (hist or {}).get("results", [])),
          "API history: changed_by is the pseudonym", "")
    st, _, sc = ops.json("GET", f"/api/v1/projects/{pb}/scenarios")
    check(any(r.get("created_by") == pseudo for r in (sc or {}).get("results", sc if isinstance(sc, list) else [])),
          "API scenarios: created_by is the pseudonym", sc)
    for path in (f"/api/v1/projects/{pb}/history", f"/api/v1/projects/{pb}/scenarios",
                 f"/api/v1/projects/{pb}/audit?page_size=500", f"/api/v1/projects/{pa}/audit?page_size=500",
                 f"/api/v1/projects/{pb}/members", f"/api/v1/users/{uid}", "/api/v1/alerts?page_size=500"):
        st, _, raw = ops.call("GET", path)
        text = raw.decode("utf-8", "replace").lower()
        check(st == 200 and "erika" not in text and "wisselvanger" not in text, f"API {path}: no address or name",
              st)
    st, _, u = ops.json("GET", f"/api/v1/users/{uid}")
    check(u and u.get("name") == pseudo and u.get("erased_at"), "API user: the pseudonym and erased_at", u)
    # the erasure is audited, without the erased data
    row = psql(url, f"SELECT actor_label || '|' || new::text FROM audit_log WHERE action = 'ERASE' "
                    f"AND entity = 'users' AND entity_id = '{uid}'")
    eq(row, f'{bsit.OPERATOR}|{{"pseudonym": "{pseudo}"}}', "one audit row ERASE by the administrator")
    # the audit log is still append-only outside an erasure
    r = subprocess.run(["psql", url, "-XAtq", "-c", "UPDATE audit_log SET actor_label = 'x' WHERE id = 1"],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "append-only" in r.stderr, "audit_log stays append-only", r.stderr)
    r = subprocess.run(["psql", url, "-XAtq", "-c",
                        f"BEGIN; SELECT set_config('bouwstroom.erasure', '{uid}', true); "
                        "UPDATE audit_log SET actor_label = 'x' WHERE id = 1; COMMIT"], capture_output=True, text=True)
    check(r.returncode != 0 and "append-only" in r.stderr,
          "audit_log: naming an erased user outside its erasure transaction does not open it", r.stderr)
    # erasing again: the same pseudonym
    st, _, doc = ops.json("POST", f"/api/v1/users/{uid}/erase")
    eq((st, (doc or {}).get("pseudonym")), (200, pseudo), "erasing again answers the same pseudonym")

    # ---- the command line ----
    run(binary, env, ["user", "add", "kees.cli@voorbeeldstad.test", "--role", "medewerker", "--name", "Kees Commandoregel",
                      "--organisation", "Voorbeeldstad", "--organisation-kind", "gemeente", "--generate-password"])
    kid = psql(url, "SELECT id FROM users WHERE email = 'kees.cli@voorbeeldstad.test'")
    r = run(binary, env, ["user", "erase", "kees.cli@voorbeeldstad.test"])
    m = re.search(r"former user [0-9a-f]{12}", r.stdout)
    check(m is not None, "bouwstroom user erase prints the pseudonym", r.stdout)
    after, _ = rows_mentioning(url, ["kees.cli", "Kees Commandoregel"])
    eq(after, {}, "after bouwstroom user erase no row holds the address or the name")
    row = psql(url, f"SELECT actor_label FROM audit_log WHERE action = 'ERASE' AND entity_id = '{kid}'")
    eq(row, "cli:user erase", "the CLI erasure is audited")
    r = run(binary, env, ["user", "erase", "kees.cli@voorbeeldstad.test"], ok=False)
    check(r.returncode == 1, "bouwstroom user erase of an unknown address fails", r.stderr)


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
