#!/usr/bin/python3
"""The endpoints behind the web app's alert and calendar page and its what-if planner, against
the real binary, a real PostgreSQL and real HTTP (docs/api.md):

- GET /api/v1/follows: the projects the caller follows, by name; a project the caller can no
  longer read drops out; paged like every list. Unfollowing stops the project's waiting alerts.
- GET /api/v1/users/{id}/alert-settings: digest, language and the effective rule of every kind
  with its source (default → organisation → user); another user's: 403 naming id, an
  administrator: anyone's.
- PATCH /api/v1/users/{id}: digest and locale, the user's waiting alerts follow the digest
  choice; bad values 422 naming the field, unknown members 422, another user's 403.
- GET /api/v1/alerts/upcoming: the caller's alerts still to be sent, soonest first, each with
  details, because (follower, projectleider) and the effective rule of its kind; nobody
  else's.
- GET /api/v1/feed-tokens: each token with its project's name.
- POST …/what-if and GET …/scenarios/{sid}/compare: project_finish_shift_working_days, and
  the compare answer carries the forecast shifts of the what-if (same seed: equal answers).

Usage: test_alert_settings.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402

KINDS = ["milestone_upcoming", "milestone_overdue", "blocked_by_other_stream", "forecast_slipped", "external_update"]


def add_user(binary, env, email, role):
    r = subprocess.run([binary, "user", "add", email, "--role", role, "--organisation", "Voorbeeldstad",
                        "--generate-password"], env=env, capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, f"user add {email} " + r.stderr[-300:])
    return token_for(binary, env, email, "read,write")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        tok = {who: add_user(args.binary, env, f"{who}@voorbeeldstad.test", role)
               for who, role in [("anna", "projectleider"), ("bert", "medewerker")]}
        proc, base = start_server(args.binary, env)
        try:
            run(base, url, tok)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def me(api):
    st, _, doc = api.json("GET", "/api/v1/me")
    eq(st, 200, "GET /me")
    return doc["id"]


def wait_upcoming(api, project, what, timeout=30):
    """The caller's upcoming alerts once the notifier has planned those of the project followed
    and superseded those of the project no longer followed (it re-plans after each)."""
    deadline = time.time() + timeout
    while True:
        st, _, doc = api.json("GET", "/api/v1/alerts/upcoming?page_size=500")
        settled = st == 200 and doc["count"] > 0 and all(a["project_id"] == project for a in doc["results"])
        if st != 200 or settled or time.time() > deadline:
            eq(st, 200, f"{what}: status")
            return doc
        time.sleep(0.3)


def run(base, url, tok):
    anna, bert, op, anon = Api(base, tok["anna"]), Api(base, tok["bert"]), Api(base), Api(base, None)
    aid, bid = me(anna), me(bert)
    ids = dict(line.split("|") for line in psql(
        url, "SELECT name || '|' || id FROM projects WHERE source = 'sample' ORDER BY name").splitlines())
    p1, p2 = ids["Marktveld"], ids["Molenweide"]

    # --- follows ---
    eq(anon.call("GET", "/api/v1/follows")[0], 401, "anonymous GET /follows")
    st, _, doc = anna.json("GET", "/api/v1/follows")
    eq((st, doc["count"], doc["results"]), (200, 0, []), "no follows yet")
    for p in (p2, p1):
        eq(anna.json("POST", f"/api/v1/projects/{p}/follows", {})[0], 201, "anna follows a project")
    st, _, doc = anna.json("GET", "/api/v1/follows")
    eq([r["name"] for r in doc["results"]], ["Marktveld", "Molenweide"], "follows by name")
    eq(sorted(doc["results"][0].keys()), ["created_at", "gemeente", "name", "project_id"], "follow fields")
    eq(doc["results"][0]["project_id"], p1, "the project's id")
    st, _, doc = anna.json("GET", "/api/v1/follows?page_size=1&page=2")
    eq((doc["count"], [r["name"] for r in doc["results"]], doc["next"]), (2, ["Molenweide"], None), "paged")
    expect_problem(anna, "GET", "/api/v1/follows?page_size=0", 400, "page_size", "page_size 0")
    expect_problem(anna, "GET", "/api/v1/follows?user_id=" + bid, 400, "user_id", "an undocumented parameter")
    eq(bert.json("GET", "/api/v1/follows")[2]["count"], 0, "bert sees only his own follows")
    # a project anna can no longer read (privé: its members only, docs/security.md §3) drops out of her list
    before = psql(url, f"SELECT confidentiality FROM projects WHERE id = '{p2}'")
    psql(url, f"UPDATE projects SET confidentiality = 'prive' WHERE id = '{p2}'")
    eq(anna.json("GET", f"/api/v1/projects/{p2}")[0], 404, "privé: anna no longer sees the project")
    eq([r["name"] for r in anna.json("GET", "/api/v1/follows")[2]["results"]], ["Marktveld"],
       "a project no longer readable drops out")
    psql(url, f"UPDATE projects SET confidentiality = '{before}' WHERE id = '{p2}'")
    waiting = f"SELECT count(*) FROM alerts WHERE user_id = '{aid}' AND project_id = '{p2}' AND status = 'scheduled'"
    deadline = time.time() + 30
    while psql(url, waiting) == "0" and time.time() < deadline:
        time.sleep(0.3)
    check(psql(url, waiting) != "0", "following planned alerts of the project", psql(url, waiting))
    eq(anna.call("DELETE", f"/api/v1/projects/{p2}/follows/{aid}")[0], 204, "unfollow")
    eq(psql(url, waiting), "0", "after unfollowing, none of the project's alerts is sent any more")
    eq([r["name"] for r in anna.json("GET", "/api/v1/follows")[2]["results"]], ["Marktveld"], "unfollowed")

    # --- alert settings: defaults, organisation, user ---
    st, _, s = anna.json("GET", f"/api/v1/users/{aid}/alert-settings")
    eq(st, 200, "own alert settings")
    eq((s["user_id"], s["digest"], s["locale"], s["time_zone"]), (aid, False, "nl", "Europe/Amsterdam"), "settings")
    eq([r["kind"] for r in s["rules"]], KINDS, "one effective rule per kind, in order")
    eq([(r["enabled"], r["days"], r["source"]) for r in s["rules"]],
       [(True, 10, "default"), (True, 0, "default"), (True, 0, "default"), (True, 10, "default"), (True, 0, "default")],
       "the defaults the notifier plans with (docs/alerts.md)")
    eq([(r["days_unit"], r["basis_applies"]) for r in s["rules"]],
       [("working_days", True), (None, False), (None, False), ("calendar_days", False), (None, False)], "units")
    org = s["organisation_id"]
    eq(op.json("PUT", "/api/v1/alert-rules", {"organisation_id": org, "kind": "milestone_upcoming", "days": 15})[0],
       201, "organisation rule")
    eq(anna.json("PUT", "/api/v1/alert-rules", {"user_id": aid, "kind": "forecast_slipped", "enabled": False,
                                                "days": 30})[0], 201, "user rule")
    s = anna.json("GET", f"/api/v1/users/{aid}/alert-settings")[2]
    eq([(r["kind"], r["enabled"], r["days"], r["source"]) for r in s["rules"] if r["source"] != "default"],
       [("milestone_upcoming", True, 15, "organisation"), ("forecast_slipped", False, 30, "user")],
       "the organisation's rule, then the user's own")
    eq(bert.json("GET", f"/api/v1/users/{bid}/alert-settings")[2]["rules"][0]["days"], 15,
       "a colleague gets the organisation's rule too")
    expect_problem(bert, "GET", f"/api/v1/users/{aid}/alert-settings", 403, "id", "another user's settings")
    eq(op.json("GET", f"/api/v1/users/{aid}/alert-settings")[0], 200, "an administrator reads anyone's")
    expect_problem(anna, "GET", "/api/v1/users/00000000-0000-4000-8000-000000000000/alert-settings", 403, "id",
                   "an unknown user is not the caller")
    expect_problem(op, "GET", "/api/v1/users/00000000-0000-4000-8000-000000000000/alert-settings", 404, "id",
                   "an administrator: unknown user")
    eq(anon.call("GET", f"/api/v1/users/{aid}/alert-settings")[0], 401, "anonymous settings")

    # --- upcoming alerts, with their reasons ---
    up = wait_upcoming(anna, p1, "upcoming alerts after a follow and an unfollow")
    check(up["count"] > 0, "the follow planned alerts", up["count"])
    items = up["results"]
    eq([a["due_at"] for a in items], sorted(a["due_at"] for a in items), "soonest first")
    check(all(a["status"] in ("scheduled", "pending") for a in items), "only alerts still to be sent", items[:2])
    single = [a for a in items if a["kind"] != "follow_summary"]
    check(single and all(a["because"] == ["follower"] for a in single), "because: anna follows",
          [a for a in single if a["because"] != ["follower"]][:2])
    check(all(a["details"]["project_name"] == "Marktveld" and a["details"]["step_name"] for a in single),
          "details name the project and the step",
          [a for a in single if a["details"]["project_name"] != "Marktveld" or not a["details"]["step_name"]][:2])
    check(all(a["rule"]["kind"] == a["kind"] for a in single), "the effective rule of each alert's kind", single[:1])
    upcoming = [a for a in single if a["kind"] == "milestone_upcoming"]
    check(all(a["rule"]["days"] == 15 and a["rule"]["source"] == "organisation" for a in upcoming),
          "an upcoming milestone's rule: the organisation's 15 working days", upcoming[:1])
    summ = [a for a in items if a["kind"] == "follow_summary"]
    check(all(a["rule"] is None and a["step_key"] is None for a in summ), "a summary has no rule", summ)
    eq(psql(url, f"SELECT count(*) FROM alerts WHERE user_id = '{aid}' AND status IN ('scheduled','pending')"),
       str(up["count"]), "count: every waiting alert of the caller")
    eq(bert.json("GET", "/api/v1/alerts/upcoming")[2]["count"], 0, "nobody else's alerts")
    eq(op.json("GET", "/api/v1/alerts/upcoming")[2]["count"], 0, "not even for an administrator")
    # a role shows in because
    eq(op.json("POST", f"/api/v1/projects/{p1}/roles", {"user_id": aid, "role": "projectleider"})[0], 201, "role")
    items = anna.json("GET", "/api/v1/alerts/upcoming?page_size=500")[2]["results"]
    check(any(a["because"] == ["follower", "projectleider"] for a in items), "because: follower and projectleider",
          items[:1])
    expect_problem(anna, "GET", "/api/v1/alerts/upcoming?status=sent", 400, "status", "upcoming takes no status")

    # --- digest and language ---
    st, _, u = anna.json("PATCH", f"/api/v1/users/{aid}", {"digest": True, "locale": "en"})
    eq((st, u["digest"], u["locale"], u["id"]), (200, True, "en", aid), "PATCH digest and locale")
    eq(psql(url, f"SELECT count(*) FROM alerts WHERE user_id = '{aid}' AND status = 'scheduled' "
                 "AND kind <> 'follow_summary' AND NOT digest"), "0", "waiting alerts are held for the digest")
    check(anna.json("GET", f"/api/v1/users/{aid}/alert-settings")[2]["digest"], "settings say digest")
    eq(anna.json("PATCH", f"/api/v1/users/{aid}", {"digest": False})[2]["locale"], "en", "locale unchanged")
    eq(psql(url, f"SELECT count(*) FROM alerts WHERE user_id = '{aid}' AND status = 'scheduled' AND digest"), "0",
       "and released again")
    eq(anna.json("PATCH", f"/api/v1/users/{aid}", {})[0], 200, "an empty change")
    expect_problem(anna, "PATCH", f"/api/v1/users/{aid}", 422, "digest", "digest not a boolean", body={"digest": 1})
    expect_problem(anna, "PATCH", f"/api/v1/users/{aid}", 422, "locale", "locale de", body={"locale": "de"})
    expect_problem(anna, "PATCH", f"/api/v1/users/{aid}", 422, "email", "email is not changed here",
                   body={"email": "x@y.nl"})
    expect_problem(bert, "PATCH", f"/api/v1/users/{aid}", 403, "id", "another user's digest", body={"digest": True})
    eq(op.json("PATCH", f"/api/v1/users/{bid}", {"digest": True})[0], 200, "an administrator changes anyone's")
    expect_problem(op, "PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000", 404, "id", "unknown user",
                   body={"digest": True})
    eq(anon.call("PATCH", f"/api/v1/users/{aid}", {"digest": True})[0], 401, "anonymous PATCH")

    # --- feed tokens name their project ---
    st, _, ft = anna.json("POST", "/api/v1/feed-tokens", {"scope": "project", "project_id": p1, "label": "mijn"})
    eq(st, 201, "project feed")
    st, _, ft2 = anna.json("POST", "/api/v1/feed-tokens", {"scope": "user"})
    lst = anna.json("GET", "/api/v1/feed-tokens")[2]["results"]
    eq([(t["scope"], t["project_name"]) for t in lst], [("project", "Marktveld"), ("user", None)],
       "feed tokens with their project's name")

    # --- what-if and compare: the finish's shift, the forecast shifts ---
    change = [{"op": "set_link", "pred": "voorlopig_ontwerp", "succ": "onderzoeken_uitgevoerd", "type": "SS"}]
    st, _, w = anna.json("POST", f"/api/v1/projects/{p1}/what-if", {"changes": change})
    eq(st, 200, "what-if")
    check(w["project_finish_after"] < w["project_finish_before"], "FS -> SS moves the finish earlier",
          (w["project_finish_before"], w["project_finish_after"]))
    check(isinstance(w["project_finish_shift_working_days"], int) and w["project_finish_shift_working_days"] < 0,
          "project_finish_shift_working_days is negative", w["project_finish_shift_working_days"])
    last = [m for m in w["milestone_shifts"] if m["after"] == w["project_finish_after"]]
    if last:
        eq(w["project_finish_shift_working_days"], last[0]["shift_working_days"],
           "the finish's shift equals that of a milestone finishing on the same dates")
    st, _, z = anna.json("POST", f"/api/v1/projects/{p1}/what-if", {"changes": []})
    eq(z["project_finish_shift_working_days"], 0, "no change, no shift")
    st, _, sc = anna.json("POST", f"/api/v1/projects/{p1}/scenarios", {"name": "parallel", "changes": change})
    eq(st, 201, "scenario saved")
    st, _, cmp = anna.json("GET", f"/api/v1/projects/{p1}/scenarios/{sc['id']}/compare")
    eq(st, 200, "compare")
    eq(cmp["scenario"]["id"], sc["id"], "compare names the scenario")
    eq(cmp["forecast_shifts"], w["forecast_shifts"], "compare carries the what-if's forecast shifts")
    eq((cmp["project_finish_after"], cmp["project_finish_shift_working_days"]),
       (w["project_finish_after"], w["project_finish_shift_working_days"]), "and its finish")
    expect_problem(anna, "GET", f"/api/v1/projects/{p1}/scenarios/00000000-0000-4000-8000-000000000000/compare",
                   404, "scenario_id", "compare of an unknown scenario")


if __name__ == "__main__":
    sys.exit(main())
