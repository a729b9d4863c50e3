#!/usr/bin/python3
"""Integration test of answers that must not mislead, against the real server, real
PostgreSQL and the full real plan file (4,348 plans):

* unknown query parameters are 400 naming the parameter, on every endpoint (the gate's
  per-endpoint list); the known ones still work;
* GET /api/v1/projects: q (name search), mine=true, and gemeente / provincie filters that
  ignore case and accents (oracle: Python's own folding of the names read with psql);
* two Authorization headers, or two bs_session cookies: 400 naming the header;
* a problem's instance is the path as received (%00 stays %00);
* dates outside the working-day calendar name the range and, in a what-if, the member's
  JSON path;
* a blank reason is no reason (422 naming reason);
* a body shorter than its Content-Length: h2o closes the connection after the request
  timeout without an answer, and the server keeps serving (docs/api.md).

Raw HTTP goes through a socket: urllib would re-encode the path or merge headers.

Usage: test_api_answers.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (Api, check, eq, expect_problem, finish, fresh_database, psql, shared_file,  # noqa: E402
                  start_server)
import bsit  # noqa: E402

# BS_HTTP_REQUEST_TIMEOUT_MS (api/http.h): the whole request must arrive within it
REQUEST_TIMEOUT_S = 10


def fold(s):
    """Case and accents ignored: NFKD without combining marks, lower case (the oracle of
    bs_fold, written independently of it)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch)).lower()


def raw(base, data, timeout=30.0):
    """Sends data (bytes) on a new connection and returns everything read until the server
    closes or the response is complete (Content-Length)."""
    u = urllib.parse.urlsplit(base)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            head, sep, body = buf.partition(b"\r\n\r\n")
            if sep:
                cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
    return buf


def parse_raw(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {ln.split(":", 1)[0].lower(): ln.split(":", 1)[1].strip() for ln in lines[1:] if ":" in ln}
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    return status, headers, doc


def raw_get(base, path, headers=()):
    u = urllib.parse.urlsplit(base)
    req = f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nConnection: close\r\n"
    req += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return parse_raw(raw(base, req.encode()))


def names(doc):
    return [p.get("name") for p in (doc or {}).get("invalid_params", [])]


def list_all(api, query):
    """All results of GET /api/v1/projects?query (following next)."""
    st, _, doc = api.json("GET", "/api/v1/projects?page_size=500&" + query)
    if st != 200:
        return st, []
    out = list(doc["results"])
    while doc["next"]:
        st, _, doc = api.json("GET", doc["next"][len(api.base):])
        out += doc["results"]
    return 200, out


def unknown_parameters(api, anon, pid):
    print("== unknown query parameters: 400 naming them, on every endpoint")
    for path, param in [("/api/v1/projects?search=De", "search"),
                        ("/api/v1/projects?gemeente=Utrecht&order=name", "order"),
                        ("/healthz?verbose=1", "verbose"),
                        ("/api/v1/me?x", "x"),
                        (f"/api/v1/projects/{pid}?fields=name", "fields"),
                        (f"/api/v1/projects/{pid}/schedule?knownon=2021-01-01", "knownon"),
                        (f"/api/v1/projects/{pid}/forecast?sample=100", "sample"),
                        ("/api/v1/alerts?include=superseded&sttus=sent", "sttus"),
                        ("/api/v1/projects?page%5Fsize=5", "page%5Fsize")]:
        doc = expect_problem(api, "GET", path, 400, param, f"unknown parameter {path}")
        check(param in (doc or {}).get("detail", ""), f"{path}: the detail names {param}", doc)
    # anonymous callers get the same answer, before any credential matters
    expect_problem(anon, "GET", "/api/v1/projects?search=De", 400, "search", "anonymous: unknown parameter")
    # a write endpoint: refused before the handler, nothing changed
    before = psql(api.db, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}'")
    expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/initiatief_ontvangen/start?force=1", 400, "force",
                   "unknown parameter on a write", body={"date": "2021-01-04"})
    eq(psql(api.db, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}'"), before,
       "a refused write changed nothing")
    # the known parameters still work
    for path in ["/api/v1/projects?page=2&page_size=3&planstatus=4b",
                 f"/api/v1/projects/{pid}/schedule?near_critical_days=5&known_on=2026-11-29",
                 f"/api/v1/projects/{pid}/history?step=initiatief_ontvangen",
                 f"/api/v1/projects/{pid}/checks?high_float_days=50&leads_max_percent=0&fs_share_min_percent=90",
                 f"/api/v1/projects/{pid}/forecast?samples=100&seed=3",
                 f"/api/v1/projects/{pid}/audit?page=1&page_size=5",
                 "/api/v1/alerts?include=superseded&page=1",
                 "/api/v1/feed-tokens?project_id=" + pid,
                 "/api/v1/reports/aggregate?group_by=provincie",
                 "/api/v1/exchange/geojson?crs=wgs84",
                 "/api/v1/lead-times?size_class=1-10"]:
        st, _, doc = api.json("GET", path)
        eq(st, 200, f"known parameters accepted: {path} {doc if st != 200 else ''}")


def search_and_filters(api, anon, url, me_id):
    print("== GET /api/v1/projects: q, gemeente, provincie ignore case and accents; mine")
    rows = [r.split("\t") for r in psql(url, "COPY (SELECT id, name, gemeente, provincie FROM projects) TO STDOUT")
            .splitlines()]
    eq(len(rows), 4348, "the real plans")
    # the real names are ASCII: one gets an accented name here, and accents in the query are
    # ignored as well
    renamed = sorted(r[0] for r in rows)[10]
    psql(url, f"UPDATE projects SET name = 'Nij Wenjen Fryslân Súd' WHERE id = '{renamed}'")
    rows = [r if r[0] != renamed else [r[0], "Nij Wenjen Fryslân Súd", r[2], r[3]] for r in rows]
    for q in ["fryslan sud", "FRYSLÂN", "Fryslan", "wénjen"]:
        want = sorted(r[0] for r in rows if fold(q) in fold(r[1]))
        st, got = list_all(api, "q=" + urllib.parse.quote(q))
        eq(st, 200, f"q={q}: status")
        eq(sorted(p["id"] for p in got), want, f"q={q}: every name containing it, case and accents ignored")
        check(renamed in [p["id"] for p in got], f"q={q} finds Nij Wenjen Fryslân Súd", [p["name"] for p in got][:5])
    for q in ["STRÁAT", "Stráat"]:
        want = sorted(r[0] for r in rows if "straat" in fold(r[1]))
        st, got = list_all(api, "q=" + urllib.parse.quote(q))
        eq(sorted(p["id"] for p in got), want, f"q={q}: an accent in the query is ignored")
    # a plain substring, any case
    want = sorted(r[0] for r in rows if "straat" in fold(r[1]))
    st, got = list_all(api, "q=STRAAT")
    eq(sorted(p["id"] for p in got), want, "q=STRAAT: every name containing straat")
    check(len(want) > 1, "q=STRAAT: the oracle is not empty", len(want))
    # LIKE metacharacters are literal
    st, got = list_all(api, "q=%25")
    eq(sorted(p["id"] for p in got), sorted(r[0] for r in rows if "%" in r[1]), "q=% is a literal percent sign")
    st, got = list_all(api, "q=_")
    eq(sorted(p["id"] for p in got), sorted(r[0] for r in rows if "_" in r[1]), "q=_ is a literal underscore")

    # provincie: Fryslan and fryslân find Fryslân; utrecht finds Utrecht
    for q, canon in [("Fryslan", "Fryslân"), ("FRYSLÂN", "Fryslân"), ("utrecht", "Utrecht")]:
        want = sorted(r[0] for r in rows if r[3] == canon)
        st, got = list_all(api, "provincie=" + urllib.parse.quote(q))
        eq(st, 200, f"provincie={q}: status")
        check(len(want) > 0, f"provincie {canon} exists in the real data", len(want))
        eq(sorted(p["id"] for p in got), want, f"provincie={q} = provincie {canon}")
    # gemeente: any case; an accent in the query is ignored
    for q, canon in [("utrechtse heuvelrug", "Utrechtse Heuvelrug"), ("DE RONDE VENEN", "De Ronde Venen"),
                     ("Woérden", "Woerden"), ("ijsselstein", "IJsselstein")]:
        want = sorted(r[0] for r in rows if r[2] == canon)
        check(len(want) > 0, f"gemeente {canon} exists in the real data", len(want))
        st, got = list_all(api, "gemeente=" + urllib.parse.quote(q))
        eq(sorted(p["id"] for p in got), want, f"gemeente={q} = gemeente {canon}")
    # the next link keeps q
    st, _, doc = api.json("GET", "/api/v1/projects?q=straat&page_size=1")
    check(doc and doc["next"] and "q=straat" in doc["next"], "next keeps q", doc and doc["next"])

    # mine: member, follower or role holder; nothing else
    eq(list_all(api, "mine=true")[1], [], "mine=true: the operator is beheerder, not member, follower or role holder")
    ids = sorted(r[0] for r in rows)[:3]
    st, _, doc = api.json("POST", f"/api/v1/projects/{ids[0]}/follows", {"user_id": me_id})
    eq(st, 201, f"follow {doc}")
    st, _, doc = api.json("POST", f"/api/v1/projects/{ids[1]}/members", {"user_id": me_id, "role": "medewerker"})
    eq(st, 201, f"member {doc}")
    st, _, doc = api.json("POST", f"/api/v1/projects/{ids[2]}/roles", {"user_id": me_id, "role": "projectleider"})
    eq(st, 201, f"role {doc}")
    st, got = list_all(api, "mine=true")
    eq(sorted(p["id"] for p in got), ids, "mine=true: followed, member, projectleider")
    st, got = list_all(api, "mine=true&q=" + urllib.parse.quote(fold(rows[[r[0] for r in rows].index(ids[1])][1])))
    check(ids[1] in [p["id"] for p in got], "mine combines with q", got)
    eq(list_all(api, "mine=false")[0], 200, "mine=false: no filter")
    eq(api.json("GET", "/api/v1/projects?mine=false&page_size=1")[2]["count"], 4348, "mine=false: all plans")
    expect_problem(api, "GET", "/api/v1/projects?mine=yes", 400, "mine", "mine=yes")
    expect_problem(anon, "GET", "/api/v1/projects?mine=true", 401, "mine", "anonymous mine=true")


def credentials(base, token):
    print("== two Authorization headers / two session cookies: 400")
    st, _, doc = raw_get(base, "/api/v1/me", [("Authorization", "Bearer " + token)])
    eq(st, 200, "one Authorization header: 200")
    for second in ["Bearer " + token, "Bearer bs_someone_else"]:
        st, h, doc = raw_get(base, "/api/v1/me", [("Authorization", "Bearer " + token), ("Authorization", second)])
        eq(st, 400, f"two Authorization headers ({second[:12]}…): status")
        eq(h.get("content-type"), "application/problem+json", "two Authorization headers: problem")
        check("Authorization" in names(doc), "two Authorization headers: names Authorization", doc)
    # the ZGW webhook reads its own Authorization value: two are refused as well
    st, _, doc = raw_get(base, "/api/v1/projects", [("Authorization", "Bearer x"), ("Authorization", "Bearer y")])
    eq(st, 400, "two Authorization headers on a public route")
    for cookies in [[("Cookie", "bs_session=a; bs_session=b")], [("Cookie", "bs_session=a"), ("Cookie", "bs_session=b")]]:
        st, _, doc = raw_get(base, "/api/v1/me", cookies)
        eq(st, 400, f"two bs_session cookies {cookies}: status")
        check("Cookie" in names(doc), "two bs_session cookies: names Cookie", doc)
    st, _, doc = raw_get(base, "/api/v1/me", [("Cookie", "theme=dark; bs_session=a")])
    eq(st, 401, "one (unknown) bs_session beside another cookie: 401, not 400")


def instance(base, pid):
    print("== the problem's instance is the path as received")
    for path in [f"/api/v1/projects/{pid}%00", f"/api/v1/projects/{pid}%00/schedule", "/api/v1/nope%2Fx%00",
                 f"/api/v1/projects/{pid}/steps/%C3%A9t%C3%A9/start"]:
        st, h, doc = raw_get(base, path)
        check(st in (404, 405), f"{path}: status", st)
        eq((doc or {}).get("instance"), path, f"{path}: instance")
        check("\u0001" not in json.dumps(doc), f"{path}: no control character in the problem", doc)


def dates(api, pid):
    print("== dates outside the calendar: the range in the detail, the member's path")
    rng = ("1990-01-01", "2150-12-31")  # engine.h BS_CALENDAR_FIRST_YEAR..LAST_YEAR
    for body, field in [({"reason": "test", "start_no_earlier_than": "1900-01-01"}, "start_no_earlier_than"),
                        ({"reason": "test", "finish_no_later_than": "2200-06-30"}, "finish_no_later_than"),
                        ({"reason": "test", "planned_start": "1989-12-31"}, "planned_start")]:
        doc = expect_problem(api, "PATCH", f"/api/v1/projects/{pid}/steps/initiatief_ontvangen", 422, field,
                             f"PATCH {field} outside", body=body)
        check(doc and rng[0] in doc["detail"] and rng[1] in doc["detail"], f"PATCH {field}: range in the detail", doc)
    doc = expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/initiatief_ontvangen/complete", 422, "date",
                         "complete before the calendar", body={"date": "1985-03-01"})
    check(doc and rng[0] in doc["detail"], "complete: range in the detail", doc)
    doc = expect_problem(api, "GET", f"/api/v1/projects/{pid}/schedule?known_on=1900-01-01", 400, "known_on",
                         "known_on before the calendar")
    check(doc and rng[0] in doc["detail"], "known_on: range in the detail", doc)
    doc = expect_problem(api, "GET", "/api/v1/exports/zuid-holland?date=2151-01-01", 400, "date",
                         "export date after the calendar")
    check(doc and rng[1] in doc.get("detail", ""), "export date: range in the detail", str(doc)[:300])
    for i, change in [(0, {"op": "set_constraint", "step": "laatste_oplevering", "start_no_earlier_than": "2200-01-01"}),
                      (1, {"op": "set_constraint", "step": "laatste_oplevering", "finish_no_later_than": "1900-01-01"})]:
        changes = [{"op": "set_duration", "step": "principeverzoek_beoordeeld", "duration": 40}] if i else []
        changes.append(change)
        member = [k for k in change if k.endswith("_than")][0]
        for path in ["what-if", "scenarios"]:
            body = {"changes": changes} if path == "what-if" else {"name": f"range {i}", "changes": changes}
            doc = expect_problem(api, "POST", f"/api/v1/projects/{pid}/{path}", 422, f"changes[{i}].{member}",
                                 f"{path} change {i} {member} outside", body=body)
            check(doc and rng[0] in doc["detail"] and rng[1] in doc["detail"], f"{path}: range in the detail", doc)
            check(doc and "changes" not in names(doc), f"{path}: not just 'changes'", doc)


def reasons(api, pid):
    print("== a blank reason is no reason")
    for reason in ["   ", "", "\t\n", "\u00a0\u2003", "\u3000"]:
        doc = expect_problem(api, "PATCH", f"/api/v1/projects/{pid}/steps/principeverzoek_beoordeeld", 422, "reason",
                             f"PATCH reason {reason!r}", body={"reason": reason, "duration": 30})
    expect_problem(api, "PATCH", f"/api/v1/projects/{pid}/steps/principeverzoek_beoordeeld", 422, "reason",
                   "PATCH without reason", body={"duration": 30})
    expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/initiatief_ontvangen/start", 422, "reason",
                   "start with a blank (optional) reason", body={"date": "2021-01-04", "reason": "  "})
    eq(psql(api.db, f"SELECT count(*) FROM schedule_history WHERE project_id = '{pid}' "
                    "AND step_key = 'principeverzoek_beoordeeld'"), "0", "nothing stored for blank reasons")
    st, _, doc = api.json("PATCH", f"/api/v1/projects/{pid}/steps/principeverzoek_beoordeeld",
                          {"reason": "  zie raadsbesluit  ", "duration": 30})
    eq(st, 200, f"PATCH with a reason (white space around it): {doc if st != 200 else ''}")


def short_body(base):
    print("== a body shorter than its Content-Length: closed after the request timeout, server healthy")
    u = urllib.parse.urlsplit(base)
    head = (f"POST /api/v1/what-if HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n").encode()
    bound = 10 * REQUEST_TIMEOUT_S + 60  # an order of magnitude above the expected time: no speed assertion
    with socket.create_connection((u.hostname, u.port), timeout=bound) as s:
        s.sendall(head + b'{"changes"')
        # meanwhile the server answers other requests
        st, _, doc = raw_get(base, "/healthz")
        eq(st, 200, "another request is served while a body is awaited")
        got, err = b"", None
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except OSError as e:
            err = e
        check(err is None, "the connection is closed by the server, not left hanging", err)
        # h2o 2.2.5 closes without a response (no handler has run); an answer, if one came, is a 408 problem
        if got:
            st, h, doc = parse_raw(got)
            eq(st, 408, "an answer to a timed-out body is 408")
            eq(h.get("content-type"), "application/problem+json", "408 is a problem document")
    st, _, doc = raw_get(base, "/healthz")
    eq(st, 200, "the next request after the timed-out body is answered")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    plans = shared_file(args.source, "data", "plannen", "eib-2020-rd.geojson")
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        for cmd in (["migrate"], ["import", plans]):
            r = subprocess.run([args.binary, *cmd], env=env, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print(f"FAIL: {cmd[0]}: {r.stderr[-2000:]}")
                return 1
        proc, base = start_server(args.binary, env)
        try:
            api = Api(base)
            api.db = url
            anon = Api(base, token=None)
            st, _, me = api.json("GET", "/api/v1/me")
            eq(st, 200, "me")
            # a plan with every step open (4B), to change freely
            pid = psql(url, "SELECT id FROM projects WHERE planstatus = '4B' ORDER BY source_key::int LIMIT 1")
            unknown_parameters(api, anon, pid)
            search_and_filters(api, anon, url, me["id"] if "id" in me else me["user"]["id"])
            credentials(base, bsit.DEFAULT_TOKEN)
            instance(base, pid)
            dates(api, pid)
            reasons(api, pid)
            short_body(base)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
