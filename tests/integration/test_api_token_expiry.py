#!/usr/bin/python3
"""API tokens with an expiry through the API, against the real binary, a real PostgreSQL and
real HTTP (docs/api.md "Authentication", docs/security.md §6, docs/operations.md).

POST /api/v1/api-tokens {"name", "scopes", "expires_at"}: expires_at is an RFC 3339
date-time with an offset or a date (valid through that day in Europe/Amsterdam); it must lie
after now and at most `serve --token-max-days` days later (here 30), else 422 naming
expires_at, as for a malformed value; without it the token gets the maximum. The list shows
each token's expiry. An expired token answers 401: the server is restarted with its clock
pinned (`serve --clock`) just before and just after the expiry instead of waiting.

Usage: test_api_token_expiry.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime as dt
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, finish, fresh_database, provision  # noqa: E402

MAX_DAYS = 30


def serve(binary, env, *extra):
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--today", bsit.TODAY, "--token-max-days",
                             str(MAX_DAYS), *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + line + proc.stderr.read())
    return proc, line.split()[-1].strip()


def stop(proc):
    proc.terminate()
    proc.wait(timeout=30)


def ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        provision(args.binary, env)
        r = subprocess.run([args.binary, "serve", "--port", "0", "--token-max-days", "0"], env=env,
                           capture_output=True, text=True, timeout=60)
        eq(r.returncode, 2, "serve refuses --token-max-days 0")
        run(args.binary, env)
    return finish()


def run(binary, env):
    now = dt.datetime.now(dt.timezone.utc)
    day = (now + dt.timedelta(days=2)).date()  # December: Europe/Amsterdam is UTC+1
    proc, base = serve(binary, env)
    try:
        op = Api(base)
        print("== create with an expiry")
        st, _, t1 = op.json("POST", "/api/v1/api-tokens", {"name": "ci-date", "scopes": ["read"],
                                                            "expires_at": day.isoformat()})
        eq(st, 201, "expires_at as a date: 201")
        t1 = t1 or {}
        eq(t1.get("name"), "ci-date", "the name is returned")
        end_of_day = dt.datetime.combine(day, dt.time(23, 0), dt.timezone.utc)  # 00:00 CET the next day
        eq(ts(t1.get("expires_at", "1970-01-01T00:00:00Z")), end_of_day,
           "a date is valid through that day in Europe/Amsterdam")
        at = (now + dt.timedelta(days=1)).replace(microsecond=0)
        st, _, t2 = op.json("POST", "/api/v1/api-tokens", {"name": "ci-instant",
                                                            "expires_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        eq(st, 201, "expires_at as an RFC 3339 date-time: 201")
        eq(ts((t2 or {}).get("expires_at", "1970-01-01T00:00:00Z")), at, "the instant is stored as given")
        at2 = at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
        st, _, t2b = op.json("POST", "/api/v1/api-tokens", {"name": "offset", "expires_at": at2.isoformat()})
        eq((st, ts((t2b or {}).get("expires_at", "1970-01-01T00:00:00Z"))), (201, at), "an offset is honoured")
        st, _, t3 = op.json("POST", "/api/v1/api-tokens", {"name": "ci-default", "scopes": ["read"]})
        eq(st, 201, "without expires_at: 201")
        left = ts((t3 or {}).get("expires_at", "1970-01-01T00:00:00Z")) - now
        check(dt.timedelta(days=MAX_DAYS - 1) < left <= dt.timedelta(days=MAX_DAYS, hours=1),
              "without expires_at the token gets the maximum", left)

        print("== refused expiries name expires_at")
        for bad, what in [((now + dt.timedelta(days=MAX_DAYS + 1)).date().isoformat(), "beyond the maximum"),
                          ((now + dt.timedelta(days=MAX_DAYS, hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "two hours beyond the maximum"),
                          ("2020-01-01", "a date in the past"),
                          ((now - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"), "an instant in the past"),
                          ("morgen", "malformed"), ("2027-02-30", "not a calendar date"),
                          (at.strftime("%Y-%m-%dT%H:%M:%S"), "a date-time without offset"),
                          (at.strftime("%Y-%m-%d %H:%M:%SZ"), "a space for T is not RFC 3339 here"),
                          (1893456000, "a number"), (None, "null")]:
            expect_problem(op, "POST", "/api/v1/api-tokens", 422, "expires_at", f"expires_at {what}",
                           body={"name": "x", "expires_at": bad})
        expect_problem(op, "POST", "/api/v1/api-tokens", 422, "expires_in_days", "expires_in_days beyond the maximum",
                       body={"expires_in_days": MAX_DAYS + 1})
        expect_problem(op, "POST", "/api/v1/api-tokens", 422, "expires_at", "both expiry forms",
                       body={"expires_in_days": 1, "expires_at": day.isoformat()})

        print("== listed with their expiry")
        st, _, lst = op.json("GET", "/api/v1/api-tokens")
        by = {t["id"]: t for t in (lst or {}).get("results", [])}
        for t in (t1, t2, t3):
            got = by.get(t.get("id") if t else None, {})
            eq((got.get("name"), got.get("expires_at")), (t.get("name"), t.get("expires_at")),
               f"list shows {t.get('name')} with its expiry")
        st, _, _ = Api(base, token=t1.get("token")).json("GET", "/api/v1/me")
        eq(st, 200, "the dated token works before its expiry")
    finally:
        stop(proc)

    print("== expiry by the server's clock")
    last_minute = dt.datetime.combine(day, dt.time(22, 59), dt.timezone.utc)
    for clock, want in [(last_minute, 200), (last_minute + dt.timedelta(minutes=2), 401)]:
        proc, base = serve(binary, env, "--clock", clock.strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            st, ct, doc = Api(base, token=t1.get("token")).json("GET", "/api/v1/me")
            eq(st, want, f"the token valid through {day} at {clock.isoformat()}")
            if want == 401:
                eq(ct, "application/problem+json", "expired: a problem document")
            st, _, _ = Api(base, token=t3.get("token")).json("GET", "/api/v1/me")
            eq(st, 200, "a token expiring later still works then")
            st, _, _ = Api(base).json("GET", "/api/v1/me")
            eq(st, 200, "a token without expiry (CLI) still works then")
        finally:
            stop(proc)


if __name__ == "__main__":
    sys.exit(main())
