#!/usr/bin/python3
"""Password reset by mail, against the real binary, a real PostgreSQL, the real SMTP server on
loopback (tests/smtp/server.py) and real HTTP: the request answers the same for known,
unknown and disabled addresses and mails only the known active one; the mailed secret sets a
new password once (invitation password policy), ends every session and the user's other reset
secrets, leaves the second factor required and is audited as the user; a used, a superseded and
an expired secret (clock pinned with `serve --clock`) are refused; requests are rate-limited.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import check, eq, fresh_database, psql  # noqa: E402
from test_auth_login import call, cookie_of, fresh_code, user_add  # noqa: E402
from test_notifier import Server, Smtp, iso, wait_for  # noqa: E402

USER = "reset@voorbeeldstad.test"


def reset_mails(smtp, rcpt):
    return [m for m in smtp.messages() if rcpt in m["rcpt_tos"] and "wachtwoord" in m["subject"]]


def secret_of(mail):
    m = re.search(r"/password-reset#token=([A-Za-z0-9_-]{43})\b", mail["parts"][0]["text"])
    return m.group(1) if m else None


def scenario(args, env, url, smtp):
    r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")],
                       env=env, capture_output=True, text=True)
    eq(r.returncode, 0, "import sample " + r.stderr)
    t0 = int(time.time())  # the clock is pinned at start-up and then runs with the wall clock (TOTP)
    srv = Server(args.binary, env, smtp.url, clock=iso(t0))
    base = srv.base
    try:
        pw = user_add(args.binary, env, USER, "medewerker", "Voorbeeldstad", "gemeente")
        user_add(args.binary, env, "gone@voorbeeldstad.test", "medewerker", "Voorbeeldstad", "gemeente")
        r = subprocess.run([args.binary, "user", "disable", "gone@voorbeeldstad.test"], env=env, capture_output=True,
                           text=True)
        eq(r.returncode, 0, "disable a user " + r.stderr)
        uid = psql(url, f"SELECT id FROM users WHERE email = '{USER}'")

        print("== a session with password and second factor")
        st, _, doc = call(base, "POST", "/api/v1/login", {"email": USER, "password": pw})
        eq((st, (doc or {}).get("code")), (401, "totp_enrolment_required"), "first login: enrol TOTP")
        secret_b32 = urllib.parse.parse_qs(urllib.parse.urlsplit(doc["otpauth_uri"]).query)["secret"][0]
        used = set()
        st, h, _ = call(base, "POST", "/api/v1/login",
                        {"email": USER, "password": pw, "totp_code": fresh_code(secret_b32, used)})
        eq(st, 200, "login with password and TOTP")
        session = re.match(r"bs_session=([^;]+)", cookie_of(h)).group(1)
        st, _, _ = call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={session}"})
        eq(st, 200, "the session works")

        print("== the same answer for known, unknown and disabled addresses")
        answers = []
        for addr in (USER, "nobody@voorbeeldstad.test", "gone@voorbeeldstad.test", USER.upper()):
            st, h, doc = call(base, "POST", "/api/v1/password-reset", {"email": addr})
            answers.append((st, doc))
        eq(answers[0][0], 202, "request: 202")
        check(all(a == answers[0] for a in answers), "identical status and body for every address", answers)
        mails = wait_for(lambda: len(reset_mails(smtp, USER)) >= 2 and reset_mails(smtp, USER), 20)
        eq(len(reset_mails(smtp, USER)), 2, "the known address got its two mails (the address is case-insensitive)")
        time.sleep(1)
        eq([m["rcpt_tos"] for m in smtp.messages() if USER not in m["rcpt_tos"]], [],
           "nothing was sent to the unknown or the disabled address")
        eq(psql(url, "SELECT count(*) FROM password_resets"), "2", "reset rows only for the known user")
        s1, s2 = secret_of(mails[0]), secret_of(mails[1])
        check(s1 and s2 and s1 != s2, "each mail carries its own secret", (s1, s2))
        stored = psql(url, "SELECT string_agg(r::text, ' ') FROM password_resets r") + \
            psql(url, "SELECT string_agg(a::text, ' ') FROM alerts a")
        check(s1 not in stored and s2 not in stored, "the secrets are stored nowhere (only their hash)")
        check(mails[0]["max_line_octets"] <= 78 and mails[0]["crlf_only"] and not mails[0]["defects"],
              "the reset mail is well-formed MIME", (mails[0]["max_line_octets"], mails[0]["crlf_only"], mails[0]["defects"]))

        print("== the secret sets a new password")
        new_pw = "een-nieuw-wachtwoord-2026"
        st, _, doc = call(base, "POST", "/api/v1/password-reset/confirm", {"secret": s2, "password": "kort"})
        eq((st, [p["name"] for p in (doc or {}).get("invalid_params", [])]), (422, ["password"]),
           "a password shorter than 12 bytes: 422 naming password (invitation policy)")
        st, _, doc = call(base, "POST", "/api/v1/password-reset/confirm", {"secret": s2, "password": new_pw})
        eq(st, 200, "confirm: 200")
        eq(((doc or {}).get("user_id"), (doc or {}).get("sessions_ended"), (doc or {}).get("reset_secrets_ended")),
           (uid, 1, 1), "the session and the other open secret ended")
        st, _, _ = call(base, "GET", "/api/v1/me", headers={"Cookie": f"bs_session={session}"})
        eq(st, 401, "the old session is ended")
        st, _, doc = call(base, "POST", "/api/v1/password-reset/confirm", {"secret": s2, "password": new_pw + "x"})
        eq((st, [p["name"] for p in (doc or {}).get("invalid_params", [])]), (404, ["secret"]),
           "the same secret again: refused")
        st, _, _ = call(base, "POST", "/api/v1/password-reset/confirm", {"secret": s1, "password": new_pw + "x"})
        eq(st, 404, "the user's other secret was ended by the reset")
        st, _, doc = call(base, "POST", "/api/v1/login", {"email": USER, "password": pw})
        eq(st, 401, "the old password no longer works")
        st, _, doc = call(base, "POST", "/api/v1/login", {"email": USER, "password": new_pw})
        eq((st, (doc or {}).get("code")), (401, "totp_required"),
           "the new password is right and the second factor is still required")
        st, _, _ = call(base, "POST", "/api/v1/login",
                        {"email": USER, "password": new_pw, "totp_code": fresh_code(secret_b32, used)})
        eq(st, 200, "login with the new password and TOTP")
        audit = psql(url, "SELECT actor_user_id || '|' || action || '|' || (new->>'password_hash') FROM audit_log "
                          f"WHERE entity = 'users' AND entity_id = '{uid}' AND new ? 'password_hash' "
                          "ORDER BY id DESC LIMIT 1")
        eq(audit, f"{uid}|UPDATE|[redacted]", "the password change is audited as the user, the hash redacted")

        print("== rate limits")
        for i in range(3):
            st, _, _ = call(base, "POST", "/api/v1/password-reset", {"email": "burst@voorbeeldstad.test"})
        st4, h4, doc4 = call(base, "POST", "/api/v1/password-reset", {"email": "burst@voorbeeldstad.test"})
        eq((st, st4, (doc4 or {}).get("code")), (202, 429, "rate_limited"), "a 4th request for one address: 429")
        check(h4 and h4.get("Retry-After"), "429 with Retry-After")

        print("== an expired secret is refused (clock pinned)")
        st, _, _ = call(base, "POST", "/api/v1/password-reset", {"email": USER})
        eq(st, 202, "a new request")
        wait_for(lambda: len(reset_mails(smtp, USER)) >= 3, 20)
        s3 = secret_of(reset_mails(smtp, USER)[2])
        check(s3, "the third mail carries a secret")
        srv.stop()
        srv = Server(args.binary, env, smtp.url, clock=iso(t0 + 31 * 60))
        base = srv.base
        st, _, doc = call(base, "POST", "/api/v1/password-reset/confirm", {"secret": s3, "password": new_pw + "y"})
        eq((st, [p["name"] for p in (doc or {}).get("invalid_params", [])]), (404, ["secret"]),
           "31 minutes later the secret has expired")
        st, _, doc = call(base, "POST", "/api/v1/login", {"email": USER, "password": new_pw + "y"})
        check(st == 401 and (doc or {}).get("code") != "totp_required", "the password was not changed", doc)
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-reset-")
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
