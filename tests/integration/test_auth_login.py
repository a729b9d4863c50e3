#!/usr/bin/python3
"""Authentication checks: login flows, revocation, lockout and the audit log over real HTTP against
`bouwstroom serve` and a real PostgreSQL (expectations from docs/security.md).

* a municipal user: the first login answers 401 totp_enrolment_required with an otpauth URI;
  the TOTP code is computed here (RFC 6238 with HMAC-SHA1, 30 s steps, 6 digits; checked
  against the RFC's appendix B vectors first); the second login gives 200 and a bs_session
  cookie with HttpOnly, Secure and SameSite that authenticates GET /api/v1/me; the same code
  again is refused (replay); logout revokes the cookie (401 afterwards);
* an external developer (invited, password set by POST /api/v1/invitations/accept) logs in
  without a second factor;
* five failed logins lock the account: 429 with Retry-After, and the right password is
  refused while locked;
* a revoked API token (`bouwstroom token revoke ID` and DELETE /api/v1/api-tokens/{id}) → 401;
  a revoked feed token → 404; a read-only token cannot write (403); a disabled user → 401;
* the audit log: a write appears in GET /api/v1/projects/{id}/audit with the actor's e-mail,
  organisation, time, old → new and client address 127.0.0.1; UPDATE and DELETE on audit_log
  are refused by the database (append-only).

Usage: test_auth_login.py --binary BOUWSTROOM --source SRC
"""
import argparse
import base64
import hashlib
import hmac
import os
import re
import struct
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, fresh_database, psql  # noqa: E402


def hotp(key, counter, digits=6, digest=hashlib.sha1):
    """RFC 4226 §5.3 (dynamic truncation)."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def totp(secret_b32, t=None, step=30):
    """RFC 6238 §4: T = floor(unix time / 30), SHA-1, 6 digits."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return hotp(key, int((time.time() if t is None else t) // step))


def rfc6238_vectors():
    """RFC 6238 appendix B, SHA-1 rows (8 digits), checks the helper itself."""
    key = b"12345678901234567890"
    for t, want in ((59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
                    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")):
        eq(hotp(key, t // 30, 8), want, f"RFC 6238 appendix B vector T={t}")


def fresh_code(secret, used):
    """A code of a time step not used before (waits for the next 30 s step if needed)."""
    while True:
        step = int(time.time() // 30)
        if step not in used:
            used.add(step)
            return totp(secret)
        time.sleep(0.5)


def cookie_of(headers):
    return headers.get("Set-Cookie", "")


def call(base, method, path, body=None, headers=None):
    """Like Api.call but returns the response headers as well."""
    import json
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, r.headers, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return e.code, e.headers, doc


def run(binary, env, args, stdin=""):
    r = subprocess.run([binary] + args, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r.stdout + r.stderr


def user_add(binary, env, email, role, org, kind):
    out = run(binary, env, ["user", "add", email, "--role", role, "--organisation", org, "--organisation-kind", kind,
                            "--generate-password"])
    return re.search(r"password \(shown once[^)]*\): (\S+)", out).group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    rfc6238_vectors()
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


def body(binary, env, url, base):
    ops = Api(base)
    pid = psql(url, "SELECT id FROM projects WHERE name = 'Kerkplein'")
    # ---- municipal user: password + TOTP ----
    email = "pl@voorbeeldstad.test"
    pw = user_add(binary, env, email, "projectleider", "Voorbeeldstad", "gemeente")
    st, h, doc = call(base, "POST", "/api/v1/login", {"email": email, "password": pw})
    eq(st, 401, "municipal first login: 401")
    eq((doc or {}).get("code"), "totp_enrolment_required", "municipal first login: code")
    uri = (doc or {}).get("otpauth_uri", "")
    check(uri.startswith("otpauth://totp/"), "municipal first login: otpauth_uri", uri)
    check("bs_session" not in cookie_of(h), "no session before the second factor", cookie_of(h))
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query).get("secret", [""])[0]
    st, _, doc = call(base, "POST", "/api/v1/login", {"email": email, "password": pw, "totp_code": "000000"
                                                      if totp(secret) != "000000" else "111111"})
    eq(st, 401, "municipal login with a wrong code: 401")
    used = set()
    code = fresh_code(secret, used)
    st, h, doc = call(base, "POST", "/api/v1/login", {"email": email, "password": pw, "totp_code": code})
    eq(st, 200, "municipal login with password + TOTP: 200")
    c = cookie_of(h)
    m = re.match(r"bs_session=([^;]+)", c)
    check(m is not None, "Set-Cookie bs_session", c)
    for attr in ("HttpOnly", "Secure", "SameSite"):
        check(attr.lower() in c.lower(), f"session cookie has {attr}", c)
    session = m.group(1) if m else "x"
    st, _, me = call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={session}"})
    eq(st, 200, "the cookie authenticates GET /api/v1/me")
    eq((me or {}).get("email"), email, "/me is the user")
    eq((me or {}).get("authenticated_by"), "session", "/me: by session")
    st, _, doc = call(base, "POST", "/api/v1/login", {"email": email, "password": pw, "totp_code": code})
    eq(st, 401, "the same TOTP code again is refused (replay)")
    st, _, _ = call(base, "GET", f"/api/v1/projects/{pid}", headers={"Cookie": f"bs_session={session}"})
    eq(st, 200, "session: the projectleider reads an own-municipality project")
    st, h, _ = call(base, "POST", "/api/v1/logout", headers={"Cookie": f"bs_session={session}"})
    eq(st, 204, "logout: 204")
    st, _, _ = call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={session}"})
    eq(st, 401, "the cookie after logout: 401")
    psql(url, "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL")

    # ---- external developer: invitation, password, login without TOTP ----
    ext = "dev@ontwikkelaar-a.test"
    ops_inv = ops.json("POST", f"/api/v1/projects/{pid}/invitations",
                       {"email": ext, "organisation_name": "Ontwikkelaar A"})
    eq(ops_inv[0], 201, "invitation of an external developer")
    tok = (ops_inv[2] or {}).get("token", "x")
    ext_pw = "Een-lang-wachtwoord-2026"
    st, _, _ = call(base, "POST", "/api/v1/invitations/accept", {"token": tok, "password": ext_pw})
    eq(st, 200, "invitation accepted")
    st, _, _ = call(base, "POST", "/api/v1/invitations/accept", {"token": tok, "password": ext_pw})
    eq(st, 404, "an invitation is accepted once")
    st, h, doc = call(base, "POST", "/api/v1/login", {"email": ext, "password": ext_pw})
    eq(st, 200, "external developer logs in without TOTP")
    m = re.match(r"bs_session=([^;]+)", cookie_of(h))
    check(m is not None, "external: session cookie", cookie_of(h))
    if m:
        st, _, me = call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={m.group(1)}"})
        eq((st, (me or {}).get("email")), (200, ext), "external: /me")

    # ---- lockout after 5 failures ----
    victim = "mw@voorbeeldstad.test"
    vpw = user_add(binary, env, victim, "medewerker", "Voorbeeldstad", "gemeente")
    statuses = [call(base, "POST", "/api/v1/login", {"email": victim, "password": "fout-wachtwoord"})[0]
                for _ in range(5)]
    check(all(s in (401, 429) for s in statuses) and statuses[:4] == [401] * 4,
          "failed logins: 401 before the lockout", statuses)
    st, h, doc = call(base, "POST", "/api/v1/login", {"email": victim, "password": "fout-wachtwoord"})
    eq(st, 429, "after 5 failures: 429")
    ra = h.get("Retry-After", "")
    check(ra.isdigit() and int(ra) > 0, "429 has Retry-After (seconds)", ra)
    st, h, doc = call(base, "POST", "/api/v1/login", {"email": victim, "password": vpw})
    eq(st, 429, "the right password is refused while locked")
    check("bs_session" not in cookie_of(h), "no session while locked", cookie_of(h))

    # ---- tokens: CLI revoke, DELETE, read-only, disabled user ----
    mw2 = "mw2@voorbeeldstad.test"
    user_add(binary, env, mw2, "medewerker", "Voorbeeldstad", "gemeente")
    t_cli = bsit.token_for(binary, env, mw2, "read,write")
    eq(Api(base, t_cli).json("GET", "/api/v1/me")[0], 200, "API token works before revocation")
    tid = psql(url, f"SELECT t.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = '{mw2}'")
    run(binary, env, ["token", "revoke", tid])
    eq(Api(base, t_cli).json("GET", "/api/v1/me")[0], 401, "token revoked by `bouwstroom token revoke ID`: 401")
    t2 = bsit.token_for(binary, env, mw2, "read,write")
    a2 = Api(base, t2)
    st, _, doc = a2.json("POST", "/api/v1/api-tokens", {"label": "tijdelijk", "scopes": ["read"]})
    eq(st, 201, "POST /api/v1/api-tokens")
    t3, t3id = (doc or {}).get("token", "x"), (doc or {}).get("id", "x")
    eq(Api(base, t3).json("GET", "/api/v1/me")[0], 200, "the new token works")
    eq(a2.json("DELETE", f"/api/v1/api-tokens/{t3id}")[0], 204, "DELETE /api/v1/api-tokens/{id}")
    eq(Api(base, t3).json("GET", "/api/v1/me")[0], 401, "token revoked by DELETE: 401")
    ro = bsit.token_for(binary, env, mw2, "read")
    a_ro = Api(base, ro)
    eq(a_ro.json("GET", f"/api/v1/projects/{pid}")[0], 200, "read-only token reads")
    sched = a2.json("GET", f"/api/v1/projects/{pid}/schedule")[2] or {"steps": []}
    open_step = next((s["key"] for s in sched["steps"] if s["status"] == "open" and not s["milestone"]), "x")
    st, _, _ = a_ro.json("POST", f"/api/v1/projects/{pid}/steps/{open_step}/start", {"date": "2026-11-02"})
    eq(st, 403, "read-only token cannot write (403)")
    eq(a_ro.json("POST", f"/api/v1/projects/{pid}/follows", {})[0], 403, "read-only token cannot follow (403)")
    eq(a_ro.json("POST", "/api/v1/api-tokens", {"scopes": ["read"]})[0], 403,
       "read-only token cannot make tokens (403)")
    # feed token revoked → 404
    st, _, doc = a2.json("POST", "/api/v1/feed-tokens", {"scope": "project", "project_id": pid})
    eq(st, 201, "feed token made")
    ftok, fid = (doc or {}).get("token", "x"), (doc or {}).get("id", "x")
    eq(Api(base, None).call("GET", f"/calendar/{ftok}.ics")[0], 200, "feed works before revocation")
    eq(a2.json("DELETE", f"/api/v1/feed-tokens/{fid}")[0], 204, "feed token revoked")
    eq(Api(base, None).call("GET", f"/calendar/{ftok}.ics")[0], 404, "revoked feed token: 404")
    # disabled user
    run(binary, env, ["user", "disable", mw2])
    eq(a2.json("GET", "/api/v1/me")[0], 401, "disabled user's token: 401 on /me")
    eq(a2.json("GET", f"/api/v1/projects/{pid}")[0], 401, "disabled user's token: 401 on a project")

    # ---- audit log ----
    lead = bsit.token_for(binary, env, email, "read,write")
    al = Api(base, lead)
    st, _, doc = al.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": "intern_bestuurlijk"})
    eq(st, 200, "audit: a write by the projectleider")
    st, _, doc = al.json("GET", f"/api/v1/projects/{pid}/audit")
    eq(st, 200, "audit: GET …/audit by the projectleider")
    rows = [r for r in (doc or {}).get("results", []) if r.get("entity") == "projects" and r.get("action") == "UPDATE"]
    check(len(rows) >= 1, "audit: the project update is logged", doc)
    if rows:
        r = rows[0]
        org = psql(url, "SELECT id FROM organisations WHERE name = 'Voorbeeldstad'")
        eq(r.get("actor_email"), email, "audit: who (e-mail)")
        eq(r.get("actor_org_id"), org, "audit: organisation")
        check(bool(r.get("at")), "audit: when", r)
        eq(((r.get("old") or {}).get("confidentiality"), (r.get("new") or {}).get("confidentiality")),
           ("intern_ambtelijk", "intern_bestuurlijk"), "audit: old → new")
        eq(r.get("client_address"), "127.0.0.1", "audit: client address")
    # a step write (one statement in its own transaction that sets the actor itself, issue 17):
    # its step and project rows are audited with the same actor
    key = psql(url, f"SELECT step_key FROM project_steps WHERE project_id = '{pid}' AND status = 'open' "
               "ORDER BY step_key LIMIT 1")
    st, _, doc = al.json("POST", f"/api/v1/projects/{pid}/steps/{key}/start",
                         {"date": bsit.TODAY, "reason": "audit check"})
    check(st == 200, "audit: a step start by the projectleider", (st, doc))
    rows = psql(url, "SELECT entity || '|' || COALESCE(actor_email, '') || '|' || COALESCE(client_address, '') || '|' "
                "|| COALESCE(entity_id, '') FROM audit_log WHERE action = 'UPDATE' AND project_id = "
                f"'{pid}' AND entity IN ('projects', 'project_steps') AND at > now() - interval '1 minute' "
                "ORDER BY id DESC LIMIT 2").split("\n")
    check(any(r.startswith(f"project_steps|{email}|127.0.0.1|") for r in rows), "audit: the step write's actor", rows)
    check(any(r.startswith(f"projects|{email}|127.0.0.1|") for r in rows), "audit: its project row's actor", rows)
    for sql, what in (("UPDATE audit_log SET actor_email = 'x'", "UPDATE"), ("DELETE FROM audit_log", "DELETE"),
                      ("TRUNCATE audit_log", "TRUNCATE")):
        r = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True)
        check(r.returncode != 0, f"audit_log is append-only: {what} refused by the database", r.stdout + r.stderr)
    n = psql(url, f"SELECT count(*) FROM audit_log WHERE actor_email = '{email}'")
    check(int(n) >= 1, "audit: rows still there", n)
    ext_api = Api(base, bsit.token_for(binary, env, ext, "read,write"))
    eq(ext_api.json("GET", f"/api/v1/projects/{pid}/audit")[0], 403, "audit: an external member is refused (403)")

    # ---- failures spread over many (unknown) addresses: the client address is limited ----
    statuses = []
    for k in range(24):
        st, _, doc = Api(base, None).json("POST", "/api/v1/login",
                                          {"email": f"nobody{k}@nowhere.test", "password": "guess"})
        statuses.append((st, (doc or {}).get("code")))
    locked = [i for i, (st, code) in enumerate(statuses) if st == 429 and code == "rate_limited"]
    check(locked and all(st == 429 for st, _ in statuses[locked[0]:]),
          "guessing over many addresses: the client address is limited (429 rate_limited)", statuses)
    check(locked and locked[0] <= 20, "the address limit holds at 20 failures in 15 minutes", locked[:1])


if __name__ == "__main__":
    sys.exit(main())
