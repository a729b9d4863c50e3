#!/usr/bin/python3
"""Organisation administration (issue 15) against the real binary, PostgreSQL and HTTP:
an organisation's settings, its users, and ending a user's sessions.

* GET /api/v1/organisations/{id}: the organisation with its settings — stale_after_months and
  the calendar options {goede_vrijdag, bevrijdingsdag} (defaults 6, false, lustrum) — for its
  beheerders (a session cookie here) and administrators of the installation; a beheerder of
  another organisation 403, a user without a beheerder role 403, anonymous 401, unknown 404.
* PATCH …: a beheerder changes the settings (the answer is GET's shape, GET then agrees, one
  audit row with the beheerder as actor and only what changed); every bad value is 422
  problem+json naming the field (stale_after_months, calendar, calendar.goede_vrijdag,
  calendar.bevrijdingsdag, calendar.<unknown>) and changes nothing; name, region and provincie
  stay the administrator's (403 naming the field for a beheerder). The threshold is the one
  GET /projects/{id}/checks uses (stale_progress max_months).
* The calendar options are the ones every schedule of the organisation's projects counts working
  days on: with Goede Vrijdag and 5 May every year off, a step of Dijkwoningen whose work spans
  both (2027: Friday 26 March, Wednesday 5 May) ends two working days later (Monday 24 → Wednesday
  26 May 2027), no project ends earlier and some end later, the forecast still answers, and the
  default options give back the same schedules as before.
* GET /api/v1/users?organisation_id=: the organisation's users with their role there and active
  sessions, paged like every list; organisation_id missing or malformed 400, another
  organisation 403.
* GET /api/v1/users/{id}/sessions: the user's active sessions, this request's marked current, the
  client address only for the user themself; paged; who may end them reads them.
* DELETE /api/v1/users/{id}/sessions: a beheerder ends every session of a user of their
  organisation (the cookies then answer 401, a new login works, one audit row per session);
  the user themself may; a beheerder of another organisation gets 404, a beheerder ending an
  administrator of the installation's sessions 403; API tokens stay.

Usage: test_org_admin.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, fresh_database, psql  # noqa: E402

ORG = "Bouwbedrijf Stroom"
OTHER = "Aannemer Elders"


def run(binary, env, args):
    r = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r.stdout + r.stderr


def user_add(binary, env, email, role, org):
    """A user of a developer organisation (no second factor needed: docs/security.md) and its password."""
    out = run(binary, env, ["user", "add", email, "--role", role, "--organisation", org, "--organisation-kind",
                            "ontwikkelaar", "--generate-password"])
    return re.search(r"password \(shown once[^)]*\): (\S+)", out).group(1)


def login(base, email, pw):
    req = urllib.request.Request(base + "/api/v1/login", data=json.dumps({"email": email, "password": pw}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            m = re.match(r"bs_session=([^;]+)", r.headers.get("Set-Cookie", ""))
            return r.status, m.group(1) if m else None
    except urllib.error.HTTPError as e:
        return e.code, None


class Session(Api):
    """Api with a session cookie instead of a bearer token."""

    def __init__(self, base, cookie):
        super().__init__(base, None)
        self.cookie = cookie

    def call(self, method, path, body=None, raw=None, headers=None):
        return super().call(method, path, body, raw, dict(headers or {}, Cookie=f"bs_session={self.cookie}"))


def fixture(binary, env, url, base):
    ops = Api(base)
    for name in (ORG, OTHER):
        st, _, _ = ops.json("POST", "/api/v1/organisations", {"name": name, "kind": "ontwikkelaar"})
        eq(st, 201, f"fixture: organisation {name}")
    pw = {e: user_add(binary, env, e, r, o) for e, r, o in [("bea@stroom.test", "beheerder", ORG),
                                                             ("wim@stroom.test", "extern", ORG),
                                                             ("ad@elders.test", "beheerder", OTHER)]}
    org = psql(url, f"SELECT id FROM organisations WHERE name = '{ORG}'")
    other = psql(url, f"SELECT id FROM organisations WHERE name = '{OTHER}'")
    uid = {e: psql(url, f"SELECT id FROM users WHERE email = '{e}'") for e in pw}
    sess = {}
    for e in pw:
        st, cookie = login(base, e, pw[e])
        eq(st, 200, f"fixture: {e} logs in")
        sess[e] = Session(base, cookie)
    return ops, org, other, pw, uid, sess


def settings(binary, env, url, base, ctx):
    ops, org, other, pw, uid, sess = ctx
    bea, wim, ad = sess["bea@stroom.test"], sess["wim@stroom.test"], sess["ad@elders.test"]
    path = f"/api/v1/organisations/{org}"
    print("== GET /organisations/{id}")
    st, ct, doc = bea.json("GET", path)
    eq((st, ct), (200, "application/json"), "the beheerder reads the organisation")
    doc = doc or {}
    eq((doc.get("id"), doc.get("name"), doc.get("kind")), (org, ORG, "ontwikkelaar"), "the organisation")
    eq((doc.get("stale_after_months"), doc.get("calendar")),
       (6, {"goede_vrijdag": False, "bevrijdingsdag": "lustrum"}), "the default settings")
    eq(ops.json("GET", path)[2], doc, "an administrator of the installation reads the same")
    expect_problem(ad, "GET", path, 403, "id", "a beheerder of another organisation")
    expect_problem(wim, "GET", path, 403, None, "a user without a beheerder role")
    expect_problem(Api(base, None), "GET", path, 401, None, "anonymous")
    expect_problem(ops, "GET", "/api/v1/organisations/00000000-0000-4000-8000-000000000000", 404, "id",
                   "an unknown organisation")
    expect_problem(ops, "GET", "/api/v1/organisations/nope", 404, "id", "a malformed id")

    print("== PATCH: the settings, by the beheerder, audited")
    audit0 = int(psql(url, f"SELECT count(*) FROM audit_log WHERE entity = 'organisations' AND entity_id = '{org}'"))
    st, _, got = bea.json("PATCH", path, {"stale_after_months": 9,
                                          "calendar": {"goede_vrijdag": True, "bevrijdingsdag": "yearly"}})
    eq(st, 200, "the beheerder changes the settings")
    want = dict(doc, stale_after_months=9, calendar={"goede_vrijdag": True, "bevrijdingsdag": "yearly"})
    eq(got, want, "the answer is the changed organisation")
    eq(bea.json("GET", path)[2], want, "GET agrees")
    st, _, got = bea.json("PATCH", path, {"calendar": {"bevrijdingsdag": "never"}})
    eq((st, (got or {}).get("calendar")), (200, {"goede_vrijdag": True, "bevrijdingsdag": "never"}),
       "one calendar option alone keeps the other")
    rows = psql(url, "SELECT actor_user_id || '|' || action || '|' || new::text FROM audit_log "
                     f"WHERE entity = 'organisations' AND entity_id = '{org}' ORDER BY id").splitlines()
    eq(len(rows) - audit0, 2, "each change is one audit row")
    first = rows[audit0].split("|", 2) if len(rows) > audit0 else ["", "", "{}"]
    eq(first[:2], [uid["bea@stroom.test"], "UPDATE"], "the audit row names the beheerder")
    new = json.loads(first[2])
    eq((new.get("stale_after_months"), new.get("calendar_goede_vrijdag"), new.get("calendar_bevrijdingsdag")),
       (9, True, "yearly"), "the audit row holds what changed")
    check("name" not in new, "the audit row holds only what changed", new)

    print("== PATCH: bad values name their field and change nothing")
    before = bea.json("GET", path)[2]
    for body, field, what in [({"stale_after_months": 0}, "stale_after_months", "0 months"),
                              ({"stale_after_months": 121}, "stale_after_months", "121 months"),
                              ({"stale_after_months": "6"}, "stale_after_months", "months as text"),
                              ({"stale_after_months": 1.5}, "stale_after_months", "a fraction of a month"),
                              ({"stale_after_months": None}, "stale_after_months", "null months"),
                              ({"calendar": "yearly"}, "calendar", "calendar not an object"),
                              ({"calendar": {"goede_vrijdag": "ja"}}, "calendar.goede_vrijdag", "goede_vrijdag text"),
                              ({"calendar": {"bevrijdingsdag": "soms"}}, "calendar.bevrijdingsdag",
                               "an unknown bevrijdingsdag rule"),
                              ({"calendar": {"bevrijdingsdag": 5}}, "calendar.bevrijdingsdag", "a number"),
                              ({"calendar": {"pasen": True}}, "calendar.pasen", "an unknown calendar option"),
                              ({"stale_after_months": 3, "calendar": {"goede_vrijdag": 1}}, "calendar.goede_vrijdag",
                               "a good value beside a bad one")]:
        expect_problem(bea, "PATCH", path, 422, field, what, body=body)
    expect_problem(bea, "PATCH", path, 422, "colour", "an unknown member", body={"colour": "blue"})
    eq(bea.json("GET", path)[2], before, "refused changes changed nothing")

    print("== PATCH: who")
    expect_problem(bea, "PATCH", path, 403, "region", "a beheerder does not change the region",
                   body={"region": "Regio Elders"})
    expect_problem(bea, "PATCH", path, 403, "name", "nor the name", body={"name": "Anders"})
    expect_problem(ad, "PATCH", path, 403, "id", "a beheerder of another organisation",
                   body={"stale_after_months": 2})
    expect_problem(wim, "PATCH", path, 403, None, "a user without a beheerder role", body={"stale_after_months": 2})
    expect_problem(Api(base, None), "PATCH", path, 401, None, "anonymous", body={"stale_after_months": 2})
    expect_problem(ops, "PATCH", "/api/v1/organisations/00000000-0000-4000-8000-000000000000", 404, "id",
                   "an unknown organisation", body={"stale_after_months": 2})
    eq(bea.json("GET", path)[2], before, "refused callers changed nothing")
    st, _, got = ops.json("PATCH", path, {"region": "Regio Stroom"})
    eq((st, (got or {}).get("region"), (got or {}).get("stale_after_months")), (200, "Regio Stroom", 9),
       "an administrator of the installation changes the region")

    print("== the threshold is the stale_progress check's")
    gem = psql(url, "SELECT owner_organisation_id FROM projects WHERE name = 'Marktveld'")
    pid = psql(url, "SELECT id FROM projects WHERE name = 'Marktveld'")
    st, _, got = ops.json("PATCH", f"/api/v1/organisations/{gem}", {"stale_after_months": 3})
    eq(st, 200, "the municipality's threshold: 3 months")
    st, _, checks = ops.json("GET", f"/api/v1/projects/{pid}/checks")
    stale = [c for c in (checks or {}).get("checks", []) if c.get("name") == "stale_progress"]
    eq([c.get("max_months") for c in stale], [3], "stale_progress uses the organisation's threshold")


def calendar(binary, env, url, base, ctx):
    ops = ctx[0]
    print("== the calendar options are the schedules'")
    rows = [r.split("|") for r in psql(url, "SELECT p.id, p.name, p.owner_organisation_id FROM projects p "
                                            "ORDER BY p.name").splitlines()]
    gem = rows[0][2]
    check(all(r[2] == gem for r in rows), "fixture: one owner organisation", rows)

    def schedules():
        return {name: ops.json("GET", f"/api/v1/projects/{pid}/schedule")[2] or {} for pid, name, _ in rows}

    before = schedules()
    st, _, doc = ops.json("PATCH", f"/api/v1/organisations/{gem}",
                          {"calendar": {"goede_vrijdag": True, "bevrijdingsdag": "yearly"}})
    eq(st, 200, "Goede Vrijdag and 5 May every year off")
    after = schedules()
    step = {x["key"]: x for x in after["Dijkwoningen"].get("steps", [])}.get("definitief_ontwerp", {})
    was = {x["key"]: x for x in before["Dijkwoningen"].get("steps", [])}.get("definitief_ontwerp", {})
    eq((was.get("early_start"), was.get("early_finish")), ("2026-11-30", "2027-05-24"),
       "fixture: Dijkwoningen's definitief_ontwerp on the default calendar")
    eq((step.get("early_start"), step.get("early_finish")), ("2026-11-30", "2027-05-26"),
       "it ends two working days later: 26 March and 5 May 2027 are days off")
    later = [n for n in before if (after[n].get("project_finish") or "") > (before[n].get("project_finish") or "")]
    earlier = [n for n in before if (after[n].get("project_finish") or "") < (before[n].get("project_finish") or "")]
    check(later and not earlier, "no project ends earlier, some later", (later, earlier))
    pid = rows[0][0]
    st, _, fc = ops.json("GET", f"/api/v1/projects/{pid}/forecast?samples=200")
    eq(st, 200, "the forecast on the organisation's calendar")
    st, _, doc = ops.json("PATCH", f"/api/v1/organisations/{gem}",
                          {"calendar": {"goede_vrijdag": False, "bevrijdingsdag": "lustrum"}})
    eq(st, 200, "back to the default options")
    eq(schedules(), before, "the default options give the schedules of before")


def users(binary, env, url, base, ctx):
    ops, org, other, pw, uid, sess = ctx
    bea, wim, ad = sess["bea@stroom.test"], sess["wim@stroom.test"], sess["ad@elders.test"]
    print("== GET /users?organisation_id=")
    st, _, doc = bea.json("GET", f"/api/v1/users?organisation_id={org}")
    eq(st, 200, "the beheerder lists the organisation's users")
    doc = doc or {}
    got = {u["email"]: (u["id"], u["role"], u["active_sessions"], u["is_admin"]) for u in doc.get("results", [])}
    eq(got, {"bea@stroom.test": (uid["bea@stroom.test"], "beheerder", 1, False),
             "wim@stroom.test": (uid["wim@stroom.test"], "extern", 1, False)}, "its users, roles and sessions")
    eq(doc.get("count"), 2, "count")
    eq(sorted((doc.get("results") or [{}])[0].keys()),
       sorted(["id", "email", "name", "home_organisation_id", "role", "is_admin", "disabled_at", "erased_at",
               "totp_confirmed", "created_at", "active_sessions", "last_login_at"]), "the members of a user")
    st, _, p1 = bea.json("GET", f"/api/v1/users?organisation_id={org}&page_size=1")
    p1 = p1 or {}
    eq((st, p1.get("count"), len(p1.get("results", [])), p1.get("previous")), (200, 2, 1, None), "page 1 of 2")
    nxt = urllib.parse.urlsplit(p1.get("next") or "")
    eq(urllib.parse.parse_qs(nxt.query), {"organisation_id": [org], "page": ["2"], "page_size": ["1"]},
       "next keeps the organisation")
    st, _, p2 = bea.json("GET", f"{nxt.path}?{nxt.query}")
    eq([u["id"] for u in p1.get("results", []) + (p2 or {}).get("results", [])],
       [u["id"] for u in doc.get("results", [])], "the pages are the list")
    expect_problem(bea, "GET", "/api/v1/users", 400, "organisation_id", "without organisation_id")
    expect_problem(bea, "GET", "/api/v1/users?organisation_id=x", 400, "organisation_id", "a malformed one")
    expect_problem(bea, "GET", f"/api/v1/users?organisation_id={org}&page_size=0", 400, "page_size", "a bad page")
    expect_problem(ad, "GET", f"/api/v1/users?organisation_id={org}", 403, "organisation_id", "another organisation")
    expect_problem(wim, "GET", f"/api/v1/users?organisation_id={org}", 403, None, "a user without a beheerder role")
    expect_problem(Api(base, None), "GET", f"/api/v1/users?organisation_id={org}", 401, None, "anonymous")
    st, _, d2 = ops.json("GET", f"/api/v1/users?organisation_id={org.upper()}")
    eq((st, (d2 or {}).get("count")), (200, 2), "an administrator of the installation lists any organisation")


def sessions(binary, env, url, base, ctx):
    ops, org, other, pw, uid, sess = ctx
    bea, wim, ad = sess["bea@stroom.test"], sess["wim@stroom.test"], sess["ad@elders.test"]
    w = uid["wim@stroom.test"]
    print("== DELETE /users/{id}/sessions")
    st, second = login(base, "wim@stroom.test", pw["wim@stroom.test"])
    eq(st, 200, "wim logs in a second time")
    wim2 = Session(base, second)
    token = bsit.token_for(binary, env, "wim@stroom.test", "read")
    print("== GET /users/{id}/sessions")
    st, _, own = wim.json("GET", f"/api/v1/users/{w}/sessions")
    own = own or {}
    eq((st, own.get("count")), (200, 2), "wim reads his two sessions")
    eq(sorted(x.get("current") for x in own.get("results", [])), [False, True], "this request's session is current")
    check(all(x.get("client_address") for x in own.get("results", [])), "he sees their client addresses", own)
    st, _, theirs = bea.json("GET", f"/api/v1/users/{w}/sessions?page_size=1")
    theirs = theirs or {}
    eq((st, theirs.get("count"), len(theirs.get("results", [])), bool(theirs.get("next"))), (200, 2, 1, True),
       "the beheerder reads them, paged")
    check(all(x.get("client_address") is None and x.get("current") is False for x in theirs.get("results", [])),
          "without the client address, none current", theirs)
    expect_problem(ad, "GET", f"/api/v1/users/{w}/sessions", 404, "id", "a beheerder of another organisation reads none")
    expect_problem(Api(base, None), "GET", f"/api/v1/users/{w}/sessions", 401, None, "anonymous reads none")
    expect_problem(ad, "DELETE", f"/api/v1/users/{w}/sessions", 404, "id", "a beheerder of another organisation")
    expect_problem(Api(base, None), "DELETE", f"/api/v1/users/{w}/sessions", 401, None, "anonymous")
    eq(wim.json("GET", "/api/v1/me")[0], 200, "refused calls ended nothing")
    audit0 = int(psql(url, f"SELECT count(*) FROM audit_log WHERE entity = 'sessions'"))
    st, _, doc = bea.json("DELETE", f"/api/v1/users/{w}/sessions")
    eq((st, doc), (200, {"user_id": w, "revoked": 2}), "the beheerder ends wim's two sessions")
    eq((wim.json("GET", "/api/v1/me")[0], wim2.json("GET", "/api/v1/me")[0]), (401, 401),
       "both sessions answer 401 on their next call")
    eq(Api(base, token).json("GET", "/api/v1/me")[0], 200, "wim's API token stays")
    rows = psql(url, "SELECT actor_user_id || '|' || action || '|' || (new ? 'revoked_at') FROM audit_log "
                     f"WHERE entity = 'sessions' ORDER BY id OFFSET {audit0}").splitlines()
    eq(rows, [f"{uid['bea@stroom.test']}|UPDATE|true"] * 2, "one audit row per ended session, by the beheerder")
    eq(bea.json("GET", "/api/v1/me")[0], 200, "the beheerder's own session goes on")
    eq(bea.json("GET", f"/api/v1/users/{w}/sessions")[2].get("count"), 0, "no session of wim is left")
    st, _, doc = bea.json("DELETE", f"/api/v1/users/{w}/sessions")
    eq((st, (doc or {}).get("revoked")), (200, 0), "again: nothing left to end")
    st, again = login(base, "wim@stroom.test", pw["wim@stroom.test"])
    eq(st, 200, "wim logs in again")
    wim3 = Session(base, again)
    st, _, doc = bea.json("GET", f"/api/v1/users?organisation_id={org}")
    got = {u["email"]: u["active_sessions"] for u in (doc or {}).get("results", [])}
    eq(got.get("wim@stroom.test"), 1, "the list counts the one new session")
    st, _, doc = wim3.json("DELETE", f"/api/v1/users/{w}/sessions")
    eq((st, (doc or {}).get("revoked")), (200, 1), "wim ends his own sessions")
    eq(wim3.json("GET", "/api/v1/me")[0], 401, "his own session then answers 401")
    # an administrator of the installation who is a member of the organisation: not the beheerder's to end
    op = psql(url, f"SELECT id FROM users WHERE email = '{bsit.OPERATOR}'")
    psql(url, f"INSERT INTO organisation_members (organisation_id, user_id, role) VALUES ('{org}', '{op}', 'medewerker')")
    expect_problem(bea, "DELETE", f"/api/v1/users/{op}/sessions", 403, "id",
                   "a beheerder does not end an administrator's sessions")
    expect_problem(ops, "DELETE", "/api/v1/users/00000000-0000-4000-8000-000000000000/sessions", 404, "id",
                   "an unknown user")
    st, _, doc = ops.json("DELETE", f"/api/v1/users/{uid['bea@stroom.test']}/sessions")
    eq((st, (doc or {}).get("revoked")), (200, 1), "an administrator of the installation ends a beheerder's session")
    eq(bea.json("GET", "/api/v1/me")[0], 401, "the beheerder's session answers 401")


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
            ctx = fixture(args.binary, env, url, base)
            settings(args.binary, env, url, base, ctx)
            calendar(args.binary, env, url, base, ctx)
            users(args.binary, env, url, base, ctx)
            sessions(args.binary, env, url, base, ctx)
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
