#!/usr/bin/python3
"""Dashboards and the public rule (issue 18 item 4; migration 0036_dashboard.sql, api/routes_dashboard.c,
docs/homes-and-goals.md "Dashboards and the public rule", docs/security.md §3b), against the real server
and PostgreSQL.

An installation of municipality G0 (a raad member, who sees intern_ambtelijk and intern_bestuurlijk
projects only as aggregates) and G1 (nothing of it reaches G0's raad), with projects at every level,
blocks, realised and started steps and knelpunten. Checked:

* every view and group_by of GET /api/v1/dashboard matches figures computed here from the same rows
  (read with psql) by an independent implementation of the k = 5 rule: hidden contributions shown only in
  cells with >= 5 hidden projects, the rest merged (all of them when the merged cell would hold 1..4), none
  when fewer than 5 are reached;
* both modes of the merge: first a small cell set that merges into one merged cell of >= 5, then (after a
  write: the cache must follow) one whose merged cell would hold 1..4, so every hidden contribution merges;
* every byte of every response the raad member gets contains no name (nor id) of a project it may not
  read in full;
* the public endpoints (anonymous): only openbaar projects, their public facts, never a person (no e-mail
  address, no user name), never a non-openbaar project's name or id;
* the cache follows every change: a write through the API and one through SQL both change the answer and
  raise data_version; an unchanged repeat answers the same document.

Usage: test_dashboard.py --binary BOUWSTROOM --source SRC
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (Api, check, eq, expect_problem, finish, fresh_database, provision, psql, start_server,  # noqa: E402
                  token_for)

K = 5
HIDDEN_LEVELS = ("intern_ambtelijk", "intern_bestuurlijk")  # G0 raad: aggregate only

# (planstatus, level, copies, tenure) of G0's projects; each has blocks of 10*(i+1) koop homes and,
# for every third one, a block of 7 huur homes of type meergezins
G0 = [
    ("1A", "openbaar", 4, "koop"), ("1A", "intern_raad", 2, "koop"), ("1A", "intern_ambtelijk", 7, "koop"),
    ("3", "extern_woonregio", 2, "koop"), ("3", "intern_bestuurlijk", 3, "koop"),
    ("4A", "intern_ambtelijk", 1, "koop"),
    ("4B", "intern_ambtelijk", 2, "koop"),
    ("2A", "prive", 2, "koop"),  # none for the raad member
]
G1 = [("1A", "intern_ambtelijk", 4, "koop"), ("1A", "openbaar", 3, "koop")]


def setup(url):
    psql(url, "INSERT INTO organisations (name, kind, region, import_key) VALUES ('G0', 'gemeente', 'R0', "
              "'gemeente:G0'), ('G1', 'gemeente', NULL, 'gemeente:G1')")
    n = 0
    for org, rows in (("G0", G0), ("G1", G1)):
        for status, level, copies, _ in rows:
            for c in range(copies):
                n += 1
                secret = "GEHEIM" if level in HIDDEN_LEVELS or level == "prive" or org == "G1" and level != "openbaar" \
                    else "Zichtbaar"
                psql(url, "SET bouwstroom.audit = 'bulk'; "
                          "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
                          "progress_date, process_schema_key, process_schema_version, owner_organisation_id, "
                          "confidentiality, planned_completion) SELECT 'dash', "
                          f"'{n}', '{secret}-{org}-{status}-{level}-{c}', '{org}', 'Utrecht', "
                          f"'{'uitleg' if n % 2 else 'verdichting'}', '{status}', DATE '2026-01-01', 'ppm-woningbouw', 1, "
                          f"o.id, '{level}', DATE '{2028 + n % 3}-06-30' FROM organisations o WHERE o.name = '{org}'")
                psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_blocks (project_id, homes, tenure, home_type) "
                          f"SELECT id, {10 * (n % 4 + 1)}, 'koop', 'grondgebonden' FROM projects WHERE source_key = '{n}'"
                          f" AND source = 'dash'")
                if n % 3 == 0:
                    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_blocks (project_id, homes, tenure, "
                              f"home_type) SELECT id, 7, 'huur', 'meergezins' FROM projects WHERE source_key = '{n}' "
                              "AND source = 'dash'")
    # blocks spread over years (0037): the huur blocks of 7 homes go 30 % to 2031, 70 % to 2033 whatever the
    # milestone dates (2 and 5 homes by largest remainder)
    psql(url, "SET bouwstroom.audit = 'bulk'; UPDATE project_blocks SET spread = "
              "'[{\"year\": 2031, \"percent\": 30}, {\"year\": 2033, \"percent\": 70}]' WHERE homes = 7")
    # steps: every project has the schema's steps open; realised durations on initiatief_ingediend for
    # every G0 project (n days), started (right-censored) on initiatief_ontvangen for every second one
    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_steps (project_id, step_key, status, actual_start, "
              "actual_finish) SELECT id, 'initiatief_ingediend', 'done', DATE '2025-01-01', "
              "DATE '2025-01-01' + (source_key::int * 3) FROM projects WHERE source = 'dash' AND gemeente = 'G0'")
    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_steps (project_id, step_key, status, actual_start) "
              "SELECT id, 'initiatief_ontvangen', 'started', DATE '2025-03-01' FROM projects WHERE source = 'dash' "
              "AND gemeente = 'G0' AND source_key::int % 2 = 0")
    # phases: every fifth G0 project has the first four steps done (phase definitie); every seventh has a gap
    # (the first two and the fourth done: still initiatief); one project has every step done (afgerond)
    for keys, cond in ((SCHEMA_KEYS[:4], "% 5 = 0"), ([SCHEMA_KEYS[0], SCHEMA_KEYS[1], SCHEMA_KEYS[3]], "% 7 = 0"),
                       (SCHEMA_KEYS, "= 11")):
        psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_steps (project_id, step_key, status) "
                  f"SELECT p.id, k, 'done' FROM projects p, unnest(ARRAY{keys!r}) k WHERE p.source = 'dash' "
                  f"AND p.gemeente = 'G0' AND p.source_key::int {cond} "
                  "ON CONFLICT (project_id, step_key) DO UPDATE SET status = 'done'")
    # knelpunten: a deadline on principeakkoord for every G0 project with source_key % 3 = 1
    psql(url, "SET bouwstroom.audit = 'bulk'; UPDATE projects SET knelpunt = true WHERE source = 'dash' "
              "AND gemeente = 'G0' AND source_key::int % 3 = 1")
    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_steps (project_id, step_key, status, "
              "finish_no_later_than) SELECT id, 'principeakkoord', 'open', DATE '2026-02-01' FROM projects "
              "WHERE knelpunt AND source = 'dash' "
              "ON CONFLICT (project_id, step_key) DO UPDATE SET finish_no_later_than = EXCLUDED.finish_no_later_than")
    # the notifier's stored plan and forecast of laatste_oplevering for every second G0 project
    psql(url, "INSERT INTO milestone_dates (project_id, step_key, planned_finish, status, p50, p80) "
              "SELECT id, 'laatste_oplevering', DATE '2029-03-01' + source_key::int * 40, 'open', "
              "DATE '2029-06-01' + source_key::int * 50, DATE '2030-01-01' + source_key::int * 70 FROM projects "
              "WHERE source = 'dash' AND gemeente = 'G0' AND source_key::int % 2 = 1")
    psql(url, "INSERT INTO users (organisation_id, email, name) SELECT id, 'raad@g0', 'Raadslid Geheimhouder' "
              "FROM organisations WHERE name = 'G0'")
    psql(url, "INSERT INTO organisation_members (organisation_id, user_id, role) SELECT o.id, u.id, 'raad' "
              "FROM organisations o, users u WHERE o.name = 'G0' AND u.email = 'raad@g0'")


def rows(url, uid):
    """Per project the raad member has any access to: (id, name, hidden, planstatus, plantype, blocks,
    step durations) — read with psql, the policy as bs_project_access (0015) decides."""
    out = {}
    text = psql(url, "SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'hidden', a.access = 'aggregate' "
                     "AND NOT a.stream, 'planstatus', p.planstatus, 'plantype', p.plantype, 'planned', "
                     "p.planned_completion, 'knelpunt', p.knelpunt, "
                     "'md', (SELECT row_to_json(m) FROM (SELECT planned_finish, p50, p80 FROM milestone_dates "
                     "WHERE project_id = p.id AND step_key = 'laatste_oplevering') m), "
                     "'blocks', (SELECT json_agg(json_build_object('homes', b.net_homes, 'tenure', b.tenure, "
                     "'home_type', b.home_type, 'spread', b.spread)) FROM project_blocks b WHERE b.project_id = p.id), "
                     "'steps', (SELECT json_agg(json_build_object('key', s.step_key, 'status', s.status, 'days', "
                     "s.actual_finish - s.actual_start, 'deadline', s.finish_no_later_than)) FROM project_steps s "
                     "WHERE s.project_id = p.id))) "
                     f"FROM projects p JOIN bs_project_access('{uid}'::uuid) a ON a.project_id = p.id "
                     "WHERE a.access IS NOT NULL OR a.stream")
    for r in json.loads(text):
        out[r["id"]] = r
    return out


def spread_homes(homes, spread):
    """The homes per year of a spread by largest remainder (docs/blocks.md), computed here."""
    h = abs(homes)
    base = {y: h * pc // 100 for y, pc in spread}
    left = h - sum(base.values())
    for y, _ in sorted(spread, key=lambda e: (-(h * e[1] % 100), e[0]))[:left]:
        base[y] += 1
    return {y: (n if homes > 0 else -n) for y, n in base.items() if n}


def contributions(projects, by):
    """(cell, project id, hidden, value) for view homes."""
    out = []
    for p in projects.values():
        blocks = p["blocks"] or []
        if by in ("planstatus", "plantype"):
            out.append((p[by], p["id"], p["hidden"], sum(b["homes"] for b in blocks)))
        elif by == "year":  # planned (stored plan, else the planned completion), P50, P80 of laatste_oplevering
            md = p["md"] or {}
            planned = md.get("planned_finish") or p["planned"]
            for b in blocks:
                h = b["homes"]
                if b.get("spread"):  # a spread block: its shares in their years, in all three columns
                    for y, n in spread_homes(h, [(e["year"], e["percent"]) for e in b["spread"]]).items():
                        out.append((str(y), p["id"], p["hidden"], (n, n, n)))
                    continue
                out.append((planned[:4] if planned else None, p["id"], p["hidden"], (h, 0, 0)))
                if md.get("p50"):
                    out.append((md["p50"][:4], p["id"], p["hidden"], (0, h, 0)))
                if md.get("p80"):
                    out.append((md["p80"][:4], p["id"], p["hidden"], (0, 0, h)))
        else:
            for b in blocks:
                out.append((b[by], p["id"], p["hidden"], b["homes"]))
    return out


def k_rule(contribs):
    """The expected cells {key or ('merged',): (projects, aggregate_only, sum)} and withheld."""
    hidden_by_cell = {}
    for cell, pid, hidden, _ in contribs:
        if hidden:
            hidden_by_cell.setdefault(cell, set()).add(pid)
    all_hidden = set().union(*hidden_by_cell.values()) if hidden_by_cell else set()
    small = set()
    for cell, ids in hidden_by_cell.items():
        if len(ids) < K:
            small |= ids
    if len(all_hidden) < K:
        mode = "none"
    elif not small or len(small) >= K:
        mode = "cells"
    else:
        mode = "all"
    cells = {}
    for cell, pid, hidden, v in contribs:
        if hidden and mode == "none":
            continue
        key = cell
        if hidden and (mode == "all" or len(hidden_by_cell[cell]) < K):
            key = ("merged",)
        c = cells.setdefault(key, [set(), set(), (0, 0, 0) if isinstance(v, tuple) else 0])
        c[0].add(pid)
        if hidden:
            c[1].add(pid)
        c[2] = tuple(a + b for a, b in zip(c[2], v)) if isinstance(v, tuple) else c[2] + v
    return {k: (len(a), len(b), s) for k, (a, b, s) in cells.items()}, mode == "none" and bool(all_hidden), mode


def got_cells(doc, measure):
    out = {}
    for c in doc["cells"]:
        key = ("merged",) if c.get("merged") else c["key"]
        value = tuple(c[m] for m in measure) if isinstance(measure, tuple) else c[measure]
        out[key] = (c["projects"], c["aggregate_only"], value)
    return out


class Recorder(Api):
    """An Api that keeps every response body (to scan every byte)."""

    def __init__(self, base, token):
        super().__init__(base, token)
        self.bodies = []

    def call(self, method, path, body=None, raw=None, headers=None):
        st, ct, b = super().call(method, path, body, raw, headers)
        self.bodies.append((path, b))
        return st, ct, b


def check_homes(api, url, uid, what):
    """Every homes group_by against the independent figures; returns the modes seen."""
    projects = rows(url, uid)
    modes = set()
    for by in ("planstatus", "plantype", "home_type", "tenure", "year"):
        st, _, doc = api.json("GET", f"/api/v1/dashboard?view=homes&group_by={by}")
        eq(st, 200, f"{what}: homes by {by}")
        want, withheld, mode = k_rule(contributions(projects, by))
        modes.add(mode)
        measure = ("homes_planned", "homes_p50", "homes_p80") if by == "year" else "homes"
        eq(got_cells(doc, measure), want, f"{what}: homes by {by} (mode {mode})")
        eq(doc["confidential_withheld"], withheld, f"{what}: homes by {by}: withheld")
        for c in doc["cells"]:
            check(c["aggregate_only"] == 0 or c["aggregate_only"] >= K, f"{what}: {by} cell {c['key']}: 0 or >= k hidden",
                  c)
    # the aggregate report (GET /api/v1/reports/aggregate) follows the same rule
    st, _, doc = api.json("GET", "/api/v1/reports/aggregate?group_by=planstatus")
    eq(st, 200, f"{what}: aggregate report")
    want, withheld, _ = k_rule([(p["planstatus"], p["id"], p["hidden"], 0) for p in projects.values()])
    got = {("merged",) if r.get("merged") else r["key"]: (r["projects"], r["aggregate_only"], r["homes_remaining"])
           for r in doc["results"]}
    eq(got, want, f"{what}: aggregate report by planstatus")
    eq(doc["confidential_withheld"], withheld, f"{what}: aggregate report: withheld")
    # phase: of the first step in schema order neither done nor skipped (processes/ppm-woningbouw.json)
    st, _, doc = api.json("GET", "/api/v1/dashboard?view=homes&group_by=phase")
    eq(st, 200, f"{what}: homes by phase")
    phase = {p["id"]: phase_of(p) for p in projects.values()}
    check(set(phase.values()) >= {"initiatief", "definitie", "afgerond"}, f"{what}: the fixture has three phases")
    want, _, _ = k_rule([(phase[pid], pid, h, v) for _, pid, h, v in contributions(projects, "planstatus")])
    eq(got_cells(doc, "homes"), want, f"{what}: homes by phase")
    return modes, doc["data_version"]


SCHEMA = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "processes",
                                   "ppm-woningbouw.json"), encoding="utf-8"))
SCHEMA_KEYS = [st["key"] for st in SCHEMA["steps"]]


def phase_of(p):
    status = {s["key"]: s["status"] for s in p["steps"] or []}
    for st in SCHEMA["steps"]:
        if status.get(st["key"], "open") not in ("done", "skipped"):
            return st["phase"]
    return "afgerond"


def percentile(values, q):
    v = sorted(values)
    x = q * (len(v) - 1)
    lo = int(x)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (x - lo)


def check_steps(api, url, uid, what):
    projects = rows(url, uid)
    st, _, doc = api.json("GET", "/api/v1/dashboard?view=lead_times")
    eq(st, 200, f"{what}: lead times")
    cells = {c["key"]: c for c in doc["cells"]}
    for key in ("initiatief_ingediend", "initiatief_ontvangen"):
        def counts(s):  # a realised duration or a started step (right-censored)
            return s["key"] == key and (s["status"] == "started" or s["status"] == "done" and s["days"] is not None)

        hidden = [p for p in projects.values() if p["hidden"] and any(counts(s) for s in p["steps"] or [])]
        use = [p for p in projects.values() if not p["hidden"] or len(hidden) >= K]
        done = [s["days"] for p in use for s in p["steps"] or []
                if s["key"] == key and s["status"] == "done" and s["days"] is not None]
        started = [1 for p in use for s in p["steps"] or [] if s["key"] == key and s["status"] == "started"]
        c = cells.get(key)
        check(c is not None, f"{what}: lead times of {key}")
        if not c:
            continue
        eq((c["realised"], c["open"]), (len(done), len(started)), f"{what}: {key} realised and open")
        if done:
            eq(round(c["median_calendar_days"], 6), round(percentile(done, 0.5), 6), f"{what}: {key} median")
            eq(round(c["p80_calendar_days"], 6), round(percentile(done, 0.8), 6), f"{what}: {key} P80")
    st, _, doc = api.json("GET", "/api/v1/dashboard?view=knelpunten&group_by=step")
    eq(st, 200, f"{what}: knelpunten")
    contribs = [("principeakkoord", p["id"], p["hidden"], 1) for p in projects.values()
                if p["knelpunt"] and any(s["deadline"] for s in p["steps"] or [])]
    want, _, _ = k_rule(contribs)
    eq({k: v[:2] for k, v in got_cells(doc, "projects").items()}, {k: v[:2] for k, v in want.items()},
       f"{what}: knelpunten per step")
    check(len(contribs) > K, f"{what}: the fixture has knelpunten", len(contribs))


def check_public(url, base, emails):
    anon = Recorder(base, None)
    openbaar = set(psql(url, "SELECT id FROM projects WHERE confidentiality = 'openbaar'").split())
    secret = psql(url, "SELECT string_agg(id || '|' || name, ',') FROM projects "
                       "WHERE confidentiality <> 'openbaar'").split(",")
    check(len(openbaar) >= 7 and len(secret) > 10, "fixture: openbaar and other projects", (len(openbaar), len(secret)))
    st, _, doc = anon.json("GET", "/api/v1/public/projects?page_size=500")
    eq(st, 200, "public projects")
    eq({r["id"] for r in doc["results"]}, openbaar, "public projects: exactly the openbaar ones")
    eq(doc["count"], len(openbaar), "public projects: count")
    for r in doc["results"]:
        for member in ("access", "stream_access", "members", "created_by", "changed_by", "email"):
            check(member not in r, f"public project: no {member}")
    st, _, one = Api(base).json("GET", f"/api/v1/projects/{doc['results'][0]['id']}")
    eq(sorted(set(one) - {"access", "stream_access"}), sorted(doc["results"][0]), "public facts: the fields of "
       "GET /api/v1/projects/{id} (one list)")
    # the public dashboard: openbaar homes only, also for a logged-in caller
    want = int(psql(url, "SELECT COALESCE(sum(b.net_homes), 0) FROM project_blocks b JOIN projects p "
                         "ON p.id = b.project_id WHERE p.confidentiality = 'openbaar'"))
    for by in ("planstatus", "tenure", "year", "phase"):
        st, _, d = anon.json("GET", f"/api/v1/public/dashboard?view=homes&group_by={by}")
        eq(st, 200, f"public dashboard by {by}")
        eq(sum(c["homes_planned" if by == "year" else "homes"] for c in d["cells"]), want,
           f"public dashboard by {by}: the openbaar homes")
        eq(sum(c["aggregate_only"] for c in d["cells"]), 0, f"public dashboard by {by}: nothing aggregate-only")
        eq(d["data_version"], None, f"public dashboard by {by}: no data version (it counts every project's changes)")
    for v in ("knelpunten", "lead_times"):
        st, _, d = anon.json("GET", f"/api/v1/public/dashboard?view={v}")
        eq(st, 200, f"public dashboard {v}")
    st, _, d = Api(base).json("GET", "/api/v1/public/dashboard?group_by=planstatus")
    eq(sum(c["homes"] for c in d["cells"]), want, "public dashboard: openbaar only for a logged-in administrator")
    # many readers at once after a change: every one gets the new figures (they share one computation)
    psql(url, "UPDATE project_blocks SET homes = homes + 1 WHERE project_id IN (SELECT id FROM projects "
              "WHERE confidentiality = 'openbaar')")
    want = int(psql(url, "SELECT COALESCE(sum(b.net_homes), 0) FROM project_blocks b JOIN projects p "
                         "ON p.id = b.project_id WHERE p.confidentiality = 'openbaar'"))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        docs = list(pool.map(lambda _: Api(base, None).json("GET", "/api/v1/public/dashboard?group_by=tenure"),
                             range(16)))
    eq({st for st, _, _ in docs}, {200}, "16 concurrent readers after a change: all answered")
    eq({sum(c["homes"] for c in d["cells"]) for _, _, d in docs}, {want}, "16 concurrent readers: the new figures")
    expect_problem(anon, "GET", "/api/v1/public/dashboard?view=geheim", 400, "view", "public dashboard: bad view")
    expect_problem(anon, "GET", "/api/v1/public/dashboard?view=homes&group_by=gemeente", 400, "group_by",
                   "public dashboard: bad group_by")
    expect_problem(anon, "GET", "/api/v1/dashboard", 401, None, "dashboard: anonymous")
    for path, body in anon.bodies:
        for s in secret:
            pid, name = s.split("|", 1)
            check(pid.encode() not in body and name.encode() not in body, f"anonymous {path}: no non-openbaar project",
                  name)
        for e in emails:
            check(e.encode() not in body, f"anonymous {path}: no person", e)
        check(b"@" not in body and b"Geheimhouder" not in body, f"anonymous {path}: no e-mail address or user name")


def run(binary, env, url, base):
    setup(url)
    provision(binary, env)  # the operator: beheerder of G0 and G1 (the PATCH below)
    uid = psql(url, "SELECT id FROM users WHERE email = 'raad@g0'")
    raad = Recorder(base, token_for(binary, env, "raad@g0"))
    hidden_n = int(psql(url, f"SELECT count(*) FROM bs_project_access('{uid}'::uuid) WHERE access = 'aggregate'"))
    eq(hidden_n, 7 + 3 + 1 + 2, "fixture: the raad member sees 13 projects only as aggregates")

    # 1. cells mode: 1A has 7 hidden (own cell); 3, 4A, 4B hold 3 + 1 + 2 = 6 hidden: one merged cell
    modes, v1 = check_homes(raad, url, uid, "cells mode")
    years = {c[0] for c in contributions(rows(url, uid), "year")}
    check({"2031", "2033"} <= years, "the fixture's spread blocks count in their years", years)
    eq(psql(url, "SELECT string_agg(year || ':' || homes, ',') FROM bs_block_spread_homes(7, "
                 "(SELECT spread FROM project_blocks WHERE homes = 7 LIMIT 1))"), "2031:2,2033:5",
       "7 homes at 30/70 %: 2 and 5")
    check("cells" in modes, "the fixture exercises the merged cell of >= k", modes)
    st, _, doc = raad.json("GET", "/api/v1/dashboard?group_by=planstatus")
    merged = [c for c in doc["cells"] if c.get("merged")]
    eq([(c["aggregate_only"]) for c in merged], [6], "cells mode: one merged cell of the 6 hidden of 3, 4A, 4B")
    eq(sorted(c["key"] for c in doc["cells"] if not c.get("merged")), ["1A", "3"], "cells mode: 1A and the visible 3")
    st2, _, again = raad.json("GET", "/api/v1/dashboard?group_by=planstatus")
    eq(again, doc, "an unchanged repeat answers the same document (cache)")
    check_steps(raad, url, uid, "cells mode")

    # an unchanged re-plan (the notifier's upsert of the same dates) keeps the data version; a changed
    # P50 raises it and moves the homes
    psql(url, "UPDATE milestone_dates SET status = status, revision = revision")
    st, _, same = raad.json("GET", "/api/v1/dashboard?group_by=planstatus")
    eq(same["data_version"], doc["data_version"], "an unchanged re-plan keeps the data version")
    st, _, y1 = raad.json("GET", "/api/v1/dashboard?group_by=year")
    psql(url, "UPDATE milestone_dates SET p50 = p50 + 400")
    _, v1 = check_homes(raad, url, uid, "after a changed P50")
    st, _, y2 = raad.json("GET", "/api/v1/dashboard?group_by=year")
    check(y2["data_version"] > y1["data_version"] and y2["cells"] != y1["cells"], "a changed P50 moves the homes")
    check(sum(c["homes_p50"] for c in y2["cells"]) > 0, "the fixture has stored P50s")

    # 2. a write through the API: a hidden 4B project to intern_raad (readable) — 4B keeps 1 hidden,
    # the small cells hold 3 + 1 + 1 = 5: still cells mode, but the figures change
    pid = psql(url, "SELECT id FROM projects WHERE planstatus = '4B' AND gemeente = 'G0' ORDER BY source_key LIMIT 1")
    st, _, _ = Api(base).json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": "intern_raad"})
    eq(st, 200, "PATCH confidentiality through the API")
    _, v2 = check_homes(raad, url, uid, "after an API write")
    check(v2 > v1, "an API write raises data_version", (v1, v2))
    st, _, doc2 = raad.json("GET", "/api/v1/dashboard?group_by=planstatus")
    check(doc2 != doc, "the cache followed the API write")

    # 3. all mode, through SQL: the other 4B project also readable, one 3 project too: the small cells hold
    # 2 + 1 = 3 hidden (1..4), so every hidden contribution goes to the merged cell
    psql(url, "UPDATE projects SET confidentiality = 'intern_raad' WHERE gemeente = 'G0' AND ((planstatus = '4B' "
              "AND confidentiality = 'intern_ambtelijk') OR id = (SELECT id FROM projects WHERE planstatus = '3' "
              "AND confidentiality = 'intern_bestuurlijk' ORDER BY source_key LIMIT 1))")
    modes, v3 = check_homes(raad, url, uid, "all mode")
    check(v3 > v2, "a write through SQL raises data_version", (v2, v3))
    check("all" in modes, "the fixture exercises the all-merged mode", modes)
    st, _, doc = raad.json("GET", "/api/v1/dashboard?group_by=planstatus")
    eq([c["aggregate_only"] for c in doc["cells"] if c.get("merged")], [7 + 2 + 1], "all mode: every hidden merged")
    eq(sum(c["aggregate_only"] for c in doc["cells"] if not c.get("merged")), 0, "all mode: no cell with hidden")
    check_steps(raad, url, uid, "all mode")

    # 4. fewer than k hidden: withheld everywhere
    psql(url, "UPDATE projects SET confidentiality = 'intern_raad' WHERE gemeente = 'G0' AND confidentiality IN "
              "('intern_ambtelijk', 'intern_bestuurlijk') AND id NOT IN (SELECT id FROM projects WHERE gemeente = 'G0' "
              "AND confidentiality = 'intern_ambtelijk' ORDER BY source_key LIMIT 2)")
    modes, _ = check_homes(raad, url, uid, "withheld")
    eq(modes, {"none"}, "fewer than k hidden: withheld in every view")
    st, _, doc = raad.json("GET", "/api/v1/dashboard")
    eq(doc["confidential_withheld"], True, "withheld is said")
    check_steps(raad, url, uid, "withheld")
    for by in ("planstatus", "gemeente", "provincie", "confidentiality"):
        raad.json("GET", f"/api/v1/reports/aggregate?group_by={by}")
    raad.json("GET", "/api/v1/projects?page_size=500")

    # a council member's responses: no name or id of a project it may not read in full (every byte)
    st, _, _ = raad.json("GET", "/api/v1/dashboard?view=bad")
    eq(st, 400, "a bad view is a 400")
    secret = psql(url, "SELECT string_agg(p.id || '|' || p.name, ',') FROM projects p "
                       f"LEFT JOIN bs_project_access('{uid}'::uuid) a ON a.project_id = p.id "
                       "WHERE a.access IS NULL OR a.access NOT IN ('public', 'read', 'write', 'lead')").split(",")
    check(len(raad.bodies) > 30, "the raad member made many requests", len(raad.bodies))
    for path, body in raad.bodies:
        for s in secret:
            p, name = s.split("|", 1)
            check(p.encode() not in body and name.encode() not in body, f"raad {path}: no confidential project", name)
    check_public(url, base, ["raad@g0", "it-operator@bouwstroom.test"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        proc, base = start_server(args.binary, env)
        try:
            run(args.binary, env, url, base)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
