#!/usr/bin/python3
"""Beleidsdoelen (policy goals): CRUD, problems naming the field, the progress of a goal and
its confidentiality, against the real binary, a real PostgreSQL and real HTTP
(docs/homes-and-goals.md "Beleidsdoelen").

- CRUD by a management member; a medewerker reads but may not write (403 naming
  organisation_id / id); a user of another organisation does not see the goal (404); every
  write audited.
- 422 naming the field: a missing target or year_to, year_from on a by_year goal, a percentage
  above 100, an unknown measure, an unknown condition (a plusveld: conditions.<name>), a bad
  planstatus code, an unknown member, organisation_id in a PATCH.
- Progress: the homes planned by the deadline equal those computed here from the blocks and
  the planned milestone dates that GET /projects/{id}/forecast reports; the second call reuses
  every project's samples, a change of one project's step recomputes exactly that one.
- An independent simulation: the probability that the goal is met, drawn here from the
  per-project delivery distributions the API reports (our own draws, not the server's samples,
  projects independent), agrees with the API's within 4 standard errors of its 2,000 samples;
  the P50 likewise within the simulated quantiles' neighbourhood. The exact answer from the same
  distributions (their convolution; Poisson-binomial for one home each) agrees with both.
- Confidentiality: a council member (raad) gets the same totals, the confidential project as an
  anonymous entry (no id, name or gemeente anywhere in the answer).
- Plusveld conditions (0037): project and block plusvelden select exactly the matching projects
  and blocks; an unknown or retired key, a wrong category or type, a bad range are 422s naming
  conditions.plusvelden.<key>; a goal whose plusveld is retired later keeps its condition, names
  the key in retired_plusvelden and matches nothing through it.
- Blocks spread over years (0037): per year planned = P50 = P80 = mean = the shares by largest
  remainder computed here, in every sample; a project with only spread blocks is not forecast.

Usage: test_goals_api.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime
import math
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402


def bsit_failures():
    return ["FAIL"] if bsit.failures else []


def add_user(binary, env, email, role, org="Voorbeeldstad"):
    r = subprocess.run([binary, "user", "add", email, "--role", role, "--organisation", org,
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
        org = psql(url, "SELECT id FROM organisations WHERE name = 'Voorbeeldstad'")
        # every plan readable by management and raad; the confidentiality test makes one intern_bestuurlijk
        psql(url, "UPDATE projects SET confidentiality = 'extern_mede_overheden' "
                  "WHERE bs_confidentiality_rank(confidentiality) < 3")
        psql(url, "INSERT INTO organisations (name, kind) VALUES ('Elders', 'gemeente')")
        tok = {who: add_user(args.binary, env, f"{who}@voorbeeldstad.test", role)
               for who, role in [("adviser", "management"), ("writer", "medewerker"), ("raad", "raad")]}
        tok["other"] = add_user(args.binary, env, "other@elders.test", "beheerder", "Elders")
        proc, base = start_server(args.binary, env)
        try:
            run(base, url, org, tok)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
            if "FAIL" in "".join(bsit_failures()) or err.count("ERROR"):
                print(err[-3000:])
    return finish()


def crud(api, url, org):
    print("== create, read, list, change, delete")
    adv = api["adviser"]
    body = {"organisation_id": org, "name": "Woningbouwopgave 2030", "target": 500, "year_to": 2030}
    st, _, g = adv.json("POST", "/api/v1/goals", body)
    eq(st, 201, "a management member creates a goal")
    eq((g["measure"], g["direction"], g["period"], g["year_from"], g["conditions"], g["gemeenten"]),
       ("homes", "minimum", "by_year", None, {}, None), "defaults")
    st, _, got = api["writer"].json("GET", f"/api/v1/goals/{g['id']}")
    eq((st, got and got["name"]), (200, "Woningbouwopgave 2030"), "a medewerker reads it")
    st, _, lst = api["raad"].json("GET", f"/api/v1/goals?organisation_id={org}")
    eq((st, [x["id"] for x in lst["results"]]), (200, [g["id"]]), "a council member lists it")
    expect_problem(api["other"], "GET", f"/api/v1/goals/{g['id']}", 404, "id", "another organisation's user")
    st, _, lst = api["other"].json("GET", "/api/v1/goals")
    eq((st, lst["count"]), (200, 0), "another organisation's list is empty")
    expect_problem(api["writer"], "POST", "/api/v1/goals", 403, "organisation_id", "a medewerker creates", body)
    expect_problem(api["other"], "POST", "/api/v1/goals", 403, "organisation_id", "another organisation's beheerder",
                   body)
    expect_problem(api["writer"], "PATCH", f"/api/v1/goals/{g['id']}", 403, "id", "a medewerker changes",
                   {"target": 1})
    expect_problem(api["other"], "PATCH", f"/api/v1/goals/{g['id']}", 404, "id", "a stranger changes", {"target": 1})
    st, _, p = adv.json("PATCH", f"/api/v1/goals/{g['id']}", {"period": "per_year", "year_from": 2027,
                                                              "conditions": {"tenure": ["huur"]}})
    eq((st, p and p["period"], p and p["year_from"], p and p["conditions"], p and p["target"]),
       (200, "per_year", 2027, {"tenure": ["huur"]}, 500), "changed members, the others kept")
    expect_problem(adv, "PATCH", f"/api/v1/goals/{g['id']}", 422, "year_from", "per_year without year_from",
                   {"year_from": None})
    expect_problem(adv, "PATCH", f"/api/v1/goals/{g['id']}", 422, "target", "a percentage above 100 by PATCH",
                   {"measure": "percentage"})
    st, _, _ = adv.call("DELETE", f"/api/v1/goals/{g['id']}")
    eq(st, 204, "deleted")
    expect_problem(adv, "GET", f"/api/v1/goals/{g['id']}", 404, "id", "gone")
    rows = psql(url, "SELECT action FROM audit_log WHERE entity = 'policy_goals' ORDER BY id").splitlines()
    eq(rows, ["INSERT", "UPDATE", "DELETE"], "every write audited")

    print("== problems naming the field")
    P = "/api/v1/goals"
    for field, what, b in [
            ("target", "target missing", {"organisation_id": org, "name": "x", "year_to": 2030}),
            ("year_to", "year_to missing", {"organisation_id": org, "name": "x", "target": 1}),
            ("year_from", "year_from on by_year", {"organisation_id": org, "name": "x", "target": 1,
                                                   "year_to": 2030, "year_from": 2025}),
            ("year_to", "per_year backwards", {"organisation_id": org, "name": "x", "target": 1, "period": "per_year",
                                               "year_from": 2031, "year_to": 2030}),
            ("target", "percentage above 100", {"organisation_id": org, "name": "x", "target": 120,
                                                "measure": "percentage", "year_to": 2030}),
            ("measure", "unknown measure", {"organisation_id": org, "name": "x", "target": 1, "measure": "m2",
                                            "year_to": 2030}),
            ("conditions.plusveld_wijk", "a plusveld condition", {"organisation_id": org, "name": "x", "target": 1,
                                                                  "year_to": 2030,
                                                                  "conditions": {"plusveld_wijk": ["Noord"]}}),
            ("conditions.planstatus", "bad planstatus", {"organisation_id": org, "name": "x", "target": 1,
                                                         "year_to": 2030, "conditions": {"planstatus": ["9Z"]}}),
            ("conditions.tenure", "empty list", {"organisation_id": org, "name": "x", "target": 1, "year_to": 2030,
                                                 "conditions": {"tenure": []}}),
            ("gemeenten", "gemeenten not a list", {"organisation_id": org, "name": "x", "target": 1,
                                                   "year_to": 2030, "gemeenten": "Voorbeeldstad"}),
            ("colour", "unknown member", {"organisation_id": org, "name": "x", "target": 1, "year_to": 2030,
                                          "colour": "red"}),
            ("organisation_id", "organisation_id not a uuid", {"organisation_id": "x", "name": "x", "target": 1,
                                                               "year_to": 2030})]:
        expect_problem(adv, "POST", P, 422, field, what, b)
    st, _, lst = adv.json("GET", P)
    eq(lst["count"], 0, "refused writes stored nothing")


def planned_by(api, blocks_by_project, deadline):
    """The homes planned by the deadline, from the blocks and the forecast route's planned milestone dates."""
    total = 0
    for pid, blocks in blocks_by_project.items():
        st, _, fc = api.json("GET", f"/api/v1/projects/{pid}/forecast?samples=100")
        eq(st, 200, "forecast of a project")
        planned = {m["key"]: m["planned"] for m in fc["milestones"]}
        for b in blocks:
            day = planned.get(b["milestone"])
            if day and datetime.date.fromisoformat(day) <= deadline:
                total += b["net_homes"]
    return total


def simulate(projects, target, n=200000, seed=20261206):
    """P(Σ contributions >= target) and the median, drawing each project's contribution
    independently from the distribution the API reports for it."""
    rng = random.Random(seed)
    tables = []
    for p in projects:
        vals = [d["value"] for d in p["delivery"]]
        cum, c = [], 0.0
        for d in p["delivery"]:
            c += d["probability"]
            cum.append(c)
        tables.append((vals, cum))
    totals = []
    for _ in range(n):
        s = 0.0
        for vals, cum in tables:
            u = rng.random() * cum[-1]
            k = 0
            while cum[k] < u:
                k += 1
            s += vals[k]
        totals.append(s)
    totals.sort()
    met = sum(1 for t in totals if t >= target - 1e-9) / n
    return met, totals[math.ceil(0.5 * n) - 1], totals


def convolve_at_least(projects, target):
    """P(Σ contributions >= target), exactly, for independent projects with the reported distributions."""
    dist = {0.0: 1.0}
    for p in projects:
        nxt = {}
        for v, q in dist.items():
            for d in p["delivery"]:
                k = v + d["value"]
                nxt[k] = nxt.get(k, 0.0) + q * d["probability"]
        dist = nxt
    return sum(q for v, q in dist.items() if v >= target - 1e-9)


def progress(base, url, org, tok):
    api = {who: Api(base, token=t) for who, t in tok.items()}
    adv, op = api["adviser"], Api(base)
    ids = psql(url, "SELECT string_agg(id::text, ',' ORDER BY source_key) FROM projects").split(",")
    blocks = {}
    for pid in ids:
        st, _, lst = op.json("GET", f"/api/v1/projects/{pid}/blocks?page_size=100")
        blocks[pid] = lst["results"]
    year = 2030
    deadline = datetime.date(year, 12, 31)
    want_planned = planned_by(op, blocks, deadline)
    total = sum(b["net_homes"] for bl in blocks.values() for b in bl)
    print(f"== progress ({len(ids)} projects, {total} homes, {want_planned} planned by {deadline})")
    check(0 < want_planned < total, "the sample has homes planned before and after the deadline", want_planned)
    target = want_planned
    st, _, g = adv.json("POST", "/api/v1/goals", {"organisation_id": org, "name": "Opgave", "target": target,
                                                  "year_to": year})
    eq(st, 201, "goal created")
    t0 = time.time()
    st, _, pr = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    eq(st, 200, "progress")
    if st != 200:
        raise RuntimeError(f"progress: {st} {pr}")
    print(f"   first progress {time.time() - t0:.1f} s: {pr['forecasts']}")
    w = pr["windows"][0]
    eq((len(pr["windows"]), w["year"]), (1, year), "one window, by the deadline year")
    check(abs(w["planned"] - want_planned) < 1e-6, "homes planned equal the blocks by the planned milestone dates",
          (w["planned"], want_planned))
    eq((pr["samples"], pr["forecasts"]["computed"], pr["forecasts"]["not_forecast"]), (2000, len(pr["projects"]), 0),
       "every contributing project forecast once")
    eq(sorted(p["id"] for p in pr["projects"]),
       sorted(pid for pid in ids if any(b["net_homes"] for b in blocks[pid])), "every project with homes listed")
    check(w["p80"] <= w["p50"], "P80 homes <= P50 homes", (w["p80"], w["p50"]))
    check(0 <= pr["probability_met"] <= 1, "a probability", pr["probability_met"])
    for p in pr["projects"]:
        s = sum(d["probability"] for d in p["delivery"])
        check(abs(s - 1) < 1e-9, "a project's delivery distribution sums to 1", s)
    imp = [p["importance"] for p in pr["projects"] if p["importance"] is not None]
    eq(imp, sorted(imp, reverse=True), "projects ordered by importance")

    print("== independent simulation from the per-project distributions")
    # the target moved to the median: a goal change reuses every project's samples
    target = w["p50"]
    st, _, _ = adv.json("PATCH", f"/api/v1/goals/{g['id']}", {"target": target})
    eq(st, 200, "target changed")
    st, _, pr = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    eq((pr["forecasts"]["computed"], pr["forecasts"]["reused"]), (0, len(pr["projects"])),
       "a changed goal reuses every project's samples")
    w = pr["windows"][0]
    p_api = pr["probability_met"]
    p_sim, med_sim, totals = simulate(pr["projects"], target)
    se = math.sqrt(max(p_sim * (1 - p_sim), 1e-4) / pr["samples"]) + math.sqrt(max(p_sim * (1 - p_sim), 1e-4) / 200000)
    print(f"   P(met): API {p_api:.4f}, simulation {p_sim:.4f} (SE = {se:.4f}); "
          f"median API {w['p50']}, simulation {med_sim}")
    # 4 standard errors: the project ids, and so the server's seeds, differ per run; at 3 a correct
    # server would fail about one run in 370 per check
    check(abs(p_api - p_sim) <= 4 * se, "P(met) agrees with the simulation within 4 standard errors",
          (p_api, p_sim, se))
    check(0.02 < p_sim < 0.98, "the target is not a trivial case", p_sim)
    # the exact answer from the same per-project distributions: their convolution (for one home per
    # project this is the Poisson-binomial distribution; here each project delivers its homes or not)
    p_exact = convolve_at_least(pr["projects"], target)
    se_api = math.sqrt(max(p_exact * (1 - p_exact), 1e-4) / pr["samples"])
    print(f"   P(met) exact from the reported distributions {p_exact:.4f} (API SE = {se_api:.4f})")
    check(abs(p_api - p_exact) <= 4 * se_api, "P(met) agrees with the exact convolution within 4 SE", (p_api, p_exact))
    check(abs(p_sim - p_exact) <= 4 * math.sqrt(max(p_exact * (1 - p_exact), 1e-4) / 200000),
          "the simulation agrees with the exact convolution", (p_sim, p_exact))
    # the API's median lies between the simulation's 0.5 -/+ 4 SE quantiles
    q = lambda p: totals[min(len(totals) - 1, max(0, math.ceil(p * len(totals)) - 1))]  # noqa: E731
    d = 4 * math.sqrt(0.25 / pr["samples"])
    check(q(0.5 - d) <= w["p50"] <= q(0.5 + d), "the median agrees with the simulation",
          (q(0.5 - d), w["p50"], q(0.5 + d)))

    print("== the cache: reused, and only a changed project recomputed")
    st, _, pr2 = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    eq((pr2["forecasts"]["computed"], pr2["forecasts"]["reused"]), (0, len(pr["projects"])), "all reused")
    eq(pr2["probability_met"], p_api, "the same answer from the cache (seeded per project)")
    changed = next(p["id"] for p in pr["projects"] if 0 < sum(d["probability"] for d in p["delivery"] if d["value"] > 0))
    st, _, sched = op.json("GET", f"/api/v1/projects/{changed}/schedule")
    step = next(s for s in sched["steps"] if s["status"] == "open" and not s["milestone"] and s["critical"])
    st, _, _ = op.json("PATCH", f"/api/v1/projects/{changed}/steps/{step['key']}",
                       {"duration": 2500, "reason": "vertraging"})
    eq(st, 200, "a step of one project lengthened")
    st, _, pr3 = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    eq((pr3["forecasts"]["computed"], pr3["forecasts"]["reused"]), (1, len(pr["projects"]) - 1),
       "exactly the changed project recomputed")
    after = next(p for p in pr3["projects"] if p["id"] == changed)
    before = next(p for p in pr["projects"] if p["id"] == changed)
    delivered = lambda p: sum(d["probability"] for d in p["delivery"] if d["value"] > 0)  # noqa: E731
    check(delivered(after) < delivered(before), "the lengthened project delivers by the deadline less often",
          (before, after))

    print("== confidentiality: a council member gets the totals and anonymous entries")
    secret = pr["projects"][1]["id"]
    name = psql(url, f"SELECT name FROM projects WHERE id = '{secret}'")
    psql(url, f"UPDATE projects SET confidentiality = 'intern_bestuurlijk' WHERE id = '{secret}'")
    st, _, pa = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    st, _, body = api["raad"].call("GET", f"/api/v1/goals/{g['id']}/progress")
    eq(st, 200, "a council member reads the progress")
    import json
    pr_raad = json.loads(body)
    eq((pr_raad["probability_met"], pr_raad["windows"]), (pa["probability_met"], pa["windows"]), "the same totals")
    eq(len(pr_raad["projects"]), len(pa["projects"]), "the same number of entries")
    check(secret in [p["id"] for p in pa["projects"]], "management sees the intern_bestuurlijk project", "")
    check(secret.encode() not in body and name.encode() not in body, "the council member's answer names it nowhere",
          name)
    eq(sum(1 for p in pr_raad["projects"] if p["id"] is None and p["name"] is None and p["gemeente"] is None), 1,
       "one anonymous entry")
    expect_problem(api["other"], "GET", f"/api/v1/goals/{g['id']}/progress", 404, "id", "a stranger's progress")

    print("== percentage, per year, conditions, a region")
    st, _, g2 = adv.json("POST", "/api/v1/goals", {
        "organisation_id": org, "name": "30 % huur", "measure": "percentage", "target": 30, "period": "per_year",
        "year_from": 2027, "year_to": 2030, "conditions": {"tenure": ["huur"]}, "gemeenten": ["Voorbeeldstad"]})
    eq(st, 201, "a percentage goal per year of a region")
    st, _, p2 = adv.json("GET", f"/api/v1/goals/{g2['id']}/progress")
    eq((st, [x["year"] for x in p2["windows"]]), (200, [2027, 2028, 2029, 2030]), "one window per year")
    check(all(0 <= x["p80"] <= x["p50"] <= 100 for x in p2["windows"]), "percentages", p2["windows"])
    check(p2["probability_met"] <= min(x["probability_met"] for x in p2["windows"]) + 1e-12,
          "every year met is no likelier than any one year", p2)
    print("== a region goal of another organisation counts only what that organisation may see")
    other = api["other"]
    eorg = psql(url, "SELECT id FROM organisations WHERE name = 'Elders'")
    st, _, g4 = other.json("POST", "/api/v1/goals", {"organisation_id": eorg, "name": "regio", "target": 1,
                                                     "year_to": 2100, "gemeenten": ["Voorbeeldstad"]})
    eq(st, 201, "a region goal of Elders over Voorbeeldstad")

    def region_count():
        st, _, p4 = other.json("GET", f"/api/v1/goals/{g4['id']}/progress")
        eq(st, 200, "its progress")
        return p4["forecasts"]["projects"]

    with_homes = "(SELECT 1 FROM project_blocks b WHERE b.project_id = p.id AND b.net_homes <> 0)"
    eq(region_count(), int(psql(url, f"SELECT count(*) FROM projects p WHERE confidentiality = 'openbaar' "
                                     f"AND EXISTS {with_homes}")), "no woonregio: only openbaar plans")
    psql(url, "UPDATE organisations SET region = 'Testregio' WHERE name IN ('Elders', 'Voorbeeldstad')")
    n4 = int(psql(url, f"SELECT count(*) FROM projects p WHERE bs_confidentiality_rank(confidentiality) >= 4 "
                       f"AND EXISTS {with_homes}"))
    check(n4 < len(pa["projects"]), "the intern_bestuurlijk plan is not counted", n4)
    eq(region_count(), n4, "the same woonregio: the plans from extern_woonregio up")
    huur = sum(b["net_homes"] for bl in blocks.values() for b in bl if b["tenure"] == "huur")
    st, _, g3 = adv.json("POST", "/api/v1/goals", {"organisation_id": org, "name": "huur", "target": 1,
                                                   "year_to": 2100, "conditions": {"tenure": ["huur"]}})
    st, _, p3 = adv.json("GET", f"/api/v1/goals/{g3['id']}/progress")
    eq(p3["windows"][0]["planned"], huur, "by 2100 every huur home is planned")


def hamilton(homes, spread):
    """The homes per year of a spread by largest remainder (docs/blocks.md), computed here."""
    h = abs(homes)
    base = {y: h * pc // 100 for y, pc in spread}
    left = h - sum(base.values())
    for y, _ in sorted(spread, key=lambda e: (-(h * e[1] % 100), e[0]))[:left]:
        base[y] += 1
    return {y: (n if homes > 0 else -n) for y, n in base.items() if n}


def plusvelden(api, url, org):
    print("== plusveld conditions")
    adv, op = api["adviser"], Api(api["adviser"].base)
    ids = psql(url, "SELECT string_agg(p.id::text, ',' ORDER BY p.source_key) FROM projects p WHERE EXISTS "
                    "(SELECT 1 FROM project_blocks b WHERE b.project_id = p.id AND b.net_homes > 0)").split(",")
    a, b, c = ids[0], ids[1], ids[2]
    psql(url, f"INSERT INTO plusveld_definitions (organisation_id, applies_to, key, label_nl, label_en, type, categories) "
              f"VALUES ('{org}', 'project', 'wijk', 'Wijk', 'District', 'category', ARRAY['Noord', 'Zuid']), "
              f"('{org}', 'block', 'prioriteit', 'Prioriteit', 'Priority', 'integer', NULL), "
              f"('{org}', 'project', 'oud', 'Oud', 'Old', 'text', NULL)")
    psql(url, f"UPDATE plusveld_definitions SET retired_at = now() WHERE organisation_id = '{org}' AND key = 'oud'")

    def put(path, values):
        st, _, _ = op.json("PATCH", path, {"plusvelden": values})
        eq(st, 200, f"plusvelden written {values}")
    put(f"/api/v1/projects/{a}/plusvelden", {"wijk": "Noord"})
    put(f"/api/v1/projects/{b}/plusvelden", {"wijk": "Noord"})
    put(f"/api/v1/projects/{c}/plusvelden", {"wijk": "Zuid"})
    blocks = {}
    for pid in (a, b, c):
        st, _, lst = op.json("GET", f"/api/v1/projects/{pid}/blocks?page_size=100")
        blocks[pid] = lst["results"]
    ka = next(k for k in blocks[a] if k["net_homes"] > 0)
    kc = next(k for k in blocks[c] if k["net_homes"] > 0)
    put(f"/api/v1/projects/{a}/blocks/{ka['id']}/plusvelden", {"prioriteit": 5})
    put(f"/api/v1/projects/{c}/blocks/{kc['id']}/plusvelden", {"prioriteit": 1})

    def goal(cond, what):
        st, _, g = adv.json("POST", "/api/v1/goals", {"organisation_id": org, "name": what, "target": 1,
                                                      "year_to": 2100, "conditions": cond})
        eq(st, 201, f"goal {what}")
        st, _, pr = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
        eq(st, 200, f"progress {what}")
        return g, pr

    homes = lambda pids: sum(k["net_homes"] for p in pids for k in blocks[p])  # noqa: E731
    g5, pr = goal({"plusvelden": {"wijk": "Noord"}}, "wijk Noord")
    eq((sorted(p["id"] for p in pr["projects"]), pr["windows"][0]["planned"]), (sorted([a, b]), homes([a, b])),
       "a project plusveld condition counts exactly the projects with that value")
    _, pr = goal({"plusvelden": {"wijk": ["Noord", "Zuid"], "prioriteit": {"min": 3}}}, "prioriteit >= 3")
    eq(([p["id"] for p in pr["projects"]], pr["windows"][0]["planned"]), ([a], ka["net_homes"]),
       "a block plusveld range counts exactly the matching block")
    _, pr = goal({"plusvelden": {"prioriteit": [1, 5]}}, "prioriteit 1 or 5")
    eq((sorted(p["id"] for p in pr["projects"]), pr["windows"][0]["planned"]),
       (sorted([a, c]), ka["net_homes"] + kc["net_homes"]), "one of a list of values")
    P = "/api/v1/goals"
    for field, what, cond in [
            ("conditions.plusvelden.nope", "an unknown plusveld", {"nope": 1}),
            ("conditions.plusvelden.oud", "a retired plusveld", {"oud": "x"}),
            ("conditions.plusvelden.wijk", "not one of the categories", {"wijk": "West"}),
            ("conditions.plusvelden.wijk", "a range of a category", {"wijk": {"min": 1}}),
            ("conditions.plusvelden.prioriteit", "a text for an integer", {"prioriteit": "hoog"}),
            ("conditions.plusvelden.prioriteit", "min above max", {"prioriteit": {"min": 5, "max": 1}}),
            ("conditions.plusvelden.prioriteit", "null", {"prioriteit": None}),
            ("conditions.plusvelden", "not an object", ["wijk"])]:
        expect_problem(adv, "POST", P, 422, field, what, {"organisation_id": org, "name": "x", "target": 1,
                                                          "year_to": 2030, "conditions": {"plusvelden": cond}})
    expect_problem(adv, "PATCH", f"{P}/{g5['id']}", 422, "conditions.plusvelden.oud", "a retired plusveld by PATCH",
                   {"conditions": {"plusvelden": {"oud": "x"}}})
    expect_problem(api["writer"], "POST", P, 403, "organisation_id", "a medewerker, plusveld conditions or not",
                   {"organisation_id": org, "name": "x", "target": 1, "year_to": 2030,
                    "conditions": {"plusvelden": {"nope": 1}}})
    # the match of one value against one condition (bs_pv_cond_match, 0037)
    for v, c, want in [("'\"Noord\"'", "'\"Noord\"'", "t"), ("'\"Noord\"'", "'\"Zuid\"'", "f"),
                       ("'[\"a\", \"b\"]'", "'\"b\"'", "t"), ("'[\"a\", \"b\"]'", "'[\"c\", \"a\"]'", "t"),
                       ("'[\"a\", \"b\"]'", "'\"c\"'", "f"), ("'3.5'", "'{\"min\": 3, \"max\": 4}'", "t"),
                       ("'4.5'", "'{\"max\": 4}'", "f"), ("'4'", "'{\"min\": 4, \"max\": null}'", "t"),
                       ("'1'", "'1.0'", "t"), ("'true'", "'false'", "f"), ("NULL", "'1'", "f"),
                       ("'\"x\"'", "'{\"min\": 1}'", "f")]:
        eq(psql(url, f"SELECT bs_pv_cond_match({v}::jsonb, {c}::jsonb)"), want, f"value {v} against {c}")
    print("== a goal whose plusveld is retired later")
    psql(url, f"UPDATE plusveld_definitions SET retired_at = now() WHERE organisation_id = '{org}' AND key = 'wijk'")
    st, _, g = adv.json("GET", f"{P}/{g5['id']}")
    eq((st, g["conditions"], g["retired_plusvelden"]), (200, {"plusvelden": {"wijk": "Noord"}}, ["wijk"]),
       "the goal keeps its condition and names the retired key")
    st, _, pr = adv.json("GET", f"{P}/{g5['id']}/progress")
    eq((st, pr["projects"], pr["windows"][0]["planned"]), (200, [], 0), "a retired plusveld matches nothing")
    st, _, g = adv.json("PATCH", f"{P}/{g5['id']}", {"conditions": {}})
    eq((st, g and g["retired_plusvelden"]), (200, []), "the condition removed")


def spread(api, url, org):
    print("== blocks spread over years count their fixed shares in every sample")
    adv, op = api["adviser"], Api(api["adviser"].base)
    # project d: one spread block among blocks delivered with a milestone; project e: only spread blocks
    d, e = psql(url, "SELECT string_agg(p.id::text, ',' ORDER BY p.source_key DESC) FROM (SELECT p.* FROM projects p "
                     "WHERE EXISTS (SELECT 1 FROM project_blocks b WHERE b.project_id = p.id) "
                     "ORDER BY p.source_key DESC LIMIT 2) p").split(",")
    want = {}
    sp_d = [(2027, 40), (2028, 60)]
    st, _, kd = op.json("POST", f"/api/v1/projects/{d}/blocks", {
        "homes": 7, "target_group": "spreadtest", "spread": [{"year": y, "percent": pc} for y, pc in sp_d]})
    eq(st, 201, "a spread block added")
    for y, n in hamilton(7, sp_d).items():
        want[y] = want.get(y, 0) + n
    st, _, lst = op.json("GET", f"/api/v1/projects/{e}/blocks?page_size=100")
    sp_e = [(2026, 33), (2028, 33), (2029, 34)]
    for k in lst["results"]:
        st, _, _ = op.json("PATCH", f"/api/v1/projects/{e}/blocks/{k['id']}", {
            "target_group": "spreadtest", "spread": [{"year": y, "percent": pc} for y, pc in sp_e]})
        eq(st, 200, "a block of e spread")
        for y, n in hamilton(k["net_homes"], sp_e).items():
            want[y] = want.get(y, 0) + n
    st, _, g = adv.json("POST", "/api/v1/goals", {"organisation_id": org, "name": "spread", "target": 1,
                                                  "period": "per_year", "year_from": 2025, "year_to": 2030,
                                                  "conditions": {"target_group": ["spreadtest"]}})
    eq(st, 201, "a goal per year over the spread blocks")
    st, _, pr = adv.json("GET", f"/api/v1/goals/{g['id']}/progress")
    eq(st, 200, "its progress")
    got = {w["year"]: (w["planned"], w["p50"], w["p80"], w["mean"]) for w in pr["windows"]}
    exp = {y: (want.get(y, 0),) * 4 for y in range(2025, 2031)}
    eq(got, exp, "per year: planned = P50 = P80 = mean = the shares by largest remainder (every sample the same)")
    eq(sorted(p["id"] for p in pr["projects"]), sorted([d, e]), "both projects contribute")
    for p in pr["projects"]:
        eq([x["probability"] for x in p["delivery"]], [1.0], "a fixed contribution: one value in every sample")
    eq(pr["forecasts"]["not_forecast"], 0, "the spread-only project needs no forecast and is not failed")
    check(all(w["probability_met"] == (1.0 if want.get(w["year"], 0) >= 1 else 0.0) for w in pr["windows"]),
          "each year met in every sample or in none", pr["windows"])


def run(base, url, org, tok):
    api = {who: Api(base, token=t) for who, t in tok.items()}
    crud(api, url, org)
    progress(base, url, org, tok)
    plusvelden(api, url, org)
    spread(api, url, org)


if __name__ == "__main__":
    sys.exit(main())
